import Foundation
import KafkaTestSupport
import Testing

@Suite("Test support", .timeLimit(.minutes(1)))
struct TestSupportTests {
    @Test("a broker started from async code honours SIGTERM (spawned with a clean signal mask)")
    func brokerStopsPolitely() async throws {
        let broker = try await TansuBroker.start()
        let start = ContinuousClock.now
        broker.stop()
        // stop() falls back to SIGKILL after 5 s; a child that ignored SIGTERM would take that long.
        #expect(ContinuousClock.now - start < .seconds(4))
    }
}
