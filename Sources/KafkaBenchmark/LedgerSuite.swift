import Agent
import AgentCore
import Common
import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Synchronization
import WorkerRuntime

/// A newly assigned partition whose ledger partition holds a large, old history (a million
/// records two hours old, outside the dedup window): how long from the assignment to the first
/// answer. The ledger is read from the window on, found by timestamp, so the history costs a
/// lookup, not a read.
struct LedgerSuite {
    struct Outcome: Sendable {
        var records: Int
        var written: Duration
        var firstAnswer: Duration
        var recordsRead: Int
    }

    /// Remembers the first assignment.
    final class Assignment: WorkerObserver, Sendable {
        let at = Mutex<ContinuousClock.Instant?>(nil)
        func observe(_ stage: WorkerStage, key: [UInt8]?, at instant: ContinuousClock.Instant) {}
        func assigned(_ partitions: Set<TopicPartition>, at instant: ContinuousClock.Instant) {
            at.withLock { $0 = $0 ?? instant }
        }
    }

    let context: BenchmarkContext
    let records: Int

    func run() async throws -> Outcome {
        let prefix = uniqueName("bench-ledger") + "."
        let assignment = Assignment()
        var configuration = ProviderAgentConfiguration(
            provider: "benchledger", instanceID: "bench-1", bootstrapServers: context.bootstrapServers,
            topicPrefix: prefix,
            models: ["test-model"], defaultModel: "test-model", sessionTimeout: .seconds(6)
        )
        configuration.observer = assignment
        try await context.createTopics([
            KafkaTopicSpec(name: configuration.requestTopic, partitions: 1),
            KafkaTopicSpec(name: configuration.ledgerTopic, partitions: 1),
            KafkaTopicSpec(name: configuration.controlTopic, partitions: 1),
            KafkaTopicSpec(name: configuration.responseTopic, partitions: 1),
            KafkaTopicSpec(name: configuration.errorTopic, partitions: 1),
            KafkaTopicSpec(name: configuration.statusTopic, partitions: 1),
            KafkaTopicSpec(name: configuration.deadLetterTopic, partitions: 1),
        ])
        progress("ledger: writing \(ResultTable.grouped(records)) old ledger records")
        let producer = try context.makeProducer()
        let writeStarted = ContinuousClock.now
        let old = WallClock.nowMs() - 7_200_000
        for index in 0..<records {
            let id = "old-\(index)"
            let answer = KafkaProducerMessage(
                topic: configuration.responseTopic, key: Array(id.utf8),
                value: Array(
                    #"""
                    {"type":"provider_response","data":{"request_id":"\#(id)","response":"ok","provider":\#
                    "benchledger","model":"test-model","latency_ms":1}}
                    """#
                    .utf8)
            )
            let record = JournalRecord(
                key: JournalKey(requestID: id, attempt: 1), state: .done, requestPartition: 0,
                requestOffset: Int64(index),
                worker: "agent/benchledger/gone", recordedAtMs: old + Int64(index / 1_000),
                outputs: [JournalRecord.Output(answer)]
            )
            try await producer.enqueue(record.message(topic: configuration.ledgerTopic))
        }
        try await producer.flush(timeout: context.phaseTimeout)
        let written = ContinuousClock.now - writeStarted
        try await context.close(producer)

        let collector = try await TopicWatcher(
            bootstrapServers: context.bootstrapServers, topics: [configuration.responseTopic])
        let agent = try ProviderAgent(
            configuration: configuration, provider: TestProvider(configuration: .init(name: "benchledger")),
            logger: context.logger)
        let running = Task { try await agent.run() }
        do {
            let requests = try context.makeProducer()
            try await requests.send(
                KafkaProducerMessage(
                    topic: configuration.requestTopic, key: "first",
                    value:
                        #"""
                        {"type":"provider_request","data":{"request_id":"first","messages":[{"role":"user",\#
                        "content":"hi"}]}}
                        """#
                ))
            try await context.close(requests)
            progress("ledger: agent started, waiting for the first answer")
            _ = try await collector.wait(until: "the first answer", timeout: context.phaseTimeout) {
                $0.contains { $0.keyString == "first" }
            }
            let answeredAt = ContinuousClock.now
            guard let assigned = assignment.at.withLock({ $0 }) else {
                throw BenchmarkFailure("ledger: no assignment seen")
            }
            let outcome = Outcome(
                records: records, written: written, firstAnswer: answeredAt - assigned,
                recordsRead: agent.ledgerReads.records)
            agent.shutdown()
            _ = await running.result
            await collector.close()
            return outcome
        } catch {
            agent.shutdown()
            _ = await running.result
            await collector.close()
            throw error
        }
    }

    static func render(_ outcome: Outcome) -> String {
        TextTable(
            headers: ["old ledger records", "written in s", "assigned → first answer ms", "ledger records read"],
            leftAligned: [],
            rows: [
                [
                    ResultTable.grouped(outcome.records), String(format: "%.1f", outcome.written.seconds),
                    String(format: "%.0f", outcome.firstAnswer.seconds * 1000),
                    ResultTable.grouped(outcome.recordsRead),
                ]
            ]
        ).render()
    }
}
