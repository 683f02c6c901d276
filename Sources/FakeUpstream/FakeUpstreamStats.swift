/// What a fake upstream served: requests per route (`POST /v1/chat/completions`), faults per
/// kind (`429`, `cut`, …; asked per request or scripted). Tests count upstream calls with it.
public struct FakeUpstreamStats: Sendable, Hashable {
    public var requests: [String: Int]
    public var faults: [String: Int]

    public init(requests: [String: Int] = [:], faults: [String: Int] = [:]) {
        self.requests = requests
        self.faults = faults
    }

    public var totalRequests: Int { requests.values.reduce(0, +) }
    public var totalFaults: Int { faults.values.reduce(0, +) }
}
