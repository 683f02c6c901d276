import Common
public import Kafka

/// One entry of a worker's journal topic (a provider's ledger `llm.ledger.<provider>`, the
/// routers' `llm.router.journal`): what happened to one attempt of one request.
///
/// Written to the same partition number as the request it is about, keyed
/// `<request_id>/<attempt>`, so compaction keeps the latest state of every attempt:
///
/// - `started`: written and acknowledged before a call that costs money (a provider call); if
///   the worker dies before `done`, the next owner knows the call may have happened and counts
///   the repeat.
/// - `done`: written and acknowledged before any of its outputs is published; carries the
///   outputs byte for byte, so a redelivered or resent request gets exactly the same answer.
///
/// Compact JSON, identifying fields first so that an index rebuild can stop reading a record
/// before its outputs. Output values that are JSON objects (signals) are embedded as they are;
/// others as text (`value_text`).
public struct JournalRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case started
        case done
    }

    /// One output as it was (or will be) published.
    public struct Output: Sendable, Hashable {
        public var topic: String
        public var partition: Int32?
        public var key: [UInt8]?
        public var value: [UInt8]
        public var headers: [KafkaHeader]

        public init(_ message: KafkaProducerMessage) {
            topic = message.topic
            partition = message.partition
            key = message.key
            value = message.value
            headers = message.headers
        }

        public var message: KafkaProducerMessage {
            KafkaProducerMessage(topic: topic, partition: partition, key: key, value: value, headers: headers)
        }
    }

    public var key: JournalKey
    public var state: State
    /// The request message's partition and offset.
    public var requestPartition: Int32
    public var requestOffset: Int64
    /// The worker that wrote it (`agent/openai/host-1`).
    public var worker: String
    /// Milliseconds since the epoch.
    public var recordedAtMs: Int64
    public var outputs: [Output]

    public init(
        key: JournalKey, state: State, requestPartition: Int32, requestOffset: Int64, worker: String,
        recordedAtMs: Int64, outputs: [Output] = []
    ) {
        self.key = key
        self.state = state
        self.requestPartition = requestPartition
        self.requestOffset = requestOffset
        self.worker = worker
        self.recordedAtMs = recordedAtMs
        self.outputs = outputs
    }

    // MARK: Encoding

    public var encoded: [UInt8] {
        var json = JSONBytes(capacity: encodedCapacity)
        write(to: &json)
        return json.bytes
    }

    /// About what ``encoded`` takes, for reserving buffers.
    var encodedCapacity: Int {
        outputs.reduce(160) { $0 + $1.value.count + 96 }
    }

    /// Writes the record as one compact JSON object.
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.member("request_id", key.requestID)
        json.member("attempt", key.attempt)
        json.member("state", state.rawValue)
        json.member("request_partition", Int(requestPartition))
        json.member("request_offset", Int(requestOffset))
        json.member("worker", worker)
        json.member("recorded_at_ms", Int(recordedAtMs))
        if !outputs.isEmpty {
            json.key("outputs")
            json.raw("[")
            for (index, output) in outputs.enumerated() {
                if index > 0 { json.raw(",") }
                json.beginObject()
                json.member("topic", output.topic)
                json.member("partition", output.partition.map(Int.init))
                json.member("key", output.key.map { String(decoding: $0, as: UTF8.self) })
                json.key("headers")
                json.raw("[")
                for (index, header) in output.headers.enumerated() {
                    if index > 0 { json.raw(",") }
                    json.beginObject()
                    json.member("key", header.key)
                    json.member("value", header.value.map { String(decoding: $0, as: UTF8.self) })
                    json.endObject()
                }
                json.raw("]")
                // Raw only when it cannot break a batch's lines (see ``batch(_:topic:partition:key:)``).
                if output.value.first == UInt8(ascii: "{"), output.value.last == UInt8(ascii: "}"),
                    !output.value.contains(0x0A)
                {
                    json.key("value")
                    json.raw(output.value)
                } else {
                    json.member("value_text", String(decoding: output.value, as: UTF8.self))
                }
                json.endObject()
            }
            json.raw("]")
        }
        json.endObject()
    }

    /// The record as a Kafka message to `topic`, at the request's partition number.
    public func message(topic: String) -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: topic, partition: requestPartition, key: Array(key.description.utf8), value: encoded,
            timestampMilliseconds: recordedAtMs
        )
    }

    /// Several records of one partition as one Kafka message: one record per line (JSON Lines),
    /// in order. A lone record is a batch of one, so every journal message reads the same way.
    /// `key` must be unique per message (compaction would otherwise drop earlier batches).
    public static func batch(
        _ records: [JournalRecord], topic: String, partition: Int32, key: String, timestampMs: Int64
    ) -> KafkaProducerMessage {
        var json = JSONBytes(capacity: records.reduce(0) { $0 + $1.encodedCapacity })
        for (index, record) in records.enumerated() {
            if index > 0 { json.raw("\n") }
            record.write(to: &json)
        }
        return KafkaProducerMessage(
            topic: topic, partition: partition, key: Array(key.utf8), value: json.bytes,
            timestampMilliseconds: timestampMs)
    }

    /// The lines of a journal message (one record each).
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: true)
    }

    // MARK: Decoding

    /// What an index rebuild needs of a record, read without its outputs.
    struct Summary: Sendable, Hashable {
        var key: JournalKey
        var state: State
        var recordedAtMs: Int64?
    }

    /// The identifying fields only (stops before the outputs); `nil` when the bytes are not a
    /// journal record. Reads the ledger's earlier format too (`answered`, `answer`).
    static func summary(of bytes: some Collection<UInt8>) -> Summary? {
        var scanner = JSONScanner(Array(bytes))
        var requestID: String?
        var attempt: Int64?
        var state: State?
        var recordedAt: Int64?
        let read = scanner.members { scanner, name in
            switch name {
            case "request_id": requestID = scanner.readString()
            case "attempt": attempt = scanner.readInt()
            case "state": state = scanner.readString().flatMap(Self.state(named:))
            case "recorded_at_ms": recordedAt = scanner.readInt()
            case "outputs", "answer":
                // Written last by this type: stop here once the identifying fields are in
                // (other writers may order the members differently).
                if requestID != nil, attempt != nil, state != nil { return false }
                guard scanner.skipValue() != nil else { return false }
            default: guard scanner.skipValue() != nil else { return false }
            }
            return true
        }
        guard read, let requestID, let attempt, attempt >= 1, attempt <= Int64(Int32.max), let state else { return nil }
        return Summary(
            key: JournalKey(requestID: requestID, attempt: Int(attempt)), state: state, recordedAtMs: recordedAt)
    }

    /// The whole record; `nil` when the bytes are not a journal record.
    public static func decode(_ bytes: some Collection<UInt8>) -> JournalRecord? {
        var scanner = JSONScanner(Array(bytes))
        var requestID: String?
        var attempt: Int64?
        var state: State?
        var partition: Int64?
        var offset: Int64?
        var worker: String?
        var recordedAt: Int64?
        var outputs: [Output] = []
        var failed = false
        let read = scanner.members { scanner, name in
            switch name {
            case "request_id": requestID = scanner.readString()
            case "attempt": attempt = scanner.readInt()
            case "state": state = scanner.readString().flatMap(Self.state(named:))
            case "request_partition": partition = scanner.readInt()
            case "request_offset": offset = scanner.readInt()
            case "worker", "instance": worker = scanner.readString()
            case "recorded_at_ms": recordedAt = scanner.readInt()
            case "outputs":
                let ok = scanner.elements { scanner in
                    guard let output = Self.output(&scanner, legacy: false) else { return false }
                    outputs.append(output)
                    return true
                }
                if !ok { failed = true }
                return ok
            case "answer":
                if scanner.readNull() { return true }
                guard let output = Self.output(&scanner, legacy: true) else {
                    failed = true
                    return false
                }
                outputs.append(output)
            default:
                guard scanner.skipValue() != nil else {
                    failed = true
                    return false
                }
            }
            return true
        }
        guard read, !failed, let requestID, let attempt, attempt >= 1, attempt <= Int64(Int32.max), let state,
            let partition, let offset
        else { return nil }
        return JournalRecord(
            key: JournalKey(requestID: requestID, attempt: Int(attempt)), state: state,
            requestPartition: Int32(clamping: partition), requestOffset: offset, worker: worker ?? "",
            recordedAtMs: recordedAt ?? 0, outputs: outputs
        )
    }

    private static func state(named name: String) -> State? {
        switch name {
        case "started": .started
        case "done", "answered": .done
        default: nil
        }
    }

    /// One output object; `legacy`: the ledger's earlier `answer` (its value as a JSON string).
    private static func output(_ scanner: inout JSONScanner, legacy: Bool) -> Output? {
        var topic: String?
        var partition: Int64?
        var key: String?
        var value: [UInt8]?
        var headers: [KafkaHeader] = []
        let bytes = scanner.bytes
        let read = scanner.members { scanner, name in
            switch name {
            case "topic": topic = scanner.readString()
            case "partition": partition = scanner.readInt()
            case "key": key = scanner.readNull() ? nil : scanner.readString()
            case "value":
                if legacy {
                    value = scanner.readString().map { Array($0.utf8) }
                } else {
                    value = scanner.skipValue().map { Array(bytes[$0]) }
                }
            case "value_text": value = scanner.readString().map { Array($0.utf8) }
            case "headers":
                return scanner.elements { scanner in
                    var headerKey: String?
                    var headerValue: String?
                    let ok = scanner.members { scanner, name in
                        switch name {
                        case "key": headerKey = scanner.readString()
                        case "value": headerValue = scanner.readNull() ? nil : scanner.readString()
                        default: return scanner.skipValue() != nil
                        }
                        return true
                    }
                    guard ok, let headerKey else { return false }
                    headers.append(KafkaHeader(key: headerKey, value: headerValue.map { Array($0.utf8) }))
                    return true
                }
            default:
                return scanner.skipValue() != nil
            }
            return true
        }
        guard read, let topic, let value else { return nil }
        return Output(
            KafkaProducerMessage(
                topic: topic, partition: partition.map { Int32(clamping: $0) }, key: key.map { Array($0.utf8) },
                value: value, headers: headers
            ))
    }
}
