import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `POST /api/chat` (NDJSON stream by default, one JSON object with `stream: false`),
/// `GET /api/tags`; Ollama-style errors.
struct OllamaRoutes: Sendable {
    let upstream: FakeUpstream

    static let models = ["llama3.1:8b", "qwen2.5:7b", "mistral:7b"]

    func register(on router: Router<BasicRequestContext>) {
        router.post("api/chat") { request, _ in await chat(request) }
        router.get("api/tags") { _, _ in
            upstream.json(["models": Self.models.map { name -> [String: Any] in
                [
                    "name": name, "model": name, "modified_at": "2026-11-01T00:00:00Z", "size": 4_920_753_328, "digest": String(repeating: "a", count: 64),
                    "details": ["format": "gguf", "family": "llama", "parameter_size": "8B", "quantization_level": "Q4_K_M"] as [String: Any],
                ]
            }])
        }
    }

    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        upstream.json(["error": message], status: status)
    }

    func chat(_ request: Request) async -> Response {
        guard let body = await upstream.body(of: request) else { return error(.badRequest, "invalid JSON body") }
        guard let model = body["model"] as? String, !model.isEmpty else { return error(.badRequest, "model is required") }
        guard Self.models.contains(model) else { return error(.notFound, "model \"\(model)\" not found, try pulling it first") }
        let messages = body["messages"] as? [[String: Any]] ?? []
        let decision = upstream.decide(request, provider: .ollama, model: model)
        let latency = decision.latency
        if let answer = await upstream.prelude(decision, malformedContentType: "application/x-ndjson", error: { _ in error(.internalServerError, "llama runner process has terminated") }) {
            return answer
        }
        let completion = FakeCompletion(provider: "ollama", model: model, messages: messages)
        let created = Date().ISO8601Format(.iso8601.time(includingFractionalSeconds: true).year().month().day())
        let nanos = Int(latency.components.seconds) * 1_000_000_000 + Int(latency.components.attoseconds / 1_000_000_000)
        let final: [String: Any] = [
            "model": model, "created_at": created, "message": ["role": "assistant", "content": messages.isEmpty ? "" : completion.text],
            "done": true, "done_reason": messages.isEmpty ? "load" : decision.finishReason("stop"), "total_duration": nanos + 1_000_000, "load_duration": 1_000_000,
            "prompt_eval_count": completion.promptTokens, "prompt_eval_duration": 500_000,
            "eval_count": completion.completionTokens, "eval_duration": nanos + 500_000,
        ]
        guard body["stream"] as? Bool ?? true, !messages.isEmpty else { return upstream.json(final) }
        let pieces = completion.pieces(upstream.configuration.streamChunks)
        let cut = decision.cut
        let slowFirstByte = decision.slowFirstByte
        var last = final
        last["message"] = ["role": "assistant", "content": ""]
        let lastLine = FakeUpstream.line(last)
        return upstream.stream(contentType: "application/x-ndjson") { writer in
            if slowFirstByte { try await Task.sleep(for: .seconds(2)) }
            for (index, piece) in pieces.enumerated() {
                if cut, index == pieces.count / 2 { try await FakeUpstream.cut() }
                try await writer.write(FakeUpstream.line([
                    "model": model, "created_at": created, "message": ["role": "assistant", "content": piece], "done": false,
                ]))
            }
            try await writer.write(lastLine)
            try await writer.finish(nil)
        }
    }
}
