import Foundation
import Kafka
import KafkaTestSupport
import Synchronization

func testConsumerConfig(_ broker: TansuBroker, group: String) -> KafkaConsumerConfiguration {
    var configuration = KafkaConsumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: group)
    configuration.sessionTimeout = .seconds(6)
    return configuration
}

final class LockedArray<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])
    func append(_ element: Element) { storage.withLock { $0.append(element) } }
    var all: [Element] { storage.withLock { $0 } }
}
