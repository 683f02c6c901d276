/// What a journal entry is about: one attempt of one request, `<request_id>/<attempt>` (also the
/// record's Kafka key, so compaction keeps the latest state of every attempt).
public struct JournalKey: Sendable, Hashable, CustomStringConvertible {
    public let requestID: String
    public let attempt: Int

    public init(requestID: String, attempt: Int) {
        self.requestID = requestID
        self.attempt = attempt
    }

    /// `<request_id>/<attempt>`.
    public var description: String { "\(requestID)/\(attempt)" }

    /// A 64-bit FNV-1a hash of ``description``: what the in-memory index keeps instead of the
    /// text (a lookup that hits is confirmed against the record itself, so a collision costs a
    /// read, never a wrong answer).
    public var hash: UInt64 { Self.hash(requestID: requestID, attempt: attempt) }

    static func hash(requestID: String, attempt: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        for byte in requestID.utf8 { mix(byte) }
        mix(UInt8(ascii: "/"))
        var digits = attempt
        repeat {
            mix(UInt8(truncatingIfNeeded: 48 + digits % 10))
            digits /= 10
        } while digits > 0
        return hash
    }
}
