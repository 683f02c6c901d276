public import Foundation

/// A stored file (an uploaded batch input, or a batch's output or error file): OpenAI's file
/// object, and where its bytes are on Kafka (`llm.batch.chunks`: `chunks` messages keyed by the
/// file id in one partition, from `firstOffset` to `lastOffset`).
public struct BatchFile: Sendable, Hashable, Codable {
    public var id: String
    public var object = "file"
    public var bytes: Int
    public var createdAt: Int
    public var filename: String
    public var purpose: String
    public var status = "processed"
    public var partition: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var chunks: Int
    /// The name of the gateway key that stored it (`nil`: none); see ``BatchAccess``.
    public var owner: String?

    /// The size of one stored chunk.
    public static let chunkBytes = 512 * 1_024

    public init(
        id: String, bytes: Int, createdAt: Int, filename: String, purpose: String, partition: Int32,
        firstOffset: Int64, lastOffset: Int64, chunks: Int, owner: String? = nil
    ) {
        self.id = id
        self.bytes = bytes
        self.createdAt = createdAt
        self.filename = filename
        self.purpose = purpose
        self.partition = partition
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.chunks = chunks
        self.owner = owner
    }

    enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status, partition, chunks, owner
        case createdAt = "created_at"
        case firstOffset = "first_offset"
        case lastOffset = "last_offset"
    }

    /// The record on `llm.batch.files` (with where the bytes are).
    public var record: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    public static func decode(_ data: Data) -> BatchFile? {
        try? JSONDecoder().decode(BatchFile.self, from: data)
    }

    /// OpenAI's file object, as the API answers it.
    public var apiJSON: Data {
        let object: [String: Any] = [
            "id": id, "object": object, "bytes": bytes, "created_at": createdAt, "filename": filename,
            "purpose": purpose, "status": status,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
    }

    /// `bytes` cut into stored chunks (an empty file is one empty chunk).
    public static func chunks(of bytes: Data) -> [Data] {
        guard !bytes.isEmpty else { return [Data()] }
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: chunkBytes).map {
            Data(bytes[$0..<min($0 + chunkBytes, bytes.endIndex)])
        }
    }
}
