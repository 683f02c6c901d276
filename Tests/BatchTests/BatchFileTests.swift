import Batch
import Foundation
import Testing

@Suite("Batch file: description and chunks")
struct BatchFileTests {
    @Test("bytes cut into 512-KiB chunks that join back; an empty file is one empty chunk")
    func chunks() {
        let bytes = Data((0..<(BatchFile.chunkBytes * 2 + 10)).map { UInt8(truncatingIfNeeded: $0) })
        let chunks = BatchFile.chunks(of: bytes)
        #expect(chunks.map(\.count) == [BatchFile.chunkBytes, BatchFile.chunkBytes, 10])
        #expect(chunks.reduce(Data(), +) == bytes)
        #expect(BatchFile.chunks(of: Data()) == [Data()])
    }

    @Test("the record keeps where the bytes are; the API's object shows only OpenAI's fields")
    func shapes() throws {
        let file = BatchFile(
            id: "file-1", bytes: 42, createdAt: 7, filename: "in.jsonl", purpose: "batch", partition: 3,
            firstOffset: 100, lastOffset: 101, chunks: 2)
        #expect(BatchFile.decode(file.record) == file)
        let object = try #require(try JSONSerialization.jsonObject(with: file.apiJSON) as? [String: Any])
        #expect(Set(object.keys) == ["id", "object", "bytes", "created_at", "filename", "purpose", "status"])
        #expect(object["object"] as? String == "file" && object["bytes"] as? Int == 42)
    }
}
