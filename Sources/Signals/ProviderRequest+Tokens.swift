extension ProviderRequest {
    /// The largest token estimate (2^40).
    public static let maximumTokenEstimate = 1 << 40

    /// Prompt tokens estimated at 4 bytes per token (plus per-message overhead), plus `max_tokens`
    /// (`defaultMaxTokens` when the request names none). What admission charges against token
    /// budgets and what routing compares with a provider's context.
    public func estimatedTokens(defaultMaxTokens: Int) -> Int {
        let promptBytes = messages.reduce(0) { $0 + $1.content.plainText.utf8.count + 16 }
        // Capped (a `max_tokens` near Int.max must not overflow here or in the token budgets):
        // far above any budget, so such a request is refused as never fitting.
        return min(
            (promptBytes + 3) / 4 + min(maxTokens ?? defaultMaxTokens, Self.maximumTokenEstimate),
            Self.maximumTokenEstimate)
    }
}
