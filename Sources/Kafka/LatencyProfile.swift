/// How long a process lets Kafka wait to batch, by name: what a user picks instead of tuning
/// `fetch.wait.max.ms` and `linger.ms` on every client. Shorter waits answer sooner and cost
/// CPU (more, smaller fetches and produce requests, more wake-ups); longer waits batch more.
/// docs/benchmarks.md has the measured curve of latency against CPU and throughput.
///
/// On brokers that answer a fetch as soon as data is there (Apache Kafka with
/// `fetch.min.bytes=1`) the fetch wait only bounds idle polling; on Tansu 0.6.0 a fetch is
/// answered when its wait ends, so every hop waits on average half of it.
public struct LatencyProfile: Sendable, Hashable, CustomStringConvertible {
    /// The profile's name, as the configuration file and `--latency-profile` spell it.
    public var name: String
    /// The consumers' longest wait at the broker for data (`fetch.wait.max.ms`).
    public var fetchWait: Duration
    /// The producers' wait to batch messages (`linger.ms`).
    public var linger: Duration

    public init(name: String, fetchWait: Duration, linger: Duration) {
        self.name = name
        self.fetchWait = fetchWait
        self.linger = linger
    }

    /// 1-ms fetch waits, no linger: the lowest latency one request at a time, at the most CPU.
    public static let interactive = LatencyProfile(name: "interactive", fetchWait: .milliseconds(1), linger: .zero)
    /// 5-ms fetch waits, no linger: the default.
    public static let balanced = LatencyProfile(name: "balanced", fetchWait: .milliseconds(5), linger: .zero)
    /// 10-ms fetch waits, 1-ms linger.
    public static let efficient = LatencyProfile(
        name: "efficient", fetchWait: .milliseconds(10), linger: .milliseconds(1))
    /// 100-ms fetch waits, 5-ms linger: for batch jobs, the least CPU per request.
    public static let batch = LatencyProfile(name: "batch", fetchWait: .milliseconds(100), linger: .milliseconds(5))

    /// Every named profile, lowest latency first.
    public static let all: [LatencyProfile] = [.interactive, .balanced, .efficient, .batch]

    /// The profile named `name`, `nil` when there is none.
    public static func named(_ name: String) -> LatencyProfile? {
        all.first { $0.name == name }
    }

    public var description: String { name }
}
