public import AgentCore

/// Where and how an HTTP provider adapter calls its upstream.
public struct HTTPProviderConfiguration: Sendable {
    /// Scheme, host and port (and a path prefix, if any): `https://api.openai.com`, or any
    /// OpenAI-compatible server (llama.cpp, vLLM, the fake upstream).
    public var baseURL: String
    /// Sent as the provider expects it; never logged, never in signals or status.
    public var apiKey: String?
    /// The whole call, first byte to last (streams included). Default 120 s.
    public var requestTimeout: Duration
    /// The models this adapter serves, with their context windows and features.
    public var models: [ModelInfo]
    /// Largest response body read (non-streamed). Default 16 MiB.
    public var maxResponseBytes: Int
    /// Sent with every request (an organisation or project header, a proxy's, a test fault).
    public var extraHeaders: [String: String] = [:]
    /// Largest decoded inline image accepted (checked before any call). Default 5 MiB
    /// (Anthropic's limit; OpenAI accepts 20 MB).
    public var maxImageBytes: Int = 5 << 20
    /// Most images accepted in one request (checked before any call). Default 100 (Anthropic's
    /// limit).
    public var maxImages: Int = 100

    public init(
        baseURL: String, apiKey: String? = nil, requestTimeout: Duration = .seconds(120),
        models: [ModelInfo], maxResponseBytes: Int = 16 << 20
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.requestTimeout = requestTimeout
        self.models = models
        self.maxResponseBytes = maxResponseBytes
    }
}
