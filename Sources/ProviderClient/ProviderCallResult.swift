public import Signals

/// The final answer to one request: the `provider_response` or the final `provider_error`, the
/// `stream_chunk`s that came before it (streamed requests), and where it came from.
public struct ProviderCallResult: Sendable, Hashable {
    /// The final answer.
    public enum Outcome: Sendable, Hashable {
        case response(ProviderResponse)
        /// A final error (`ProviderError.isFinal`): the request ended without an answer.
        case error(ProviderError)
    }

    public var requestID: String
    public var outcome: Outcome
    /// The final answer's envelope as received (its `id`, `source`, `time`).
    public var envelope: SignalEnvelope
    /// The stream's chunks, one per index, in index order (empty when nothing was streamed), all
    /// of one run: the first run the client saw (`ProviderClientStats.otherRunChunks`).
    public var chunks: [StreamChunk]
    /// From the acknowledged send to the final answer's arrival at this client.
    public var latency: Duration

    public init(
        requestID: String, outcome: Outcome, envelope: SignalEnvelope, chunks: [StreamChunk] = [], latency: Duration
    ) {
        self.requestID = requestID
        self.outcome = outcome
        self.envelope = envelope
        self.chunks = chunks
        self.latency = latency
    }

    /// The response, when the request succeeded.
    public var response: ProviderResponse? {
        if case .response(let response) = outcome { return response }
        return nil
    }

    /// The final error, when the request failed.
    public var error: ProviderError? {
        if case .error(let error) = outcome { return error }
        return nil
    }

    public var succeeded: Bool { response != nil }

    /// The answer's text, when the request succeeded.
    public var text: String? { response?.response }

    /// The route the request took (routed requests): earlier attempts with their errors, and
    /// the candidates that were left. `nil` for requests sent straight to a provider.
    public var route: RouteContext? {
        switch outcome {
        case .response(let response): response.route
        case .error(let error): error.route
        }
    }

    /// The provider that answered (or failed last).
    public var provider: String? {
        switch outcome {
        case .response(let response): response.provider
        case .error(let error): error.provider
        }
    }

    public var model: String? {
        switch outcome {
        case .response(let response): response.model
        case .error(let error): error.model
        }
    }

    /// The agent instance that answered (a router's name for errors it decided itself).
    public var instance: String? {
        switch outcome {
        case .response(let response): response.instance
        case .error(let error): error.instance
        }
    }

    /// Which attempt produced the answer (1 = first; `nil` when the answer does not say).
    public var attempt: Int? {
        switch outcome {
        case .response(let response): response.attempt
        case .error(let error): error.attempt
        }
    }
}
