import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/chat` (NDJSON stream by default, one JSON object with `stream: false`),
/// `GET /api/tags`; Ollama-style errors.
struct OllamaRoutes: Sendable {
    let upstream: FakeUpstream
    /// `/api/ps`, `/api/show`, `/api/generate`; load / unload, images and tools for `/api/chat`.
    let management: OllamaManagementRoutes

    static let models = ["llama3.1:8b", "qwen2.5:7b", "mistral:7b"]

    func register(on router: Router<BasicRequestContext>) {
        router.post("api/chat") { request, _ in await chat(request) }
        management.register(on: router)
        router.get("api/tags") { _, _ in
            upstream.json([
                "models": Self.models.compactMap { name -> [String: Any]? in
                    guard let model = OllamaModelRegistry.catalog[name] else { return nil }
                    return [
                        "name": name, "model": name, "modified_at": "2026-11-01T00:00:00Z", "size": model.sizeBytes,
                        "digest": String(repeating: "a", count: 64),
                        "details": OllamaManagementRoutes.details(model),
                    ]
                }
            ])
        }
    }

    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        upstream.json(["error": message], status: status)
    }

    func chat(_ request: Request) async -> Response {
        guard let body = await upstream.body(of: request) else { return error(.badRequest, "invalid JSON body") }
        guard let model = body["model"] as? String, !model.isEmpty else {
            return error(.badRequest, "model is required")
        }
        guard Self.models.contains(model) else {
            return error(.notFound, "model \"\(model)\" not found, try pulling it first")
        }
        let messages = body["messages"] as? [[String: Any]] ?? []
        if let problem = OllamaManagementRoutes.imageProblem(messages) { return error(.badRequest, problem) }
        if messages.isEmpty, let answer = await management.loadOrUnload(body, model: model, chat: true) {
            return answer
        }
        let loadDuration: Duration
        switch OllamaModelRegistry.keepAlive(body["keep_alive"]) {
        case .success(let keepAlive): loadDuration = await management.registry.load(model, keepAlive: keepAlive)
        case .failure(let problem): return error(.badRequest, problem.message)
        }
        let toolCalls = OllamaManagementRoutes.toolCalls(body, messages: messages)
        let decision = upstream.decide(request, provider: .ollama, model: model)
        let latency = decision.latency
        if let answer = await upstream.prelude(
            decision, malformedContentType: "application/x-ndjson",
            error: { _ in error(.internalServerError, "llama runner process has terminated") })
        {
            return answer
        }
        let completion = FakeCompletion(provider: "ollama", model: model, messages: messages)
        let created = Date().ISO8601Format(.iso8601.time(includingFractionalSeconds: true).year().month().day())
        let nanos =
            Int(latency.components.seconds) * 1_000_000_000 + Int(latency.components.attoseconds / 1_000_000_000)
        var message: [String: Any] = ["role": "assistant", "content": toolCalls == nil ? completion.text : ""]
        if let toolCalls { message["tool_calls"] = toolCalls }
        let loadNanos = OllamaManagementRoutes.nanoseconds(loadDuration)
        let final: [String: Any] = [
            "model": model, "created_at": created, "message": message,
            "done": true, "done_reason": decision.finishReason("stop"), "total_duration": nanos + loadNanos + 1_000_000,
            "load_duration": loadNanos,
            "prompt_eval_count": completion.promptTokens, "prompt_eval_duration": 500_000,
            "eval_count": completion.completionTokens, "eval_duration": nanos + 500_000,
        ]
        guard body["stream"] as? Bool ?? true else { return upstream.json(final) }
        // A streamed tool call arrives whole in one chunk, as Ollama sends it.
        let pieces = toolCalls == nil ? completion.pieces(upstream.configuration.streamChunks) : []
        let toolLine = toolCalls.map {
            FakeUpstream.line([
                "model": model, "created_at": created,
                "message": ["role": "assistant", "content": "", "tool_calls": $0] as [String: Any], "done": false,
            ])
        }
        let cut = decision.cut
        let slowFirstByte = decision.slowFirstByte
        var last = final
        last["message"] = ["role": "assistant", "content": ""]
        let lastLine = FakeUpstream.line(last)
        return upstream.stream(contentType: "application/x-ndjson") { writer in
            if slowFirstByte { try await Task.sleep(for: .seconds(2)) }
            for (index, piece) in pieces.enumerated() {
                if cut, index == pieces.count / 2 { try await FakeUpstream.cut() }
                try await writer.write(
                    FakeUpstream.line([
                        "model": model, "created_at": created, "message": ["role": "assistant", "content": piece],
                        "done": false,
                    ]))
            }
            if let toolLine { try await writer.write(toolLine) }
            try await writer.write(lastLine)
            try await writer.finish(nil)
        }
    }
}
