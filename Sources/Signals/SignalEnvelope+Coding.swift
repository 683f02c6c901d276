internal import Foundation
import Synchronization

extension SignalEnvelope: Codable {
    enum CodingKeys: String, CodingKey {
        case type, id, source, time, data
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rawType = try c.decode(String.self, forKey: .type)
        guard let type = SignalType(rawValue: rawType) else {
            let clipped = rawType.count > 64 ? String(rawType.prefix(64)) + "…" : rawType
            throw SignalDecodingError(.unknownType, at: "type", "unknown signal type \"\(clipped)\"")
        }
        id = try c.decodeIfPresent(String.self, forKey: .id)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        time = try c.decodeIfPresent(String.self, forKey: .time)
        if type.requiresData, !c.contains(.data) {
            throw SignalDecodingError(.missingField, at: "data", "required field is missing (\(rawType) carries data)")
        }
        switch type {
        case .providerRequest: signal = .providerRequest(try c.decode(ProviderRequest.self, forKey: .data))
        case .featureCheck: signal = .featureCheck(try c.decode(FeatureCheck.self, forKey: .data))
        case .getProviderStatus: signal = .getProviderStatus(try c.decodeIfPresent(SignalQuery.self, forKey: .data))
        case .providerResponse: signal = .providerResponse(try c.decode(ProviderResponse.self, forKey: .data))
        case .providerError: signal = .providerError(try c.decode(ProviderError.self, forKey: .data))
        case .providerStatus: signal = .providerStatus(try c.decode(ProviderStatus.self, forKey: .data))
        case .featureCheckResult: signal = .featureCheckResult(try c.decode(FeatureCheckResult.self, forKey: .data))
        case .configureProvider: signal = .configureProvider(try c.decode(ConfigureProvider.self, forKey: .data))
        case .providerConfigured: signal = .providerConfigured(try c.decode(ProviderConfigured.self, forKey: .data))
        case .configureFunctions: signal = .configureFunctions(try c.decode(ConfigureFunctions.self, forKey: .data))
        case .functionsConfigured: signal = .functionsConfigured(try c.decode(FunctionsConfigured.self, forKey: .data))
        case .streamRequest: signal = .streamRequest(try c.decode(ProviderRequest.self, forKey: .data))
        case .streamChunk: signal = .streamChunk(try c.decode(StreamChunk.self, forKey: .data))
        case .configureSafety: signal = .configureSafety(try c.decode(ConfigureSafety.self, forKey: .data))
        case .safetyConfigured: signal = .safetyConfigured(try c.decode(SafetyConfigured.self, forKey: .data))
        case .visionRequest: signal = .visionRequest(try c.decode(ProviderRequest.self, forKey: .data))
        case .loadModel: signal = .loadModel(try c.decode(ModelCommand.self, forKey: .data))
        case .modelLoaded: signal = .modelLoaded(try c.decode(ModelLoaded.self, forKey: .data))
        case .unloadModel: signal = .unloadModel(try c.decode(ModelCommand.self, forKey: .data))
        case .modelUnloaded: signal = .modelUnloaded(try c.decode(ModelLoaded.self, forKey: .data))
        case .getResourceStatus: signal = .getResourceStatus(try c.decodeIfPresent(SignalQuery.self, forKey: .data))
        case .resourceStatus: signal = .resourceStatus(try c.decode(ResourceStatus.self, forKey: .data))
        case .listAvailableModels: signal = .listAvailableModels(try c.decodeIfPresent(SignalQuery.self, forKey: .data))
        case .availableModels: signal = .availableModels(try c.decode(AvailableModels.self, forKey: .data))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type.rawValue, forKey: .type)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encodeIfPresent(time, forKey: .time)
        switch signal {
        case .providerRequest(let d), .streamRequest(let d), .visionRequest(let d): try c.encode(d, forKey: .data)
        case .featureCheck(let d): try c.encode(d, forKey: .data)
        case .getProviderStatus(let d), .getResourceStatus(let d), .listAvailableModels(let d):
            try c.encodeIfPresent(d, forKey: .data)
        case .providerResponse(let d): try c.encode(d, forKey: .data)
        case .providerError(let d): try c.encode(d, forKey: .data)
        case .providerStatus(let d): try c.encode(d, forKey: .data)
        case .featureCheckResult(let d): try c.encode(d, forKey: .data)
        case .configureProvider(let d): try c.encode(d, forKey: .data)
        case .providerConfigured(let d): try c.encode(d, forKey: .data)
        case .configureFunctions(let d): try c.encode(d, forKey: .data)
        case .functionsConfigured(let d): try c.encode(d, forKey: .data)
        case .streamChunk(let d): try c.encode(d, forKey: .data)
        case .configureSafety(let d): try c.encode(d, forKey: .data)
        case .safetyConfigured(let d): try c.encode(d, forKey: .data)
        case .loadModel(let d), .unloadModel(let d): try c.encode(d, forKey: .data)
        case .modelLoaded(let d), .modelUnloaded(let d): try c.encode(d, forKey: .data)
        case .resourceStatus(let d): try c.encode(d, forKey: .data)
        case .availableModels(let d): try c.encode(d, forKey: .data)
        }
    }

    /// A random (version 4) UUID, lowercased. From a SplitMix64 stream seeded once from the
    /// system's generator: Foundation's `UUID()` asks the kernel for randomness on every call,
    /// ~2% of an agent's CPU. Envelope ids need uniqueness, not secrecy.
    static func newID() -> String {
        let high = IDGenerator.next()
        let low = IDGenerator.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
        }
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        let hex = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func now() -> String {
        let date = Date()
        let millisecond = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        // Formatting costs more than the rest of an answer's envelope; answers are many per millisecond.
        if let text = lastTime.withLock({ $0.millisecond == millisecond ? $0.text : nil }) { return text }
        let text = timeStyle.format(date)
        lastTime.withLock { $0 = (millisecond, text) }
        return text
    }

    private static let lastTime = Mutex<(millisecond: Int64, text: String)>((-1, ""))

    /// A value type, configured once and only read afterwards.
    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

extension SignalEnvelope {
    /// Compact JSON with sorted keys and snake_case members, as bytes for a Kafka message value.
    public func encoded() throws -> [UInt8] {
        if let bytes = fastEncoded() { return bytes }
        return Array(try Self.jsonEncoder.encode(self))
    }

    /// Configured once, only read afterwards.
    private static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Strictly decodes `bytes` with the default `SignalDecoder` (1 MiB limit).
    public static func decode(_ bytes: [UInt8]) throws(SignalDecodingError) -> SignalEnvelope {
        try SignalDecoder().decode(bytes)
    }
}
