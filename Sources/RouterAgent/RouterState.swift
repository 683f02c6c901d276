import Router
import Synchronization

/// The router's mutable state, behind one lock: the provider registry and what it did.
final class RouterState: Sendable {
    struct Value: Sendable {
        var registry: ProviderRegistry
        var counters = RouterCounters()
    }

    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try value.withLock(body)
    }
}

/// What a router did, since it started.
public struct RouterCounters: Sendable, Hashable {
    /// Client requests forwarded to a first provider.
    public var routed = 0
    /// Retryable errors continued at another (or the same) candidate.
    public var rerouted = 0
    /// Final errors the router itself answered (bad input, nothing to route to, attempts used up).
    public var failed = 0
    /// Messages that could not be decoded and had no readable request id (to the dead-letter topic).
    public var deadLettered = 0
    /// Forwards per provider (first and later attempts).
    public var forwardsByProvider: [String: Int] = [:]
    /// Decisions published again from the journal (a redelivered or resent message).
    public var replayed = 0
    /// Retries handed to the delay topic (waits longer than the in-memory limit).
    public var delayed = 0
    /// Messages fetched before their partition was revoked or assigned again, dropped unhandled
    /// (the partition's owner reads them again).
    public var staleDropped = 0

    public init() {}
}
