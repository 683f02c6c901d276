import ArgumentParser
import Foundation
import Kafka
import Logging

/// `provider-agents produce`: send messages and print where each landed.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send messages (arguments, or one per line of standard input) and print their partition and offset."
    )

    @Option(help: "Topic to write to.")
    var topic: String

    @Option(help: "Message key.")
    var key: String?

    @Option(help: "Partition (default: chosen by key).")
    var partition: Int32?

    @Option(name: .customLong("header"), help: ArgumentHelp("Header key=value (repeatable).", valueName: "key=value"))
    var headers: [String] = []

    @Argument(help: "Message values; without any, each line of standard input is one message.")
    var values: [String] = []

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.produce")
        let parsedHeaders = try headers.map { entry -> KafkaHeader in
            guard let equals = entry.firstIndex(of: "=") else {
                throw ValidationError("--header expects key=value, got '\(entry)'")
            }
            return KafkaHeader(key: String(entry[..<equals]), value: String(entry[entry.index(after: equals)...]))
        }
        var configuration = KafkaProducerConfiguration(common: try kafka.configuration())
        configuration.deliveryTimeout = .seconds(max(1, kafka.connectTimeout))
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let metadata = try await producer.metadata(timeout: kafka.connectDuration)
        _ = try metadata.partitionCount(of: topic)

        let lines: AnySequence<String> =
            values.isEmpty
            ? AnySequence(AnyIterator { readLine(strippingNewline: true) })
            : AnySequence(values)
        for value in lines {
            let start = ContinuousClock.now
            let receipt = try await producer.send(
                KafkaProducerMessage(topic: topic, partition: partition, key: key, value: value, headers: parsedHeaders)
            )
            say(
                """
                \(receipt.topic)[\(receipt.partition)]@\(receipt.offset) acked in \
                \(formatMilliseconds(ContinuousClock.now - start))
                """
            )
        }
        await producer.close()
    }
}
