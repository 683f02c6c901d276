/// The gateway instances alive now, from their heartbeats on `llm.gateway.status`: how many share
/// each key's rate limit. A plain value: heartbeats in, a count out, the clock given by the caller.
public struct GatewayPeers: Sendable, Hashable {
    /// One instance's heartbeat.
    public struct Heartbeat: Sendable, Hashable, Codable {
        public var instance: String
        public var intervalMs: Int
        /// Ending: no longer counted.
        public var stopping: Bool

        public init(instance: String, intervalMs: Int, stopping: Bool = false) {
            self.instance = instance
            self.intervalMs = intervalMs
            self.stopping = stopping
        }

        enum CodingKeys: String, CodingKey {
            case instance, stopping
            case intervalMs = "interval_ms"
        }
    }

    /// Missed heartbeats after which an instance is no longer counted.
    public static let missedBeats = 3

    private var seen: [String: (beat: Heartbeat, at: ContinuousClock.Instant)] = [:]
    /// This instance: always counted.
    public let own: String

    public init(own: String) {
        self.own = own
    }

    public mutating func apply(_ beat: Heartbeat, at now: ContinuousClock.Instant) {
        if beat.stopping {
            seen.removeValue(forKey: beat.instance)
        } else {
            seen[beat.instance] = (beat, now)
        }
    }

    /// Instances whose last heartbeat is recent, this one included.
    public func live(at now: ContinuousClock.Instant) -> Int {
        let others = seen.filter { instance, entry in
            instance != own && now - entry.at <= .milliseconds(entry.beat.intervalMs * Self.missedBeats)
        }
        return others.count + 1
    }

    /// This instance's share of a cluster-wide limit: one over the live instances.
    public func share(at now: ContinuousClock.Instant) -> Double { 1 / Double(live(at: now)) }

    public static func == (lhs: GatewayPeers, rhs: GatewayPeers) -> Bool {
        lhs.own == rhs.own && lhs.seen.mapValues(\.beat) == rhs.seen.mapValues(\.beat)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(own)
        hasher.combine(seen.mapValues(\.beat))
    }
}
