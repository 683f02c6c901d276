public import Signals

/// Which asking signal carries a request: `provider_request`, `stream_request` (answered by
/// `stream_chunk`s, then the `provider_response`) or `vision_request`.
public enum ProviderRequestKind: String, Sendable, Hashable, CaseIterable {
    case chat = "provider_request"
    case stream = "stream_request"
    case vision = "vision_request"

    /// `stream` when the request asks to stream (`stream: true`), else `chat`.
    public static func inferred(from request: ProviderRequest) -> ProviderRequestKind {
        request.stream == true ? .stream : .chat
    }

    func signal(_ request: ProviderRequest) -> Signal {
        switch self {
        case .chat: .providerRequest(request)
        case .stream: .streamRequest(request)
        case .vision: .visionRequest(request)
        }
    }
}
