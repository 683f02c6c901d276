public import AgentCore
import AsyncHTTPClient
import Foundation
import NIOCore

// Model management over Ollama's API: load (`/api/chat` with no messages and `keep_alive`),
// unload (`keep_alive: 0`), `/api/ps`, `/api/tags`, `/api/show`.
extension OllamaProvider: LocalModelManaging {
    public func load(model: String, keepAlive: Duration?) async throws(ProviderCallError) -> LoadedModel {
        var body: [String: Any] = ["model": model, "messages": [[String: Any]](), "stream": false]
        if let keepAlive { body["keep_alive"] = Int(keepAlive.components.seconds) }
        let started = ContinuousClock.now
        let object = try await json(try await post("/api/chat", body))
        let measured = ContinuousClock.now - started
        guard object["done"] as? Bool == true else {
            throw ProviderCallError(
                type: .providerError, message: "upstream did not confirm the load of '\(model)'", retryable: true,
                breakerKind: .upstreamServerError)
        }
        // Ollama's own figure; 0 when the model was already loaded.
        let reported = (object["load_duration"] as? Int).map { Duration.nanoseconds($0) }
        let size = try? await loadedModels().first { $0.name == model }
        return LoadedModel(
            name: model, sizeBytes: size?.sizeBytes, vramBytes: size?.vramBytes, loadDuration: reported ?? measured)
    }

    public func unload(model: String) async throws(ProviderCallError) -> Int? {
        let before = try? await loadedModels().first { $0.name == model }
        let object = try await json(
            try await post(
                "/api/chat", ["model": model, "messages": [[String: Any]](), "keep_alive": 0, "stream": false]))
        guard object["done"] as? Bool == true else {
            throw ProviderCallError(
                type: .providerError, message: "upstream did not confirm the unload of '\(model)'", retryable: true,
                breakerKind: .upstreamServerError)
        }
        return before?.sizeBytes
    }

    public func loadedModels() async throws(ProviderCallError) -> [LoadedModel] {
        let object = try await get("/api/ps")
        guard let entries = object["models"] as? [[String: Any]] else {
            throw ProviderCallError(
                type: .providerError, message: "upstream /api/ps answer has no models list", retryable: true,
                breakerKind: .upstreamServerError)
        }
        return entries.compactMap { entry in
            guard let name = entry["model"] as? String ?? entry["name"] as? String else { return nil }
            return LoadedModel(name: name, sizeBytes: entry["size"] as? Int, vramBytes: entry["size_vram"] as? Int)
        }
    }

    public func availableModels() async throws(ProviderCallError) -> [LocalModel] {
        let object = try await get("/api/tags")
        guard let entries = object["models"] as? [[String: Any]] else {
            throw ProviderCallError(
                type: .providerError, message: "upstream /api/tags answer has no models list", retryable: true,
                breakerKind: .upstreamServerError)
        }
        var models: [LocalModel] = []
        for entry in entries {
            guard let name = entry["model"] as? String ?? entry["name"] as? String else { continue }
            let details = entry["details"] as? [String: Any]
            models.append(
                LocalModel(
                    name: name, sizeBytes: entry["size"] as? Int, family: details?["family"] as? String,
                    contextLength: try? await contextLength(model: name)
                ))
        }
        return models
    }

    /// `/api/show`'s `model_info["<architecture>.context_length"]`, asked once per model.
    public func contextLength(model: String) async throws(ProviderCallError) -> Int? {
        if let known = contextLengths.withLock({ $0[model] }) { return known }
        let object = try await json(try await post("/api/show", ["model": model]))
        guard let info = object["model_info"] as? [String: Any] else { return nil }
        let architecture = info["general.architecture"] as? String
        let length =
            architecture.flatMap { info["\($0).context_length"] as? Int }
            ?? info.first { $0.key.hasSuffix(".context_length") }?.value as? Int
        if let length { contextLengths.withLock { $0[model] = length } }
        return length
    }

    // MARK: HTTP

    private func get(_ path: String) async throws(ProviderCallError) -> [String: Any] {
        var http = HTTPClientRequest(url: configuration.baseURL + path)
        http.method = .GET
        for (name, value) in configuration.extraHeaders { http.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            let timeout = configuration.requestTimeout.components
            response = try await client.execute(
                http, timeout: .nanoseconds(timeout.seconds * 1_000_000_000 + timeout.attoseconds / 1_000_000_000))
        } catch {
            throw HTTPUpstream.transportError(error)
        }
        guard response.status == .ok else {
            let text = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            throw HTTPErrorMapping.error(
                status: Int(response.status.code), message: String(text.prefix(300)), headers: [:])
        }
        return try await json(response)
    }

    private func json(_ response: HTTPClientResponse) async throws(ProviderCallError) -> [String: Any] {
        let body = try await upstream.body(of: response)
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw ProviderCallError(
                type: .providerError,
                message: "upstream answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))",
                retryable: true, breakerKind: .upstreamServerError)
        }
        return object
    }
}
