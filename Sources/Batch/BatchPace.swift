/// When a job may send its next line. A refusal that says when to try again (a limit reached, the
/// call slots kept for interactive requests, an open breaker) holds every line of the job until
/// then, so a job backs off as one instead of each of its lines knocking on its own.
/// Time is passed in.
public struct BatchPace: Sendable, Hashable {
    /// No line is sent before this instant (`nil`: no hold).
    public private(set) var notBefore: ContinuousClock.Instant?
    /// Refusals waited out so far (for the log and the tests).
    public private(set) var refusals = 0

    /// The shortest hold, so that a refusal without a usable `retry_after` does not spin.
    public static let minimumHold: Duration = .milliseconds(100)

    public init() {}

    /// A line was refused at `now`, to be tried again after `retryAfter` (at least ``minimumHold``).
    public mutating func refused(retryAfter: Duration?, at now: ContinuousClock.Instant) {
        refusals += 1
        let until = now.advanced(by: max(Self.minimumHold, retryAfter ?? .seconds(1)))
        notBefore = max(notBefore ?? until, until)
    }

    /// How long a line about to be sent at `now` waits first (`nil`: none).
    public func hold(at now: ContinuousClock.Instant) -> Duration? {
        guard let notBefore, notBefore > now else { return nil }
        return notBefore - now
    }
}
