import ArgumentParser
import Foundation
import Kafka
import Logging
import Synchronization

/// `provider-agents consume`: print messages of a topic.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print messages of a topic as a member of a consumer group, committing what was printed."
    )

    @Option(help: "Topic to read.")
    var topic: String

    @Option(help: "Consumer group (default: a new group, so reading starts at --from).")
    var group: String?

    @Option(help: "Where a group without committed offsets starts: earliest or latest.")
    var from: String = "earliest"

    @Option(help: "Stop after this many messages.")
    var count: Int?

    @Option(help: "Stop after this many seconds without a message.")
    var idleTimeout: Int?

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.consume")
        guard let reset = KafkaConsumerConfiguration.OffsetReset(rawValue: from) else {
            throw ValidationError("--from must be earliest or latest, got '\(from)'")
        }
        var configuration = KafkaConsumerConfiguration(
            common: try kafka.configuration(),
            groupID: group
                ?? """
                provider-agents-cli-\(ProcessInfo.processInfo.processIdentifier)-\
                \(UInt32.random(in: 0...UInt32.max))
                """
        )
        configuration.offsetReset = reset
        configuration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let metadata = try await consumer.metadata(timeout: kafka.connectDuration)
        _ = try metadata.partitionCount(of: topic)
        try consumer.subscribe(topics: [topic])

        let idle = idleTimeout.map { Duration.seconds($0) }
        let limit = count
        try await withThrowingTaskGroup(of: Void.self) { group in
            let lastMessage = LastSeen()
            group.addTask {
                var printed = 0
                for try await message in consumer.messages {
                    lastMessage.touch()
                    let headers = message.headers.map { "\($0.key)=\($0.stringValue ?? "null")" }.joined(separator: ",")
                    say(
                        """
                        \(message.topic)[\(message.partition)]@\(message.offset) \
                        key=\(message.keyString ?? "null") headers={\(headers)} \(message.valueString)
                        """
                    )
                    try consumer.storeOffset(for: message)
                    printed += 1
                    if let limit, printed >= limit { return }
                }
            }
            if let idle {
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .milliseconds(200))
                        if lastMessage.idleFor >= idle { return }
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
        try await consumer.close()
    }
}

/// When the last message arrived (shared between the reading task and the idle watchdog).
final class LastSeen: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    func touch() { instant.withLock { $0 = .now } }
    var idleFor: Duration { ContinuousClock.now - instant.withLock { $0 } }
}
