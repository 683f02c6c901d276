/// The response headers ``UpstreamRateLimitTracker`` reads, and the case-insensitive match of a
/// header name against them (HTTP/1.1 header names may come in any case).
enum RateLimitHeaderName {
    /// Lowercase, as ``UpstreamRateLimitTracker/parse(_:at:wallNow:)`` looks them up.
    static let all: [String] = {
        var names: [String] = []
        for kind in ["limit", "remaining", "reset"] {
            for unit in ["requests", "tokens"] {
                names.append("x-ratelimit-\(kind)-\(unit)")
                names.append("anthropic-ratelimit-\(unit)-\(kind)")
            }
        }
        return names
    }()

    private static let allBytes: [[UInt8]] = all.map { Array($0.utf8) }
    private static let lengths = (allBytes.map(\.count).min() ?? 0)...(allBytes.map(\.count).max() ?? 0)

    /// The lowercase name `name` matches, if it is one of ``all``.
    static func canonical(_ name: String) -> String? {
        let utf8 = name.utf8
        // Every one starts with "x" or "a" and is 24-38 bytes long: most names are out at once.
        guard lengths.contains(utf8.count), let first = utf8.first.map(lowercased),
            first == UInt8(ascii: "x") || first == UInt8(ascii: "a")
        else { return nil }
        for (index, candidate) in allBytes.enumerated() where candidate.count == utf8.count {
            if zip(utf8, candidate).allSatisfy({ Self.lowercased($0) == $1 }) { return all[index] }
        }
        return nil
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
