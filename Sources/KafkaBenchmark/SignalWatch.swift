import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a handler on a private queue when one of `signals` arrives (their default action is off
/// until ``cancel()``).
///
/// `@unchecked Sendable`: the sources are never mutated after `init`, and cancelling a dispatch
/// source is thread-safe.
final class SignalWatch: @unchecked Sendable {
    private let signals: [Int32]
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        let queue = DispatchQueue(label: "kafka-bench.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    /// Stops watching and restores the signals' default action.
    func cancel() {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
}
