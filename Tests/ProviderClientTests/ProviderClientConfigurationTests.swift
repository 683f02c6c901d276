import Kafka
import Testing

@testable import ProviderClient

@Suite struct ProviderClientConfigurationTests {
    @Test("topic names follow the prefix and the client id; a reply topic given is used as is")
    func topicNames() {
        var configuration = ProviderClientConfiguration(bootstrapServers: "b:9092", clientID: "batch-7")
        configuration.topicPrefix = "staging."
        #expect(configuration.routerTopic == "staging.llm.router.requests")
        #expect(configuration.providerTopic("openai") == "staging.llm.requests.openai")
        #expect(configuration.effectiveReplyTopic == "staging.llm.replies.batch-7")
        #expect(configuration.createsReplyTopic)
        configuration.replyTopic = "llm.responses"
        #expect(configuration.effectiveReplyTopic == "llm.responses")
        #expect(!configuration.createsReplyTopic)
    }

    @Test("a per-client reply topic: 3 partitions, 1 hour retention (retention.ms and segment.ms)")
    func replyTopicSpec() {
        let spec = ProviderClientConfiguration(bootstrapServers: "b:9092", clientID: "c").replyTopicSpec
        #expect(spec.name == "llm.replies.c")
        #expect(spec.partitions == 3)
        #expect(spec.replicationFactor == 1)
        #expect(spec.configs == ["retention.ms": "3600000", "segment.ms": "3600000"])
    }

    @Test("host names become legal topic suffixes")
    func clientIDs() {
        #expect(ProviderClientConfiguration.sanitizedClientID("Worker_01") == "worker_01")
        #expect(ProviderClientConfiguration.sanitizedClientID("my host (2)") == "my-host--2")
        #expect(ProviderClientConfiguration.sanitizedClientID("") == "client")
        #expect(ProviderClientConfiguration.sanitizedClientID("ünï") == "n")
        let id = ProviderClientConfiguration.defaultClientID()
        #expect(!id.isEmpty && !id.contains("."))
        #expect(ProviderClientConfiguration(bootstrapServers: "b:9092", clientID: id).problem() == nil)
    }

    @Test(
        "the reply reader commits nothing unless the passthrough says otherwise; the passthrough reaches both clients")
    func kafkaProperties() {
        var configuration = ProviderClientConfiguration(bootstrapServers: "b:9092", clientID: "c")
        configuration.common.properties = ["security.protocol": "SASL_SSL"]
        let reader = configuration.readerConfiguration.rdKafkaProperties()
        #expect(reader["enable.auto.commit"] == "false")
        #expect(reader["security.protocol"] == "SASL_SSL")
        #expect(reader["fetch.wait.max.ms"] == "5", "the balanced latency profile")
        let producer = configuration.producerConfiguration.rdKafkaProperties()
        #expect(producer["security.protocol"] == "SASL_SSL")
        #expect(producer["message.timeout.ms"] == "30000")
        #expect(producer["enable.idempotence"] == "true")
        configuration.common.properties["enable.auto.commit"] = "true"
        #expect(configuration.readerConfiguration.rdKafkaProperties()["enable.auto.commit"] == "true")
    }

    @Test("settings out of range are refused with the setting named")
    func problems() throws {
        var configuration = ProviderClientConfiguration(bootstrapServers: "b:9092", clientID: "bad id")
        #expect(configuration.problem()?.contains("clientID 'bad id'") == true)
        #expect(throws: ProviderClientError.self) { _ = try ProviderClient(configuration: configuration) }
        configuration.clientID = "ok"
        configuration.replyTopicPartitions = 0
        #expect(configuration.problem() == "replyTopicPartitions must be at least 1, got 0")
        configuration.replyTopicPartitions = 3
        configuration.replyTopic = ""
        #expect(configuration.problem()?.hasPrefix("replyTopic must not be empty") == true)
        configuration.replyTopic = nil
        configuration.defaultTimeout = .zero
        #expect(configuration.problem() == "defaultTimeout must be positive")
    }
}
