import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// llama.cpp server's `GET /health`: `{"status":"ok"}`, or 503 `Loading model` (llama.cpp's
/// error shape) while the fake is told it is loading (`POST /fake/llamacpp/loading`
/// `{"loading": true|false}`, a test knob). Its chat endpoint is the OpenAI one.
struct LlamaCppRoutes: Sendable {
    let upstream: FakeUpstream
    let registry: OllamaModelRegistry

    func register(on router: Router<BasicRequestContext>) {
        router.get("health") { _, _ in
            guard !registry.llamaCppLoading.load(ordering: .relaxed) else {
                return upstream.json(
                    ["error": ["code": 503, "message": "Loading model", "type": "unavailable_error"] as [String: Any]],
                    status: .serviceUnavailable)
            }
            return upstream.json(["status": "ok"])
        }
        router.post("fake/llamacpp/loading") { request, _ in
            guard let body = await upstream.body(of: request), let loading = body["loading"] as? Bool else {
                return upstream.json(["error": "expected {\"loading\": true|false}"], status: .badRequest)
            }
            registry.llamaCppLoading.store(loading, ordering: .relaxed)
            return upstream.json(["loading": loading])
        }
    }
}
