import AgentCore
import Foundation
import Signals

#if canImport(Glibc)
    import Glibc
#endif

/// Wraps a provider and appends one line per call that reaches it — `<epoch ms> <request_id>
/// <attempt>` — written with one `write(2)` to an `O_APPEND` file as the call starts, so the lines
/// survive a SIGKILL of the process, and `<epoch ms> <request_id> <attempt> done` when the call
/// returns (non-streamed calls), so a test knows exactly which calls are in progress.
/// `--test-call-log`: lets tests count, across processes, what reached "the provider" (and was
/// paid for).
final class CallLoggingProvider: LLMProvider {
    private let base: any LLMProvider
    /// Written only with `write(2)`, which is atomic for these small appends; closed in `deinit`.
    private let descriptor: Int32

    init(wrapping base: any LLMProvider, path: String) throws(AgentConfigurationError) {
        self.base = base
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .option("--test-call-log", "cannot open '\(path)' for appending: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
    }

    var name: String { base.name }
    var supportedFeatures: Set<ProviderFeature> { base.supportedFeatures }

    func models() async throws(ProviderCallError) -> [ModelInfo] { try await base.models() }

    func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        log(request)
        defer { log(request, suffix: " done") }
        return try await base.complete(request)
    }

    func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        log(request)
        return base.stream(request)
    }

    func health() async -> ProviderHealth { await base.health() }

    private func log(_ request: ProviderRequest, suffix: String = "") {
        let line = Array(
            "\(Int64(Date().timeIntervalSince1970 * 1000)) \(request.requestID) \(request.effectiveAttempt)\(suffix)\n"
                .utf8)
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}
