public import Common
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

    /// The rules of the HTTP backends' settings, whatever set them: an http(s) base URL with a
    /// host, a variable name, timeouts of at least 1 ms, 1 to 65535 connections per host, a
    /// readable CA file. Fields under `http`.
    public func validate() throws(InvalidSetting) {
        if let baseURL {
            guard let url = URL(string: baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw InvalidSetting(["http", "base_url"], "'\(baseURL)' is not an http(s) URL with a host")
            }
        }
        if let variable = apiKeyEnvironmentVariable { try SettingRule.nonEmpty(variable, at: ["http", "api_key_env"]) }
        if let requestTimeout {
            try SettingRule.atLeast(requestTimeout, milliseconds: 1, at: ["http", "request_timeout_ms"])
        }
        try SettingRule.atLeast(client.connectTimeout, milliseconds: 1, at: ["http", "connect_timeout_ms"])
        if let timeout = client.readTimeout {
            try SettingRule.atLeast(timeout, milliseconds: 1, at: ["http", "read_timeout_ms"])
        }
        try SettingRule.inRange(client.maxConnectionsPerHost, 1, 65_535, at: ["http", "max_connections"])
        try SettingRule.atLeast(client.idleTimeout, milliseconds: 1, at: ["http", "idle_timeout_ms"])
        if let caFile = client.caFile {
            try SettingRule.nonEmpty(caFile, at: ["http", "ca_file"])
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw InvalidSetting(["http", "ca_file"], "'\(caFile)' is not a readable file")
            }
        }
    }
}
