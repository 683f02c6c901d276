import Foundation
import Kafka
import KafkaTestSupport
import Synchronization

func testConsumerConfig(_ broker: TansuBroker, group: String) -> KafkaConsumerConfiguration {
    var configuration = KafkaConsumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: group)
    configuration.sessionTimeout = .seconds(6)
    return configuration
}

struct WaitTimeout: Error, CustomStringConvertible {
    let description: String
}

/// Polls `condition` every 50 ms until it holds; throws after `timeout`. For integration tests
/// against a real broker, whose timing the test cannot inject.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw WaitTimeout(description: "timed out after \(timeout) waiting until \(what)")
}

final class LockedArray<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])
    func append(_ element: Element) { storage.withLock { $0.append(element) } }
    var all: [Element] { storage.withLock { $0 } }
}
