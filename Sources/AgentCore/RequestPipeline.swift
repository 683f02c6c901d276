public import Foundation
public import Signals

/// The agent's request rules as one plain value, with no I/O: the standing settings a request
/// is prepared with (`configure_functions`, `configure_safety`), admission (deadline → rate
/// limit → breaker → concurrency → model), the in-flight table, metrics, and what a call's
/// result becomes (breaker, limits the upstream reported, the answer signal).
///
/// Time is passed in. The Kafka agent keeps one behind its lock; tests drive the same value (or
/// the whole agent handler in a `WorkerRuntime.InProcessWorker`) in milliseconds.
public struct RequestPipeline: Sendable {
    /// Who answers: written into every answer.
    public struct Identity: Sendable, Hashable {
        public var provider: String
        public var instance: String

        public init(provider: String, instance: String) {
            self.provider = provider
            self.instance = instance
        }
    }

    /// An admitted request on its way to the provider.
    public struct Call: Sendable {
        /// As the provider sees it: prepared (tools, safety) and with the admitted model.
        public var request: ProviderRequest
        public var ticket: AdmissionController.Ticket
        public var admittedAt: ContinuousClock.Instant
    }

    public enum Admission: Sendable {
        case admitted(Call)
        case refused(ProviderCallError)
    }

    /// What a finished call became.
    public struct Outcome: Sendable {
        /// `provider_response` or `provider_error`.
        public var answer: Signal
        /// A retryable error of a routed request goes back to the routers (the error topic, with
        /// the request inside); everything else to the client's reply topic.
        public var handedBack: Bool
        /// The circuit breaker changed state (publish a status at once).
        public var breakerChanged: Bool
    }

    public let identity: Identity
    public var admission: AdmissionController
    public var metrics: ProviderMetrics
    public var tracker = RequestTracker()
    /// `configure_functions`: tools for requests that bring none.
    public var functions: ConfigureFunctions?
    /// `configure_safety`: checks and changes applied to every request and answer.
    public var safety: SafetyPolicy?
    /// Control signals applied so far.
    public var configVersion = 0

    public init(identity: Identity, admission: AdmissionController, metrics: ProviderMetrics) {
        self.identity = identity
        self.admission = admission
        self.metrics = metrics
    }

    // MARK: Admission

    /// Prepares and admits `request`. A refusal is counted and must be answered at once; an
    /// admitted call holds a concurrency slot until ``finish(_:result:latency:upstreamLimit:at:)``
    /// or ``abandon(_:at:)``.
    ///
    /// - Parameters:
    ///   - enqueuedAt: the Kafka message's timestamp (anchors `timeout_ms`).
    ///   - constrained: the machine is above a resource threshold (refused after the deadline check).
    public mutating func admit(
        _ request: ProviderRequest, enqueuedAt: Date?, wallNow: Date, at now: ContinuousClock.Instant,
        constrained: ProviderCallError? = nil
    ) -> Admission {
        let prepared: ProviderRequest
        switch prepare(request) {
        case .success(let value): prepared = value
        case .failure(let refusal):
            metrics.recordRejection(
                model: request.model ?? admission.defaultModel ?? "", errorType: refusal.type.rawValue)
            return .refused(refusal)
        }
        switch admission.admit(prepared, enqueuedAt: enqueuedAt, wallNow: wallNow, at: now, constrained: constrained) {
        case .rejected(let rejection):
            metrics.recordRejection(
                model: request.model ?? admission.defaultModel ?? "", errorType: rejection.type.rawValue)
            return .refused(rejection)
        case .admitted(let ticket):
            var routed = prepared
            routed.model = ticket.model
            _ = tracker.begin(
                requestID: request.requestID, model: ticket.model, attempt: request.effectiveAttempt, at: now)
            return .admitted(Call(request: routed, ticket: ticket, admittedAt: now))
        }
    }

    /// The request as the provider should see it, or the refusal (`content_blocked`) when the
    /// safety settings refuse its prompt.
    public func prepare(_ request: ProviderRequest) -> Result<ProviderRequest, ProviderCallError> {
        var prepared = request
        if prepared.tools == nil, let functions, !functions.functions.isEmpty {
            prepared.tools = functions.functions.map { ToolDefinition(function: $0) }
            if prepared.toolChoice == nil { prepared.toolChoice = functions.toolChoice }
        }
        if let safety {
            if let refusal = safety.checkInput(prepared) { return .failure(refusal) }
            prepared = safety.apply(to: prepared)
        }
        return .success(prepared)
    }

    // MARK: The answer

    /// The completion, or `content_blocked` when the safety settings refuse the answer.
    public func screen(_ result: Result<Completion, ProviderCallError>) -> Result<Completion, ProviderCallError> {
        guard case .success(let completion) = result, let safety else { return result }
        if let refusal = safety.checkOutput(completion.content, finishReason: completion.finishReason) {
            return .failure(refusal)
        }
        return result
    }

    /// The part of a streamed answer so far refused by the safety settings (no more chunks then).
    public func screenStream(_ text: String) -> ProviderCallError? {
        safety?.checkOutput(text, finishReason: "")
    }

    /// Records a finished call (breaker, limits, metrics, in-flight table) and makes its answer.
    /// `reroutable`: a retryable error may go back to the routers (not once chunks of a stream
    /// reached the client: another attempt would stream again from the start). `run`: the stream
    /// run that produced a streamed answer (named in the response).
    public mutating func finish(
        _ call: Call, result: Result<Completion, ProviderCallError>, latency: Duration,
        upstreamLimit: UpstreamRateLimit?,
        at now: ContinuousClock.Instant, reroutable: Bool = true, run: String? = nil
    ) -> Outcome {
        let model = call.ticket.model
        if let upstreamLimit { admission.observeUpstream(upstreamLimit, model: model) }
        if case .failure(let error) = result, error.type == .rateLimited, error.retryable,
            let retryAfter = error.retryAfter
        {
            admission.pauseUpstream(model: model, for: retryAfter, at: now)
        }
        let transitions = admission.breaker.totalTransitions
        tracker.finish(requestID: call.request.requestID)
        let request = call.request
        switch result {
        case .success(let completion):
            admission.finish(call.ticket, outcome: .success, at: now)
            metrics.record(
                .init(
                    model: completion.model, succeeded: true, latency: latency,
                    promptTokens: completion.usage.promptTokens,
                    completionTokens: completion.usage.completionTokens, generationTime: completion.generationTime
                ))
            let cost = metrics.prices.cost(
                model: completion.model, promptTokens: completion.usage.promptTokens,
                completionTokens: completion.usage.completionTokens
            )
            let response = ProviderResponse(
                requestID: request.requestID, response: completion.content, provider: identity.provider,
                model: completion.model,
                latencyMs: Self.milliseconds(latency), usage: completion.usage, finishReason: completion.finishReason,
                toolCalls: completion.toolCalls, costUSD: cost.isFinite ? cost : .greatestFiniteMagnitude,
                attempt: request.attempt, instance: identity.instance, metadata: request.metadata, route: request.route,
                run: run
            )
            return Outcome(
                answer: .providerResponse(response), handedBack: false,
                breakerChanged: admission.breaker.totalTransitions != transitions)
        case .failure(let error):
            admission.finish(call.ticket, outcome: error.breakerKind.map { .failure($0) }, at: now)
            metrics.record(.init(model: model, succeeded: false, errorType: error.type.rawValue, latency: latency))
            let (signal, handedBack) = errorAnswer(error, request: request, model: model, reroutable: reroutable)
            return Outcome(
                answer: .providerError(signal), handedBack: handedBack,
                breakerChanged: admission.breaker.totalTransitions != transitions)
        }
    }

    /// An admitted call that was not made or not finished (its partition was revoked, the
    /// worker stops): the slot is given back, no outcome counted.
    public mutating func abandon(_ call: Call, at now: ContinuousClock.Instant) {
        admission.finish(call.ticket, outcome: nil, at: now)
        tracker.finish(requestID: call.request.requestID)
    }

    /// The `provider_error` for a refused or failed request, and whether it goes back to the
    /// routers: a retryable error of a routed request (one with a route context) does, carrying
    /// the request, so any router can send the next attempt; so does `context_length_exceeded`
    /// (a router may send it to a larger model). Every other error is final and echoes the route.
    public func errorAnswer(
        _ error: ProviderCallError, request: ProviderRequest, model: String?, reroutable: Bool = true
    ) -> (ProviderError, handedBack: Bool) {
        var signal = ProviderError(
            requestID: request.requestID, errorType: error.type, error: error.message, retryable: error.retryable,
            retryAfterMs: error.retryAfter.map { Int(saturating: Self.milliseconds($0).rounded(.up)) },
            provider: identity.provider,
            model: model, attempt: request.attempt, instance: identity.instance, metadata: request.metadata
        )
        if request.route != nil, error.retryable || error.type == .contextLengthExceeded, reroutable {
            signal.request = request
            return (signal, true)
        }
        signal.route = request.route
        return (signal, false)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

extension Int {
    /// The nearest `Int` to a finite value, the bounds for values beyond them (never traps: the
    /// values come from configuration and control signals).
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
