import Foundation
public import Providers

/// Settings of the HTTP backends (`openai`, ...): where the upstream is and which environment
/// variable holds its API key. The key itself is read from the environment at start and never
/// logged; only the variable's name appears in logs.
public struct HTTPBackendSettings: Sendable, Hashable {
    /// Default: the provider's public API (`https://api.openai.com` for `openai`).
    public var baseURL: String?
    /// Default: `OPENAI_API_KEY` for `openai`.
    public var apiKeyEnvironmentVariable: String?
    /// Default 120 s.
    public var requestTimeout: Duration?
    /// The process's HTTP client: connect / read timeouts, connection pool, TLS (file keys
    /// `connect_timeout_ms`, `read_timeout_ms`, `max_connections`, `idle_timeout_ms`, `ca_file`,
    /// `verify_certificates`).
    public var client = HTTPClientSettings()

    public init(baseURL: String? = nil, apiKeyEnvironmentVariable: String? = nil, requestTimeout: Duration? = nil) {
        self.baseURL = baseURL
        self.apiKeyEnvironmentVariable = apiKeyEnvironmentVariable
        self.requestTimeout = requestTimeout
    }

    func overlaid(with overrides: HTTPBackendSettings) -> HTTPBackendSettings {
        var merged = HTTPBackendSettings(
            baseURL: overrides.baseURL ?? baseURL,
            apiKeyEnvironmentVariable: overrides.apiKeyEnvironmentVariable ?? apiKeyEnvironmentVariable,
            requestTimeout: overrides.requestTimeout ?? requestTimeout
        )
        merged.client = client
        return merged
    }

    /// What is wrong with a base URL, if anything.
    static func baseURLProblem(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            return "'\(text)' is not an http(s) URL with a host"
        }
        return nil
    }
}
