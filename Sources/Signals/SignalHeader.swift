/// Kafka header names that accompany a signal (the envelope is the message value).
public enum SignalHeader {
    /// Repeats the envelope's `type`, so consumers can route without parsing the value.
    public static let signalType = "signal-type"
    /// The request's `request_id`, where known.
    public static let requestID = "request-id"
    /// Topic the answer should be published to, when the request names one.
    public static let replyTo = "reply-to"
    /// W3C trace context (`00-<trace-id>-<span-id>-<flags>`).
    public static let traceparent = "traceparent"
}
