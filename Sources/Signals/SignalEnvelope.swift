/// A signal as it travels in a Kafka message value:
/// `{"type": "provider_request", "id": "...", "source": "...", "time": "RFC 3339", "data": {...}}`.
///
/// `type` is required and `data` is required where the signal type has data. `id`, `source` and
/// `time` are optional on input; `SignalEnvelope(_:source:)` fills them for output.
public struct SignalEnvelope: Sendable, Hashable {
    public var signal: Signal
    /// Unique id of this envelope (not the request id).
    public var id: String?
    /// Who produced it, e.g. `agent/openai/host-1`, `router/2`, `client/batch-7`.
    public var source: String?
    /// RFC 3339 production time, kept as written.
    public var time: String?

    public var type: SignalType { signal.type }

    /// An envelope as read (nothing filled in).
    public init(signal: Signal, id: String?, source: String?, time: String?) {
        self.signal = signal
        self.id = id
        self.source = source
        self.time = time
    }

    /// An envelope for output: a fresh `id` (UUID) and `time` (now, RFC 3339 UTC with milliseconds).
    public init(_ signal: Signal, source: String) {
        self.init(signal: signal, id: Self.newID(), source: source, time: Self.now())
    }

    /// Kafka message key: the request's `partition_key` when given, else its `request_id`.
    public var messageKey: String? {
        switch signal {
        case .providerRequest(let r), .streamRequest(let r), .visionRequest(let r): return r.partitionKey ?? r.requestID
        default: return signal.requestID
        }
    }

    /// Kafka headers derived from the envelope: `signal-type`, and `request-id` / `reply-to` where
    /// known. `traceparent` is added by the caller (it is not part of the value).
    public func headers(traceparent: String? = nil) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = [(SignalHeader.signalType, type.rawValue)]
        if let requestID = signal.requestID { out.append((SignalHeader.requestID, requestID)) }
        if let replyTo = signal.replyTo { out.append((SignalHeader.replyTo, replyTo)) }
        if let traceparent { out.append((SignalHeader.traceparent, traceparent)) }
        return out
    }
}
