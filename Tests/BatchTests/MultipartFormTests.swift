import Batch
import Foundation
import Testing

@Suite("Multipart form: the Files API's upload")
struct MultipartFormTests {
    @Test("the parts of an upload as the openai SDK sends it: a field and a file")
    func upload() throws {
        let file = "{\"custom_id\": \"a\"}\r\n--not-the-boundary\n"
        let body = Data(
            ("--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n\(file)\r\n--XyZ--\r\n").utf8)
        let form = try MultipartForm.parse(body, contentType: "multipart/form-data; boundary=XyZ")
        #expect(form.parts.count == 2)
        #expect(form.part("purpose").map { String(decoding: $0.body, as: UTF8.self) } == "batch")
        let upload = try #require(form.part("file"))
        #expect(upload.filename == "in.jsonl" && upload.contentType == "application/jsonl")
        #expect(String(decoding: upload.body, as: UTF8.self) == file, "bytes kept exactly, CR LF inside included")
    }

    @Test(
        "a body that does not follow its boundary is an error saying why",
        arguments: [
            ("text/plain", "--b\r\n\r\n--b--", "multipart/form-data"),
            ("multipart/form-data", "--b--", "boundary"),
            ("multipart/form-data; boundary=b", "nothing here", "does not contain"),
            (
                "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nunclosed",
                "not closed"
            ),
            ("multipart/form-data; boundary=b", "--b\r\nX: y\r\n\r\nv\r\n--b--", "no Content-Disposition"),
        ])
    func broken(_ contentType: String, _ body: String, _ says: String) {
        do {
            let form = try MultipartForm.parse(Data(body.utf8), contentType: contentType)
            Issue.record("expected an error, got \(form)")
        } catch {
            #expect(error.description.contains(says), "\(error)")
        }
    }
}
