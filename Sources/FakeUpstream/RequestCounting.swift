import Hummingbird

/// Counts every request by route (`POST /v1/chat/completions`) for `GET /fake/stats`; the
/// fake's own `/fake/*` routes are not counted.
struct RequestCounting: RouterMiddleware {
    typealias Context = BasicRequestContext
    let state: FakeUpstreamState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        if !path.hasPrefix("/fake/") { state.countRequest("\(request.method.rawValue) \(path)") }
        return try await next(request, context)
    }
}
