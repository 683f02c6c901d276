/// What one group change (an agent joining or leaving) did to a steady load, measured on the
/// answers' timeline: request `i` was sent to partition `i % partitions` at `sent[i]`, and its
/// first answer was read at some instant (``AnswerTimeline``).
///
/// - **Pause**: the longest time one partition went without an answer, from the event to the end
///   of its window (the next event, or the end of the load; still silent then counts until then) —
///   counted from that partition's last answer before the event, so a pause that began just
///   before it is whole. With the load
///   spread evenly, every partition has requests waiting all the time, so this is how long the
///   partitions that changed owner were not served. `longestGapAnyPartition` is the same over
///   all answers together: how long the whole provider was silent.
/// - **Recovered**: from the event to the last answer in the window whose latency (sent → answer
///   read) exceeded `max(2 × p99, p99 + 100 ms)` of the answers read in the `baselineSpan` before
///   the event: after it every request is answered as fast as before, i.e. the backlog the pause
///   left is gone and the throughput is back to the offered load. Zero when no answer was late.
struct RebalancePause: Sendable {
    var longestPartitionGap: Duration
    var partition: Int
    var longestGapAnyPartition: Duration
    /// The longest gap of one partition in the baseline span (what is normal at this load).
    var baselinePartitionGap: Duration
    var baselineP50: Duration
    var baselineP99: Duration
    /// Latency p99 of the answers read in the window.
    var windowP99: Duration
    var recovered: Duration
    /// Answers read in the window.
    var answers: Int

    /// The first answer to each request: (index, when read).
    static func firstAnswers(_ entries: [AnswerTimeline.Entry]) -> [Int: ContinuousClock.Instant] {
        var first: [Int: ContinuousClock.Instant] = [:]
        for entry in entries where first[entry.index] == nil { first[entry.index] = entry.at }
        return first
    }

    init(
        event: ContinuousClock.Instant, windowEnd: ContinuousClock.Instant, baselineSpan: Duration,
        sent: [Int: ContinuousClock.Instant], answered: [Int: ContinuousClock.Instant], partitions: Int
    ) {
        let baselineStart = event - baselineSpan
        var byPartition = [[ContinuousClock.Instant]](repeating: [], count: partitions)
        var all: [ContinuousClock.Instant] = []
        var baselineLatencies: [Duration] = []
        var windowLatencies: [(at: ContinuousClock.Instant, latency: Duration)] = []
        for (index, at) in answered where at >= baselineStart && at < windowEnd {
            byPartition[index % partitions].append(at)
            all.append(at)
            guard let sentAt = sent[index] else { continue }
            if at < event { baselineLatencies.append(at - sentAt) } else { windowLatencies.append((at, at - sentAt)) }
        }
        // The window's end closes the last gap: a partition still silent then was paused until then.
        var longest = (gap: Duration.zero, partition: 0)
        var baselineGap = Duration.zero
        for partition in 0..<partitions {
            let times = byPartition[partition].sorted()
            let gap = Self.longestGap(times + [windowEnd], from: event)
            if gap > longest.gap { longest = (gap, partition) }
            baselineGap = max(baselineGap, Self.longestGap(times.filter { $0 < event } + [event], from: baselineStart))
        }
        longestPartitionGap = longest.gap
        partition = longest.partition
        longestGapAnyPartition = Self.longestGap(all.sorted() + [windowEnd], from: event)
        baselinePartitionGap = baselineGap
        baselineP50 = Self.percentile(baselineLatencies, 0.50)
        baselineP99 = Self.percentile(baselineLatencies, 0.99)
        windowP99 = Self.percentile(windowLatencies.map(\.latency), 0.99)
        let threshold = max(baselineP99 * 2, baselineP99 + .milliseconds(100))
        let lastLate = windowLatencies.filter { $0.latency > threshold }.map(\.at).max()
        recovered = lastLate.map { $0 - event } ?? .zero
        answers = windowLatencies.count
    }

    /// The longest interval between consecutive instants of `times` (sorted) that ends at or
    /// after `from` — the interval reaching over `from` included.
    static func longestGap(_ times: [ContinuousClock.Instant], from: ContinuousClock.Instant) -> Duration {
        var longest = Duration.zero
        for (earlier, later) in zip(times, times.dropFirst()) where later >= from {
            longest = max(longest, later - earlier)
        }
        return longest
    }

    static func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
        guard !values.isEmpty else { return .zero }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}
