import Kafka
import Testing
import WorkerRuntime

@Suite("Worker Kafka clients")
struct WorkerKafkaClientsTests {
    static func clients(_ profile: LatencyProfile, properties: [String: String] = [:]) -> WorkerKafkaClients {
        WorkerKafkaClients(bootstrapServers: "b:9092", clientID: "agent-p-1", properties: properties, latency: profile)
    }

    @Test("the group consumer: the profile's fetch wait, 1-s commits, an 8 MB prefetch unless the user sets one")
    func groupConsumer() {
        let consumer = Self.clients(.interactive).groupConsumer(
            groupID: "g", sessionTimeout: .seconds(6), pollBatchSize: 128)
        #expect(consumer.fetchMaxWait == .milliseconds(1))
        #expect(consumer.commitInterval == .seconds(1))
        #expect(consumer.sessionTimeout == .seconds(6))
        #expect(consumer.pollBatchSize == 128)
        #expect(consumer.common.properties["queued.max.messages.kbytes"] == "8192")
        let given = Self.clients(.batch, properties: ["queued.max.messages.kbytes": "1024"]).groupConsumer(
            groupID: "g", sessionTimeout: .seconds(6), pollBatchSize: 1)
        #expect(given.common.properties["queued.max.messages.kbytes"] == "1024", "the user's property wins")
        #expect(given.fetchMaxWait == .milliseconds(100))
    }

    @Test("a history reader waits at least 100 ms per fetch (a short wait reads nothing deep in a long partition)")
    func historyReader() {
        let follower = Self.clients(.interactive).reader(purpose: "status", groupID: "r")
        #expect(follower.fetchMaxWait == .milliseconds(1), "a follower keeps the profile's wait")
        #expect(follower.common.clientID == "agent-p-1-status")
        let history = Self.clients(.interactive).reader(
            purpose: "ledger", groupID: "r", minimumFetchWait: WorkerKafkaClients.historyFetchWait)
        #expect(history.fetchMaxWait == .milliseconds(100))
        let slower = LatencyProfile(name: "slow", fetchWait: .milliseconds(250), linger: .zero)
        #expect(
            Self.clients(slower).reader(purpose: "ledger", groupID: "r", minimumFetchWait: .milliseconds(100))
                .fetchMaxWait == .milliseconds(250))
    }
}
