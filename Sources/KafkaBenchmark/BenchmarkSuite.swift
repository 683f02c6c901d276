import Foundation

/// Runs every scenario for every message size and collects the table rows plus notes.
struct BenchmarkSuite {
    struct Plan: Sendable {
        var sizes: [Int]
        /// Messages per size for the produce, consume and pass-through scenarios.
        var messages: @Sendable (Int) -> Int
        var sends: Int
        var warmup: Int
    }

    let context: BenchmarkContext
    let plan: Plan
    private(set) var rows: [ResultRow] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    mutating func run() async throws {
        for size in plan.sizes {
            try await run(size: size)
        }
    }

    private mutating func run(size: Int) async throws {
        let count = plan.messages(size)
        let label = ResultTable.sizeLabel(size)
        let topics = try await context.createTopics(["raw", "rtt", "pass-in", "pass-out"], size: size)
        let (raw, rtt, passIn, passOut) = (topics[0], topics[1], topics[2], topics[3])

        progress("[\(label)] produce: \(count) messages with enqueue to \(raw)")
        let produce = ProduceThroughput(context: context)
        let produced = try await produce.run(topic: raw, count: count, size: size)
        add(produce.row(produced, size: size))
        if let error = produced.firstError {
            notes.append("\(label) produce: \(produced.failed) failed deliveries, first: \(error)")
        }

        progress("[\(label)] consume: \(produced.delivered) messages with a fresh group from \(raw)")
        let consume = ConsumeThroughput(context: context)
        let consumed = try await consume.run(topic: raw, count: produced.delivered)
        add(consume.row(consumed, size: size))
        notes.append("\(label) consume: group join + first fetch took \(format(consumed.join)) (not in the rate)")

        progress("[\(label)] round trip: \(plan.warmup) warm-up + \(plan.sends) awaited sends to \(rtt)")
        let roundTrip = RoundTripLatency(context: context)
        let trips = try await roundTrip.run(topic: rtt, sends: plan.sends, warmup: plan.warmup, size: size)
        add(roundTrip.row(trips, size: size))
        if let error = trips.firstError {
            notes.append("\(label) round trip: \(trips.failed) failed sends, first: \(error)")
        }

        progress("[\(label)] pass-through: pre-loading \(count) messages into \(passIn)")
        let preload = try await produce.run(topic: passIn, count: count, size: size)
        guard preload.failed == 0 else {
            throw BenchmarkFailure(
                """
                pre-loading \(passIn) failed for \(preload.failed) message(s): \
                \(preload.firstError.map(String.init(describing:)) ?? "")
                """
            )
        }
        progress("[\(label)] pass-through: \(passIn) -> \(passOut), offsets stored after each reply's ack")
        let passThrough = PassThrough(context: context)
        let passed = try await passThrough.run(input: passIn, output: passOut, count: count)
        add(passThrough.row(passed, size: size))
        notes.append(
            "\(label) consume->produce: group join + first fetch took \(format(passed.join)) (not in the rate)")
        if let error = passed.firstError {
            notes.append(
                """
                \(label) consume->produce: \(passed.failedReplies) failed replies, \(passed.failedStores) failed \
                offset stores, first: \(error)
                """
            )
        }
        if !passed.uncommitted.isEmpty {
            notes.append(
                "\(label) consume->produce: offsets not fully committed: \(passed.uncommitted.joined(separator: "; "))")
        }
    }

    private mutating func add(_ row: ResultRow) {
        rows.append(row)
        var line = "  -> \(row.scenario) \(ResultTable.sizeLabel(row.size)): "
        if let rate = row.rate { line += "\(ResultTable.grouped(Int(rate.rounded()))) msg/s" }
        if let latency = row.latency { line += String(format: ", p50 %.2f ms, p99 %.2f ms", latency.p50, latency.p99) }
        if row.errors > 0 { line += ", \(row.errors) error(s)" }
        progress(line)
    }

    private func format(_ duration: Duration) -> String {
        String(format: "%.2f s", duration.seconds)
    }
}

/// Progress goes to standard error, so standard output carries only the result table.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// An executable built next to this one (`swift build` puts every product in one directory).
func siblingExecutable(_ name: String) throws -> String {
    let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw BenchmarkFailure(
            "\(name) is not built next to kafka-bench (\(path)); build it: swift build -c release --product \(name)")
    }
    return path
}
