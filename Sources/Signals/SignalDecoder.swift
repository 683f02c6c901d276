internal import Foundation

/// Strict decoding of a Kafka message value into a `SignalEnvelope`.
///
/// Order of checks: size (before any parsing) → empty → UTF-8 → JSON (one `JSONDecoder` pass on the
/// happy path). Only when decoding fails is the value parsed a second time, to find the offending
/// value for the message and `data.request_id` for `SignalDecodingError.requestID`.
public struct SignalDecoder: Sendable {
    /// 1 MiB.
    public static let defaultMaxBytes = 1 << 20

    /// Values larger than this are rejected with `oversize` without being parsed.
    public var maxBytes: Int

    public init(maxBytes: Int = SignalDecoder.defaultMaxBytes) {
        self.maxBytes = maxBytes
    }

    public func decode(_ bytes: [UInt8]) throws(SignalDecodingError) -> SignalEnvelope {
        if bytes.count > maxBytes {
            throw SignalDecodingError(
                .oversize, at: "", "value is \(bytes.count) bytes, more than the limit of \(maxBytes) bytes")
        }
        if bytes.allSatisfy(Self.isJSONWhitespace) {
            throw SignalDecodingError(.empty, at: "", bytes.isEmpty ? "value is empty" : "value is only whitespace")
        }
        if let offset = Self.firstInvalidUTF8(bytes) {
            var error = SignalDecodingError(.invalidUTF8, at: "", "value is not valid UTF-8 (byte offset \(offset))")
            let repaired = Array(String(decoding: bytes, as: UTF8.self).utf8)
            Self.annotate(&error, with: Self.parseLeniently(repaired))
            throw error
        }
        if let envelope = Self.fastDecode(bytes) { return envelope }
        let data = Data(bytes)
        do {
            return try Self.jsonDecoder.decode(SignalEnvelope.self, from: data)
        } catch {
            let raw = Self.parseLeniently(bytes)
            var mapped = Self.map(error, raw: raw, bytes: bytes)
            Self.annotate(&mapped, with: raw)
            throw mapped
        }
    }

    /// Foundation's decoder holds only options; sharing one saves an allocation per message.
    private static let jsonDecoder = JSONDecoder()

    // MARK: - Error path

    static func parseLeniently(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static func annotate(_ error: inout SignalDecodingError, with raw: JSONValue?) {
        if error.requestID == nil, case .string(let id)? = raw?["data"]?["request_id"], !id.isEmpty {
            error.requestID = id
        }
        if error.signalType == nil, case .string(let type)? = raw?["type"] {
            error.signalType = type
        }
    }

    static func map(_ error: any Error, raw: JSONValue?, bytes: [UInt8]) -> SignalDecodingError {
        if let error = error as? SignalDecodingError { return error }
        guard let error = error as? DecodingError else {
            return SignalDecodingError(.invalidJSON, at: "", "cannot decode: \(error)")
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                if let raw {
                    // Valid JSON that Foundation refused (it reports no path): a number that does not
                    // fit its integer field. Find it.
                    if let (path, value) = nonIntegerInIntegerField(raw, path: "") {
                        return SignalDecodingError(
                            .wrongType, at: path, "expected an integer, got \(value.shortDescription)")
                    }
                    return SignalDecodingError(
                        .wrongType, at: "", "a value does not fit its field: \(context.debugDescription)")
                }
                return SignalDecodingError(
                    .invalidJSON, at: "", "invalid JSON: \(syntaxErrorDetail(context, bytes: bytes))")
            }
            let actual = value(at: context.codingPath, in: raw)
            let expected = if case .number? = actual { "an integer" } else { "a valid value" }
            return SignalDecodingError(
                .wrongType, at: context.codingPath,
                "expected \(expected), got \(actual?.shortDescription ?? "an unreadable value")")
        case .typeMismatch(let type, let context):
            let actual = value(at: context.codingPath, in: raw)
            if context.codingPath.isEmpty {
                return SignalDecodingError(
                    .notAnObject, at: "", "expected a JSON object, got \(actual?.shortDescription ?? "something else")")
            }
            return SignalDecodingError(
                .wrongType, at: context.codingPath,
                "expected \(describe(type)), got \(actual?.shortDescription ?? "something else")")
        case .valueNotFound(_, let context) where context.codingPath.isEmpty:
            return SignalDecodingError(.notAnObject, at: "", "expected a JSON object, got null")
        case .valueNotFound(let type, let context):
            return SignalDecodingError(.wrongType, at: context.codingPath, "expected \(describe(type)), got null")
        case .keyNotFound(let key, let context):
            return SignalDecodingError(.missingField, at: context.codingPath + [key], "required field is missing")
        @unknown default:
            return SignalDecodingError(.invalidJSON, at: "", "cannot decode: \(error)")
        }
    }

    /// Where the JSON syntax error is, from JSONSerialization (Foundation's JSONDecoder on Linux
    /// only says "not valid JSON").
    static func syntaxErrorDetail(_ context: DecodingError.Context, bytes: [UInt8]) -> String {
        var underlying = context.underlyingError
        if underlying == nil {
            do { _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) } catch {
                underlying = error
            }
        }
        if let nsError = underlying as NSError?, let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String {
            return detail
        }
        return context.debugDescription
    }

    /// Members that hold integers (the only fields where a valid JSON number can fail to decode).
    static let integerFields: Set<String> = [
        "max_tokens", "timeout_ms", "retry_after_ms", "status_code", "attempt", "failure_count", "limit", "window_ms",
        "current_count", "provider_limit", "total_requests", "successful_requests", "failed_requests", "in_flight",
        "total_tokens", "prompt_tokens", "completion_tokens", "index", "max_tokens_cap", "keep_alive_s",
        "memory_bytes", "memory_total_bytes", "memory_used_bytes", "gpu_memory_total_bytes", "gpu_memory_used_bytes",
        "size_bytes", "context_length", "requests_per_window", "tokens_per_window", "consecutive_failures",
        "minimum_requests", "rate_window_size", "open_timeout_ms", "half_open_max_probes",
        "half_open_successes_to_close",
        "max_concurrent_calls", "version", "transitions", "tokens_limit", "provider_tokens_limit", "rejected_requests",
        "ledger_repeats", "provider_recalls", "config_version", "uptime_ms",
        "concurrency_limit",
    ]

    /// Members holding an array of integers, or an object whose values are integers.
    static let integerCollectionFields: Set<String> = ["owned_partitions", "errors_by_type"]

    /// Members holding free-form JSON, where any number is fine.
    static let freeFormFields: Set<String> = ["metadata", "parameters", "tool_choice"]

    static func nonIntegerInIntegerField(_ value: JSONValue, path: String) -> (String, JSONValue)? {
        switch value {
        case .object(let members):
            for key in members.keys.sorted() where !freeFormFields.contains(key) {
                let member = members[key]!
                let memberPath = path.isEmpty ? key : path + "." + key
                if integerFields.contains(key), case .number = member { return (memberPath, member) }
                if integerCollectionFields.contains(key) {
                    switch member {
                    case .array(let values):
                        if let index = values.firstIndex(where: { if case .number = $0 { true } else { false } }) {
                            return (memberPath + "[\(index)]", values[index])
                        }
                    case .object(let values):
                        if let name = values.keys.sorted().first(where: {
                            if case .number = values[$0]! { true } else { false }
                        }) {
                            return (memberPath + "." + name, values[name]!)
                        }
                    default:
                        break
                    }
                }
                if let found = nonIntegerInIntegerField(member, path: memberPath) { return found }
            }
        case .array(let values):
            for (index, element) in values.enumerated() {
                if let found = nonIntegerInIntegerField(element, path: path + "[\(index)]") { return found }
            }
        default:
            break
        }
        return nil
    }

    static func describe(_ type: any Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "Double", "Float": return "a number"
        case "Int", "Int64", "Int32", "UInt", "UInt64": return "an integer"
        case "String", "ProviderErrorType": return "a string"
        case "Bool": return "a boolean"
        case "MessageContent": return "a string or an array of content parts"
        default:
            if name.hasPrefix("Array") || name.hasPrefix("[") && !name.contains(":") { return "an array" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("[") { return "an object" }
            return "an object"
        }
    }

    static func value(at path: [any CodingKey], in raw: JSONValue?) -> JSONValue? {
        var current = raw
        for key in path {
            switch current {
            case .array(let values)?:
                guard let index = key.intValue, values.indices.contains(index) else { return nil }
                current = values[index]
            case .object(let members)?:
                current = members[key.stringValue]
            default:
                return nil
            }
        }
        return current
    }

    // MARK: - Bytes

    @inline(__always)
    static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Offset of the first byte that is not part of valid UTF-8, or nil. ASCII runs are skipped
    /// eight bytes at a time; the rest goes through the standard library's validating decoder.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { buffer -> Int? in
            var i = 0
            let count = buffer.count
            while i + 8 <= count {
                if buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            while i < count, buffer[i] < 0x80 { i += 1 }
            if i == count { return nil }
            var offset = i
            var iterator = buffer[i...].makeIterator()
            var parser = Unicode.UTF8.ForwardParser()
            while true {
                switch parser.parseScalar(from: &iterator) {
                case .valid(let scalar): offset += scalar.count
                case .emptyInput: return nil
                case .error(let length):
                    _ = length
                    return offset
                }
            }
        }
    }
}
