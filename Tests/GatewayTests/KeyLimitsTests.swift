import AgentCore
import Gateway
import Testing

@Suite("Gateway: key limits shared by the live gateways")
struct KeyLimitsTests {
    private let t0 = ContinuousClock.now

    @Test("live gateways: this one always, others while they beat, not after stopping or three missed beats")
    func peers() {
        var peers = GatewayPeers(own: "g1")
        #expect(peers.live(at: t0) == 1 && peers.share(at: t0) == 1)
        peers.apply(.init(instance: "g2", intervalMs: 1_000), at: t0)
        peers.apply(.init(instance: "g3", intervalMs: 1_000), at: t0)
        peers.apply(.init(instance: "g1", intervalMs: 1_000), at: t0)
        #expect(peers.live(at: t0 + .seconds(3)) == 3, "three missed beats is the edge")
        peers.apply(.init(instance: "g3", intervalMs: 1_000, stopping: true), at: t0 + .seconds(1))
        #expect(peers.live(at: t0 + .seconds(1)) == 2, "a stopping gateway is dropped at once")
        #expect(peers.live(at: t0 + .milliseconds(3_001)) == 1, "a silent gateway is dropped")
        #expect(peers.share(at: t0 + .seconds(1)) == 0.5)
    }

    @Test("each gateway admits its share, rounded down; keys without a limit are always admitted")
    func limits() {
        let keys = [
            GatewayKey(name: "a", secret: "sa", rateLimit: RateLimitPolicy(requestsPerWindow: 7, window: .seconds(60))),
            GatewayKey(name: "b", secret: "sb"),
        ]
        var limits = KeyLimits(keys: keys, share: 0.5)
        #expect(limits.localRequestLimit("a") == 3, "7 × 1/2 rounds down: the gateways never admit more than 7")
        let admitted = (0..<5).filter { _ in limits.admit("a", tokens: 10, at: t0).isAdmitted }.count
        #expect(admitted == 3)
        guard case .rejected(.requests, let retry?) = limits.admit("a", tokens: 10, at: t0) else {
            Issue.record("the fourth request is refused with a time to retry")
            return
        }
        #expect(retry > .zero && retry <= .seconds(60))
        #expect((0..<100).allSatisfy { _ in limits.admit("b", tokens: 10, at: t0).isAdmitted })
        limits.setShare(1)
        #expect(limits.localRequestLimit("a") == 7)
        #expect(limits.admit("a", tokens: 10, at: t0).isAdmitted, "a larger share admits more, the count kept")
    }
}
