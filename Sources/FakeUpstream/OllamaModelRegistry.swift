import Foundation
import Synchronization

/// The fake Ollama's models: what it "has" (`/api/tags`, `/api/show`) and which are loaded now
/// (`/api/ps`). Loading a model that is not loaded takes ``loadTime`` (deterministic), reported as
/// `load_duration`; a model stays loaded until its keep-alive expires or it is unloaded
/// (`keep_alive: 0`).
final class OllamaModelRegistry: Sendable {
    /// A model the fake serves: the figures `/api/show` and `/api/ps` report.
    struct Model: Sendable {
        var family: String
        var parameterSize: String
        var contextLength: Int
        var sizeBytes: Int
        var capabilities: [String]
    }

    static let catalog: [String: Model] = [
        "llama3.1:8b": Model(
            family: "llama", parameterSize: "8.0B", contextLength: 131_072, sizeBytes: 4_920_753_328,
            capabilities: ["completion", "tools"]),
        "qwen2.5:7b": Model(
            family: "qwen2", parameterSize: "7.6B", contextLength: 32_768, sizeBytes: 4_683_087_332,
            capabilities: ["completion", "tools"]),
        "mistral:7b": Model(
            family: "llama", parameterSize: "7.2B", contextLength: 32_768, sizeBytes: 4_113_301_824,
            capabilities: ["completion", "tools"]),
    ]

    /// Ollama's default keep-alive (5 minutes).
    static let defaultKeepAlive: Duration = .seconds(300)

    /// How long loading a model takes. Default 50 ms.
    let loadTime: Duration
    /// Loaded model → when it expires (`nil`: never).
    private let loaded = Mutex<[String: Date?]>([:])
    /// llama.cpp's `/health` answers 503 "Loading model" while this is set.
    let llamaCppLoading = Atomic<Bool>(false)

    init(loadTime: Duration = .milliseconds(50)) {
        self.loadTime = loadTime
    }

    /// Makes sure `model` is loaded, for `keepAlive` (`nil`: forever) from now; the time spent
    /// loading (zero when it already was).
    func load(_ model: String, keepAlive: Duration?, now: Date = Date()) async -> Duration {
        let expiry = keepAlive.map {
            now.addingTimeInterval(Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18)
        }
        let wasLoaded = loaded.withLock { models -> Bool in
            let present = models[model].map { $0.map { $0 > now } ?? true } ?? false
            models[model] = expiry
            return present
        }
        guard !wasLoaded else { return .zero }
        try? await Task.sleep(for: loadTime)
        return loadTime
    }

    /// Unloads `model`; whether it was loaded.
    @discardableResult
    func unload(_ model: String) -> Bool {
        loaded.withLock { $0.removeValue(forKey: model) != nil }
    }

    /// The models loaded at `now`, by name, with their expiry (`nil`: never).
    func loadedModels(at now: Date = Date()) -> [(name: String, expiresAt: Date?)] {
        loaded.withLock { models in
            models = models.filter { $0.value.map { $0 > now } ?? true }
            return models.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    /// Ollama's `keep_alive`: seconds as a number, a Go duration string (`"10m"`, `"1h30m"`,
    /// `"45s"`, `"0"`); negative = forever (`nil`). Absent → the default. `.failure` names the problem.
    static func keepAlive(_ value: Any?) -> Result<Duration?, KeepAliveError> {
        switch value {
        case nil, is NSNull:
            return .success(defaultKeepAlive)
        case let number as NSNumber:
            let seconds = number.doubleValue
            return .success(seconds < 0 ? nil : .milliseconds(Int64(seconds * 1000)))
        case let text as String:
            guard let seconds = goDuration(text) else { return .failure(KeepAliveError(text: "\(text)")) }
            return .success(seconds < 0 ? nil : .milliseconds(Int64(seconds * 1000)))
        default:
            return .failure(KeepAliveError(text: "\(value!)"))
        }
    }

    struct KeepAliveError: Error {
        var text: String
        var message: String { "time: invalid duration \"\(text)\"" }
    }

    /// Seconds of a Go duration string (`300`, `5m`, `1h30m`, `-1`, `2.5s`, `100ms`).
    static func goDuration(_ text: String) -> Double? {
        if let plain = Double(text) { return plain }
        var rest = Substring(text)
        var sign = 1.0
        if rest.hasPrefix("-") {
            sign = -1
            rest = rest.dropFirst()
        }
        var total = 0.0
        var matched = false
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
            matched = true
        }
        return matched ? sign * total : nil
    }
}
