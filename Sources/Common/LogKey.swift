/// The metadata keys of every log line the project writes: one dotted scheme, `<subject>.<field>`,
/// defined here and nowhere else (modules never spell a key as a string literal; a source test
/// checks it). The effective configuration logged at start is the one exception: its keys are the
/// configuration file's own (`agent.max_in_flight`).
///
/// Subjects: `kafka` (topics, partitions, offsets, broker errors), `worker` (the runtime every
/// Kafka process runs on), `request` (one provider request), `provider` (an upstream and its
/// models), `agent`, `router`, `client`, `http`, `config`. Failures are logged at `error`,
/// degraded-but-working states at `warning`, lifecycle at `info`, per-message detail at `debug`.
public enum LogKey {
    // Kafka.
    public static let topic = "kafka.topic"
    public static let partition = "kafka.partition"
    public static let partitions = "kafka.partitions"
    public static let offset = "kafka.offset"
    public static let group = "kafka.group"
    public static let bootstrap = "kafka.bootstrap"
    public static let error = "kafka.error"
    public static let change = "kafka.change"
    public static let backoffMs = "kafka.backoff_ms"
    public static let undelivered = "kafka.undelivered"
    public static let facility = "kafka.facility"
    public static let librdkafkaMessage = "kafka.message"
    public static let retentionMs = "kafka.retention_ms"

    // The worker runtime.
    public static let worker = "worker.name"
    public static let workerState = "worker.state"
    public static let inFlight = "worker.in_flight"
    public static let deferred = "worker.deferred"
    public static let reason = "worker.reason"
    public static let code = "worker.code"
    public static let records = "worker.journal_records"
    public static let journalFrom = "worker.journal_from_ms"
    public static let durationMs = "worker.duration_ms"

    // One request.
    public static let requestID = "request.id"
    public static let attempt = "request.attempt"
    public static let signalType = "request.signal_type"
    public static let errorType = "request.error_type"
    public static let replyTo = "request.reply_to"
    public static let run = "request.run"

    // The client library.
    public static let clientID = "client.id"
    public static let replyTopic = "client.reply_topic"
    public static let duplicates = "client.duplicates"

    // Providers and models.
    public static let provider = "provider.name"
    public static let model = "provider.model"
    public static let instance = "provider.instance"

    // The agent.
    public static let configVersion = "agent.config_version"
    public static let sections = "agent.sections"
    public static let functions = "agent.functions"
    public static let loadMs = "agent.load_ms"
    public static let cpuPercent = "agent.cpu_percent"
    public static let memoryPercent = "agent.memory_percent"
    public static let maxConcurrentCalls = "agent.max_concurrent_calls"
    public static let maxInFlight = "agent.max_in_flight"
    public static let concurrencyLimit = "agent.concurrency.limit"
    public static let previousConcurrencyLimit = "agent.concurrency.previous"
    public static let safetyFiltering = "agent.safety.filtering"
    public static let safetyCategories = "agent.safety.categories"
    public static let safetyTerms = "agent.safety.terms"

    // The router.
    public static let providers = "router.providers"
    public static let instances = "router.instances"

    // HTTP and the process.
    public static let maxConnections = "http.max_connections"
    public static let path = "http.path"
    /// The fake upstream's injected fault.
    public static let fault = "http.fault"
    public static let openFilesLimit = "process.open_files_limit"

    // The gateway.
    /// A gateway key by its name (never its secret).
    public static let gatewayKey = "gateway.key"
    public static let listen = "gateway.listen"
    public static let status = "http.status"

    // Batch jobs.
    public static let file = "batch.file"
    public static let bytes = "batch.bytes"
}
