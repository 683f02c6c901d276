import FakeUpstream
import Foundation

/// A fake upstream in this process on a free port, for the duration of `body`.
func withFakeUpstream<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
    try await withFakeUpstream(FakeUpstreamConfiguration(port: 0, streamChunks: 5)) { base, _ in try await body(base) }
}

/// A fake upstream with `configuration` (its port ignored: a free one) in this process, for the
/// duration of `body`, which gets its base URL and the fake itself (to script faults, read stats).
func withFakeUpstream<T: Sendable>(
    _ configuration: FakeUpstreamConfiguration, _ body: @Sendable (String, FakeUpstream) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    let running = try await FakeUpstream(configuration: configuration).start()
    do {
        let result = try await body(running.baseURL, running.upstream)
        await running.stop()
        return result
    } catch {
        await running.stop()
        throw error
    }
}
