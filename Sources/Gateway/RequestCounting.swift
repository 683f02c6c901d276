import Hummingbird

/// Counts every HTTP request a gateway answers, by API and status (`provider_agents.gateway.requests`).
struct RequestCounting<Context: RequestContext>: RouterMiddleware {
    let gateway: Gateway

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let api = Self.api(request.uri.path)
        do {
            let response = try await next(request, context)
            gateway.count(api: api, status: Int(response.status.code))
            return response
        } catch {
            gateway.count(api: api, status: Int((error as? any HTTPResponseError)?.status.code ?? 500))
            throw error
        }
    }

    /// The API a path belongs to.
    static func api(_ path: String) -> String {
        let apis = [
            ("/v1/chat/completions", "openai"), ("/v1/messages", "anthropic"), ("/v1/files", "files"),
            ("/v1/batches", "batches"), ("/v1/models", "models"), ("/health", "health"),
        ]
        return apis.first { path.hasPrefix($0.0) }?.1 ?? "other"
    }
}
