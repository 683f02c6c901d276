/// Polls `condition` every 50 ms until it holds; throws after `timeout`. For integration tests
/// against a real broker or processes, whose timing a test cannot inject. A condition that throws
/// counts as not yet true.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw WaitTimeout(description: "timed out after \(timeout) waiting until \(what)")
}

public struct WaitTimeout: Error, CustomStringConvertible {
    public let description: String
}
