/// Every metric the processes report, by its dotted name, with its attributes. Where OpenTelemetry's
/// GenAI semantic conventions name a measurement, that name is used; the others are ours, under
/// `provider_agents.`. Prometheus spells a name with underscores and the unit of a duration as a
/// `_seconds` suffix (``prometheusName(_:)``).
public enum MetricName {
    /// Histogram (seconds): one provider call, admitted to answered. Attributes: provider, model,
    /// operation; `error.type` on a failure.
    public static let operationDuration = "gen_ai.client.operation.duration"
    /// Histogram (tokens): the tokens of one call. Attribute `gen_ai.token.type`: `input`, `output`.
    public static let tokenUsage = "gen_ai.client.token.usage"
    /// Histogram (seconds): a streamed call's start to its first chunk.
    public static let timeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk"
    /// Counter: requests answered, by `outcome` (`response`, `error`, `refused`) and `error.type`.
    public static let requests = "provider_agents.requests"
    /// Gauge: the circuit breaker, 0 closed, 1 half-open, 2 open.
    public static let breakerState = "provider_agents.breaker.state"
    /// Gauge (0…1): the share of this instance's rate limit in use.
    public static let limiterUtilization = "provider_agents.limiter.utilization"
    /// Gauge: calls in flight at this instance.
    public static let inFlight = "provider_agents.requests.in_flight"
    /// Gauge: messages in the worker's partitions after its position (from the last fetched high
    /// watermarks), by worker.
    public static let consumerLag = "provider_agents.consumer.lag"
    /// Counter: sends retried after a failed delivery, by worker.
    public static let publishRetries = "provider_agents.publish.retries"
    /// Counter: messages sent to the dead-letter topic, by worker and `code`.
    public static let deadLetters = "provider_agents.dead_letters"
    /// Counter: HTTP requests a gateway answered, by `api` (`openai`, `anthropic`, `files`,
    /// `batches`, `models`) and `status`.
    public static let gatewayRequests = "provider_agents.gateway.requests"

    /// Metrics measured in seconds (their Prometheus name ends in `_seconds`).
    public static let durations: Set<String> = [operationDuration, timeToFirstChunk]

    /// The Prometheus name of `name`: dots (and anything else Prometheus does not allow) become
    /// underscores; a duration gains `_seconds`.
    public static func prometheusName(_ name: String) -> String {
        let spelled = prometheusLabel(name)
        return durations.contains(name) ? spelled + "_seconds" : spelled
    }

    /// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func prometheusLabel(_ name: String) -> String {
        var spelled = String(
            name.unicodeScalars.map { scalar -> Character in
                let allowed =
                    scalar.isASCII && (scalar.properties.isAlphabetic || scalar == "_" || ("0"..."9").contains(scalar))
                return allowed ? Character(scalar) : "_"
            })
        if let first = spelled.unicodeScalars.first, ("0"..."9").contains(first) { spelled = "_" + spelled }
        return spelled
    }
}

/// The attributes (Prometheus labels) of the metrics.
public enum MetricAttribute {
    public static let providerName = "gen_ai.provider.name"
    public static let requestModel = "gen_ai.request.model"
    public static let operationName = "gen_ai.operation.name"
    public static let tokenType = "gen_ai.token.type"
    public static let errorType = "error.type"
    public static let outcome = "outcome"
    public static let worker = "worker"
    public static let code = "code"
    public static let api = "api"
    public static let status = "status"
}
