import ArgumentParser
import Foundation
import Kafka
import Logging
import Topics

/// `provider-agents demo`: the zero-setup round trip on the embedded broker.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            """
            Start the embedded broker, create the topics, send a provider_request signal and receive it back, with \
            timings.
            """
    )

    @Option(help: "Directory with the topic definitions.")
    var topicsDir: String = "topics"

    @Option(help: "Further awaited sends after the first, for round-trip percentiles.")
    var samples: Int = 50

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.demo")
        let clock = ContinuousClock()
        var timings = Timings()

        let started = clock.now
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        timings.add("embedded broker up", clock.now - started)
        say("embedded broker listening on \(cluster.bootstrapServers)")

        var mark = clock.now
        let topics = try TopicCatalog.load(directory: topicsDir).topics(replicationFactor: 1)
        for topic in topics { try cluster.createTopic(topic) }
        timings.add("\(topics.count) topics created from \(topicsDir)/", clock.now - mark)

        let names = TopicNames()
        let topic = names.requests("openai")
        let requestID = UUID().uuidString.lowercased()
        let signal = """
            {"type":"provider_request","id":"\(UUID().uuidString.lowercased())","source":"provider-agents-demo",\
            "time":"\(ISO8601DateFormatter().string(from: Date()))","data":{"request_id":"\(requestID)",\
            "messages":[{"role":"user","content":"Say hello"}],"model":"gpt-4o-mini","temperature":0.7,"max_tokens":64}}
            """
        let message = KafkaProducerMessage(
            topic: topic, key: requestID, value: signal,
            headers: [
                KafkaHeader(key: "signal-type", value: "provider_request"),
                KafkaHeader(key: "request-id", value: requestID),
                KafkaHeader(key: "reply-to", value: names.responses),
            ]
        )

        // Consumer first, so the group has joined before the signal is sent.
        mark = clock.now
        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, groupID: "llm-provider-openai")
        consumerConfiguration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        try consumer.subscribe(topics: [topic])
        // Reading serves the group protocol; the first message is the signal sent below.
        let firstMessage = Task { () throws -> KafkaConsumerMessage? in
            for try await message in consumer.messages { return message }
            return nil
        }
        let assignment = try await firstAssignment(consumer.rebalanceEvents)
        timings.add("consumer joined group llm-provider-openai (\(assignment) partitions)", clock.now - mark)

        mark = clock.now
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let sent = clock.now
        let receipt = try await producer.send(message)
        timings.add(
            "provider_request acknowledged at \(receipt.topic)[\(receipt.partition)]@\(receipt.offset)",
            clock.now - sent)

        guard let received = try await firstMessage.value else {
            throw ValidationError("consumer ended before the signal arrived")
        }
        let endToEnd = clock.now - sent
        timings.add("signal received back by the consumer (send -> receive)", endToEnd)
        try consumer.storeOffset(for: received)
        try await consumer.commit()

        let ok =
            received.value == message.value && received.keyString == requestID
            && received.header("signal-type")?.stringValue == "provider_request"
        say("")
        say(
            """
            received: key=\(received.keyString ?? "") \
            type-header=\(received.header("signal-type")?.stringValue ?? "") bytes=\(received.value.count) \
            identical=\(ok)
            """
        )
        say(received.valueString)

        var roundTrips: [Duration] = []
        for index in 0..<max(0, samples) {
            let start = clock.now
            // More provider_request signals to the same topic, each with its own request id.
            let sampleID = "\(requestID)-\(index)"
            var sample = message
            sample.key = Array(sampleID.utf8)
            sample.value = Array(signal.replacingOccurrences(of: requestID, with: sampleID).utf8)
            sample.headers = message.headers.map {
                $0.key == "request-id" ? KafkaHeader(key: "request-id", value: sampleID) : $0
            }
            try await producer.send(sample)
            roundTrips.append(clock.now - start)
        }
        await producer.close()
        try await consumer.close()

        say("")
        timings.print()
        if !roundTrips.isEmpty {
            roundTrips.sort()
            let p50 = roundTrips[roundTrips.count / 2]
            let p99 = roundTrips[min(roundTrips.count - 1, roundTrips.count * 99 / 100)]
            say(
                """
                awaited send round trip over \(roundTrips.count) sends: p50 \(formatMilliseconds(p50)), p99 \
                \(formatMilliseconds(p99)) (embedded broker; its consumers fetch slowly, see docs/kafka.md)
                """
            )
        }
        guard ok else { throw ExitCode.failure }
        say("round trip OK")
    }

    private func firstAssignment(_ events: AsyncStream<KafkaRebalanceEvent>) async throws -> Int {
        for await event in events {
            if case .assigned(let partitions) = event, !partitions.isEmpty { return partitions.count }
        }
        throw ValidationError("consumer closed before it was assigned partitions")
    }
}

/// Labelled durations, printed as a table.
struct Timings {
    private var rows: [(String, Duration)] = []

    mutating func add(_ label: String, _ duration: Duration) { rows.append((label, duration)) }

    func print() {
        let width = rows.map(\.0.count).max() ?? 0
        for (label, duration) in rows {
            say("\(label.padding(toLength: width, withPad: " ", startingAt: 0))  \(formatMilliseconds(duration))")
        }
    }
}
