import Agent
import Kafka
import RouterAgent

extension BenchmarkContext {
    /// Every topic one agent and one router use (their prefix is in the names), with the run's
    /// partition count (one for control and status, nine delay tiers), and `extra` beside them.
    func createTopics(
        agent: ProviderAgentConfiguration, router: LLMRouterConfiguration, extra: [KafkaTopicSpec] = []
    ) async throws {
        try await createTopics(
            [
                KafkaTopicSpec(name: agent.requestTopic, partitions: partitions),
                KafkaTopicSpec(name: agent.ledgerTopic, partitions: partitions),
                KafkaTopicSpec(name: agent.controlTopic, partitions: 1),
                KafkaTopicSpec(name: router.routerRequestTopic, partitions: partitions),
                KafkaTopicSpec(name: router.journalTopic, partitions: partitions),
                KafkaTopicSpec(name: router.delayTopic, partitions: 9),
                KafkaTopicSpec(name: agent.responseTopic, partitions: partitions),
                KafkaTopicSpec(name: agent.errorTopic, partitions: partitions),
                KafkaTopicSpec(name: agent.statusTopic, partitions: 1),
                KafkaTopicSpec(name: agent.deadLetterTopic, partitions: 1),
            ] + extra)
    }
}
