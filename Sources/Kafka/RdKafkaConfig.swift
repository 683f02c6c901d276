internal import CRdKafka

/// Owns an `rd_kafka_conf_t` from its creation until `rd_kafka_new` takes it over
/// (or until this object dies, when setup failed before that).
final class RdKafkaConfig {
    private var pointer: OpaquePointer?

    /// Creates a configuration with every property set; the first property librdkafka rejects
    /// throws an error naming it.
    init(properties: [String: String]) throws(KafkaError) {
        pointer = rd_kafka_conf_new()
        // Sorted so that the first failure reported is deterministic.
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            try set(key, value)
        }
    }

    deinit {
        if let pointer { rd_kafka_conf_destroy(pointer) }
    }

    func set(_ key: String, _ value: String) throws(KafkaError) {
        guard let pointer else { preconditionFailure("configuration already handed to librdkafka") }
        var errorText = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, key, value, &errorText, errorText.count)
        guard result == RD_KAFKA_CONF_OK else {
            let reason = String(errorBuffer: errorText)
            throw KafkaError(
                code: .invalidConfiguration,
                message: "librdkafka property '\(key)' = '\(Self.redacted(key, value))' rejected: \(reason)"
            )
        }
    }

    /// Runs `body` with the raw pointer, for callback registration.
    func withPointer<R>(_ body: (OpaquePointer) -> R) -> R {
        guard let pointer else { preconditionFailure("configuration already handed to librdkafka") }
        return body(pointer)
    }

    /// Hands the configuration to librdkafka (after a successful `rd_kafka_new`).
    func relinquish() {
        pointer = nil
    }

    /// Values of secret properties never appear in errors or logs.
    static func redacted(_ key: String, _ value: String) -> String {
        let lowered = key.lowercased()
        let secret = ["password", "secret", "key", "token", "jaas"].contains { lowered.contains($0) }
        return secret ? "<redacted>" : value
    }
}

extension String {
    /// Text librdkafka wrote into a NUL-terminated error buffer.
    init(errorBuffer: [CChar]) {
        self.init(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
