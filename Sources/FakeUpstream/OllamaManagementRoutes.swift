import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Ollama's model management, as the fake plays it: `GET /api/ps` (loaded models with size,
/// size_vram, expires_at), `POST /api/show` (details, `model_info["<family>.context_length"]`;
/// 404 for an unknown model), `POST /api/generate` (a prompt, or load / unload with none), and
/// what `/api/chat` (``OllamaRoutes``) shares: load / unload with empty `messages` and
/// `keep_alive`, `images` validation, deterministic `tool_calls`.
struct OllamaManagementRoutes: Sendable {
    let upstream: FakeUpstream
    let registry: OllamaModelRegistry

    init(upstream: FakeUpstream, registry: OllamaModelRegistry = OllamaModelRegistry()) {
        self.upstream = upstream
        self.registry = registry
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/ps") { _, _ in ps() }
        router.post("api/show") { request, _ in await show(request) }
        router.post("api/generate") { request, _ in await generate(request) }
    }

    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        upstream.json(["error": message], status: status)
    }

    static func timestamp(_ date: Date = Date()) -> String {
        date.ISO8601Format(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func details(_ model: OllamaModelRegistry.Model) -> [String: Any] {
        [
            "parent_model": "", "format": "gguf", "family": model.family, "families": [model.family],
            "parameter_size": model.parameterSize, "quantization_level": "Q4_K_M",
        ]
    }

    func ps() -> Response {
        let models = registry.loadedModels().compactMap { loaded -> [String: Any]? in
            guard let model = OllamaModelRegistry.catalog[loaded.name] else { return nil }
            return [
                "name": loaded.name, "model": loaded.name, "size": model.sizeBytes, "size_vram": model.sizeBytes,
                "digest": String(repeating: "a", count: 64), "details": Self.details(model),
                "expires_at": Self.timestamp(loaded.expiresAt ?? Date(timeIntervalSince1970: 11_000_000_000)),
                "context_length": model.contextLength,
            ]
        }
        return upstream.json(["models": models])
    }

    func show(_ request: Request) async -> Response {
        guard let body = await upstream.body(of: request) else { return error(.badRequest, "invalid JSON body") }
        guard let name = body["model"] as? String ?? body["name"] as? String, !name.isEmpty else {
            return error(.badRequest, "model is required")
        }
        guard let model = OllamaModelRegistry.catalog[name] else {
            return error(.notFound, "model '\(name)' not found")
        }
        return upstream.json([
            "modelfile": "FROM \(name)\n", "parameters": "stop \"<|eot_id|>\"", "template": "{{ .Prompt }}",
            "license": "fake",
            "details": Self.details(model),
            "model_info": [
                "general.architecture": model.family, "general.parameter_count": 8_030_261_248,
                "\(model.family).context_length": model.contextLength, "\(model.family).embedding_length": 4096,
            ] as [String: Any],
            "capabilities": model.capabilities,
            "modified_at": "2026-11-01T00:00:00Z",
        ])
    }

    /// `/api/generate`: with a `prompt`, a completion (NDJSON `response` pieces, or one object);
    /// without one, load (or unload with `keep_alive: 0`) like `/api/chat` with no messages.
    func generate(_ request: Request) async -> Response {
        guard let body = await upstream.body(of: request) else { return error(.badRequest, "invalid JSON body") }
        guard let model = body["model"] as? String, !model.isEmpty else {
            return error(.badRequest, "model is required")
        }
        guard OllamaModelRegistry.catalog[model] != nil else {
            return error(.notFound, "model \"\(model)\" not found, try pulling it first")
        }
        let prompt = body["prompt"] as? String ?? ""
        if prompt.isEmpty, let answer = await loadOrUnload(body, model: model, chat: false) { return answer }
        let keepAlive: Duration?
        switch OllamaModelRegistry.keepAlive(body["keep_alive"]) {
        case .success(let value): keepAlive = value
        case .failure(let problem): return error(.badRequest, problem.message)
        }
        let loadDuration = await registry.load(model, keepAlive: keepAlive)
        let completion = FakeCompletion(
            provider: "ollama", model: model, messages: [["role": "user", "content": prompt]])
        let final: [String: Any] = [
            "model": model, "created_at": Self.timestamp(),
            "response": body["stream"] as? Bool == false ? completion.text : "", "done": true,
            "done_reason": "stop", "total_duration": Self.nanoseconds(loadDuration) + 2_000_000,
            "load_duration": Self.nanoseconds(loadDuration),
            "prompt_eval_count": completion.promptTokens, "prompt_eval_duration": 500_000,
            "eval_count": completion.completionTokens, "eval_duration": 1_000_000,
        ]
        guard body["stream"] as? Bool ?? true else { return upstream.json(final) }
        let lines =
            completion.pieces(upstream.configuration.streamChunks).map { piece in
                FakeUpstream.line(["model": model, "created_at": Self.timestamp(), "response": piece, "done": false])
            } + [FakeUpstream.line(final)]
        return upstream.stream(contentType: "application/x-ndjson") { writer in
            for line in lines { try await writer.write(line) }
            try await writer.finish(nil)
        }
    }

    // MARK: Shared with /api/chat

    /// A request with nothing to answer (no messages / no prompt): loads the model for
    /// `keep_alive` (`done_reason: "load"`, `load_duration`), or unloads it with `keep_alive: 0`
    /// (`done_reason: "unload"`). A bad `keep_alive` is a 400.
    func loadOrUnload(_ body: [String: Any], model: String, chat: Bool) async -> Response? {
        let keepAlive: Duration?
        switch OllamaModelRegistry.keepAlive(body["keep_alive"]) {
        case .success(let value): keepAlive = value
        case .failure(let problem): return error(.badRequest, problem.message)
        }
        var answer: [String: Any] = ["model": model, "created_at": Self.timestamp(), "done": true]
        if chat { answer["message"] = ["role": "assistant", "content": ""] } else { answer["response"] = "" }
        if keepAlive == .zero {
            registry.unload(model)
            answer["done_reason"] = "unload"
        } else {
            let loadDuration = await registry.load(model, keepAlive: keepAlive)
            answer["done_reason"] = "load"
            answer["load_duration"] = Self.nanoseconds(loadDuration)
            answer["total_duration"] = Self.nanoseconds(loadDuration) + 100_000
        }
        return upstream.json(answer)
    }

    /// What is wrong with the messages' `images` (Ollama: base64 strings), if anything; Ollama
    /// answers 400 `illegal base64 data at input byte N`.
    static func imageProblem(_ messages: [[String: Any]]) -> String? {
        for message in messages {
            guard let images = message["images"] else { continue }
            guard let list = images as? [Any] else { return "images must be a list of base64 strings" }
            for image in list {
                guard let text = image as? String else { return "images must be a list of base64 strings" }
                guard Data(base64Encoded: text) == nil else { continue }
                let bad = text.unicodeScalars.firstIndex {
                    !($0.properties.isASCIIHexDigit || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || $0 == "+"
                        || $0 == "/" || $0 == "=")
                }
                let offset =
                    bad.map { text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: $0) }
                    ?? text.unicodeScalars.count
                return "illegal base64 data at input byte \(offset)"
            }
        }
        return nil
    }

    /// With `tools` offered and the last user message saying `call <tool name>` or `use a
    /// tool`: a call of the first tool in Ollama's shape (`{function: {name, arguments: {...}}}`,
    /// arguments an object), `{"question": <the message>}`.
    static func toolCalls(_ body: [String: Any], messages: [[String: Any]]) -> [[String: Any]]? {
        let tools = body["tools"] as? [[String: Any]] ?? []
        let lastUser =
            messages.last { $0["role"] as? String == "user" }.map { FakeCompletion.text(of: $0["content"]) } ?? ""
        guard let function = tools.first?["function"] as? [String: Any], let name = function["name"] as? String,
            lastUser.lowercased().contains("call \(name.lowercased())") || lastUser.lowercased().contains("use a tool")
        else { return nil }
        return [["function": ["name": name, "arguments": ["question": lastUser]] as [String: Any]]]
    }

    static func nanoseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1_000_000_000 + Int(duration.components.attoseconds / 1_000_000_000)
    }
}
