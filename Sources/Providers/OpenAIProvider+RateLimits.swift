public import AgentCore

extension OpenAIProvider {
    /// The rate-limit headers of the upstream's latest answer for `model`.
    public func upstreamRateLimit(model: String) -> UpstreamRateLimit? {
        upstream.rateLimits.latest(model: model)
    }
}
