import Testing

@testable import Kafka

@Suite("Configuration mapping")
struct ConfigurationTests {
    @Test("producer defaults: idempotent, acks=all, low latency")
    func producerDefaults() {
        let properties = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:9092").rdKafkaProperties()
        #expect(properties["bootstrap.servers"] == "127.0.0.1:9092")
        #expect(properties["enable.idempotence"] == "true")
        #expect(properties["acks"] == "all")
        #expect(properties["socket.nagle.disable"] == "true")
        #expect(properties["linger.ms"] == "1")
        #expect(properties["message.timeout.ms"] == "30000")
        #expect(properties["client.id"] == "provider-agents")
    }

    @Test("typed fields map to their librdkafka names")
    func producerTypedFields() {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "b:1")
        configuration.linger = .milliseconds(5)
        configuration.deliveryTimeout = .milliseconds(2500)
        configuration.idempotence = false
        configuration.maxQueuedMessages = 42
        configuration.compression = "zstd"
        configuration.common.disableNagle = false
        let properties = configuration.rdKafkaProperties()
        #expect(properties["linger.ms"] == "5")
        #expect(properties["message.timeout.ms"] == "2500")
        #expect(properties["enable.idempotence"] == "false")
        #expect(properties["acks"] == nil)
        #expect(properties["queue.buffering.max.messages"] == "42")
        #expect(properties["compression.type"] == "zstd")
        #expect(properties["socket.nagle.disable"] == "false")
    }

    @Test("passthrough properties are added and win over typed defaults")
    func passthroughWins() {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "b:1")
        configuration.common.properties = ["linger.ms": "0", "security.protocol": "SASL_SSL"]
        let properties = configuration.rdKafkaProperties()
        #expect(properties["linger.ms"] == "0")
        #expect(properties["security.protocol"] == "SASL_SSL")
    }

    @Test("consumer: cooperative-sticky, manual offset store, auto commit of stored offsets")
    func consumerDefaults() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "b:1", groupID: "llm-provider-openai")
        configuration.sessionTimeout = .seconds(6)
        configuration.groupInstanceID = "agent-1"
        let properties = configuration.rdKafkaProperties()
        #expect(properties["group.id"] == "llm-provider-openai")
        #expect(properties["group.instance.id"] == "agent-1")
        #expect(properties["partition.assignment.strategy"] == "cooperative-sticky")
        #expect(properties["enable.auto.offset.store"] == "false")
        #expect(properties["enable.auto.commit"] == "true")
        #expect(properties["auto.offset.reset"] == "earliest")
        #expect(properties["session.timeout.ms"] == "6000")
        #expect(properties["fetch.wait.max.ms"] == "100")
    }

    @Test("an unknown librdkafka property is refused with its name")
    func unknownPropertyRefused() throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:9092")
        configuration.common.properties = ["no.such.property": "1"]
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("no.such.property"))
    }

    @Test("an invalid value is refused with the property's name")
    func invalidValueRefused() throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:9092", groupID: "g")
        configuration.common.properties = ["session.timeout.ms": "soon"]
        let error = try #require(throws: KafkaError.self) { try KafkaConsumer(configuration: configuration) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("session.timeout.ms"))
    }

    @Test("secret values never appear in configuration errors")
    func secretsRedacted() throws {
        #expect(RdKafkaConfig.redacted("sasl.password", "hunter2") == "<redacted>")
        #expect(RdKafkaConfig.redacted("ssl.key.password", "hunter2") == "<redacted>")
        #expect(RdKafkaConfig.redacted("sasl.oauthbearer.client.secret", "hunter2") == "<redacted>")
        #expect(RdKafkaConfig.redacted("sasl.jaas.config", "hunter2") == "<redacted>")
        #expect(RdKafkaConfig.redacted("linger.ms", "5") == "5")
        // A rejected secret property: the error names the property, never the value.
        let error = try #require(throws: KafkaError.self) {
            _ = try RdKafkaConfig(properties: ["ssl.key.password.bogus": "hunter2"])
        }
        #expect(error.message.contains("ssl.key.password.bogus"))
        #expect(!error.description.contains("hunter2"))
    }

    @Test("a non-positive poll batch size is refused")
    func pollBatchValidated() throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:9092", groupID: "g")
        configuration.pollBatchSize = 0
        let error = try #require(throws: KafkaError.self) { try KafkaConsumer(configuration: configuration) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("pollBatchSize"))
    }
}
