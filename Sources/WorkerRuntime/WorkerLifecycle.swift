/// Where a worker is in its life, as a plain value: every transition is checked here, tested
/// without I/O, and the runtime only acts on what a transition returns.
///
/// ```text
/// created ──start──▶ starting ──started──▶ running ──stop──▶ draining ──drained──▶ stopping ──closed──▶ stopped
///     │                  │                    │                  │
///     └──stop────────────┴──fail──────────────┴──fail────────────┴──▶ failed (then stopping ──▶ stopped)
/// ```
///
/// - `starting`: checking topics, reading what the handler needs before the first message
///   (control topic, registry), joining the group.
/// - `running`: fetching and handling messages.
/// - `draining`: no more fetching; messages already taken in finish (answered, offsets stored)
///   until the drain deadline, after which what is left is abandoned (not stored: the next owner
///   handles it).
/// - `stopping`: commit, leave the group, the handler's last words (a final status), flush.
public struct WorkerLifecycle: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case created, starting, running, draining, stopping, stopped, failed
    }

    /// What the runtime must do after a transition.
    public enum Action: Sendable, Hashable {
        /// Nothing (the request came too late or twice).
        case none
        /// Begin the start sequence.
        case start
        /// Stop fetching and let in-flight work finish.
        case beginDrain
        /// The start never finished: skip draining, release what was opened.
        case abandonStart
        /// Commit, close and flush.
        case close
    }

    public private(set) var state: State = .created
    /// Why the worker failed, when it did.
    public private(set) var failure: String?
    /// Whether the start finished (the worker fetched, or could have).
    public private(set) var hasRun = false

    public init() {}

    /// `run()` was called.
    public mutating func start() -> Action {
        guard state == .created else { return .none }
        state = .starting
        return .start
    }

    /// The start sequence finished.
    public mutating func started() -> Action {
        switch state {
        case .starting:
            state = .running
            hasRun = true
            return .none
        case .draining:
            // A stop asked while starting: drain right away (nothing was fetched yet).
            hasRun = true
            return .beginDrain
        default:
            return .none
        }
    }

    /// A graceful stop was asked (signal, `shutdown()`, the owner's graceful shutdown).
    public mutating func stop() -> Action {
        switch state {
        case .created:
            state = .stopped
            return .none
        case .starting:
            // Remembered: drain as soon as the start finishes.
            state = .draining
            return .none
        case .running:
            state = .draining
            return .beginDrain
        case .draining, .stopping, .stopped, .failed:
            return .none
        }
    }

    /// Something the worker cannot go on without failed (start, reading).
    public mutating func fail(_ reason: String) -> Action {
        switch state {
        case .created, .stopped, .stopping:
            return .none
        case .starting:
            state = .failed
            failure = reason
            return .abandonStart
        case .running, .draining:
            state = .failed
            failure = reason
            return .beginDrain
        case .failed:
            return .none
        }
    }

    /// In-flight work finished or was abandoned at the drain deadline.
    public mutating func drained() -> Action {
        switch state {
        case .draining, .failed:
            if state == .draining { state = .stopping }
            return .close
        default:
            return .none
        }
    }

    /// Everything is closed.
    public mutating func closed() {
        if state != .failed { state = .stopped }
    }

    /// Whether messages may still be taken in.
    public var isFetching: Bool { state == .running }
}
