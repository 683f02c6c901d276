import Batch
import Foundation
import Testing

@Suite("Batch: pace, expiry lines, ownership, window")
struct BatchRulesTests {
    let t0 = ContinuousClock.now

    @Test("a refusal holds the job until its retry_after; the latest hold wins; an earlier one never shortens it")
    func pace() {
        var pace = BatchPace()
        #expect(pace.hold(at: t0) == nil)
        pace.refused(retryAfter: .milliseconds(800), at: t0)
        #expect(pace.hold(at: t0) == .milliseconds(800))
        #expect(pace.hold(at: t0 + .milliseconds(300)) == .milliseconds(500))
        pace.refused(retryAfter: .milliseconds(100), at: t0 + .milliseconds(300))
        #expect(pace.hold(at: t0 + .milliseconds(300)) == .milliseconds(500), "a shorter refusal keeps the hold")
        pace.refused(retryAfter: .seconds(2), at: t0 + .milliseconds(300))
        #expect(pace.hold(at: t0 + .milliseconds(300)) == .seconds(2))
        #expect(pace.hold(at: t0 + .milliseconds(2_300)) == nil)
        #expect(pace.refusals == 3)
    }

    @Test("a refusal without retry_after holds a second; a zero one the minimum")
    func paceDefaults() {
        var pace = BatchPace()
        pace.refused(retryAfter: nil, at: t0)
        #expect(pace.hold(at: t0) == .seconds(1))
        var zero = BatchPace()
        zero.refused(retryAfter: .zero, at: t0)
        #expect(zero.hold(at: t0) == BatchPace.minimumHold)
    }

    @Test("an expired line goes to the error file with response null and error batch_expired, and reads back")
    func expiredLine() throws {
        let expired = BatchResult.expired(customID: "c-7", requestID: "batch-b-c-7")
        #expect(!expired.succeeded)
        let object = try #require(try JSONSerialization.jsonObject(with: expired.line) as? [String: Any])
        #expect(object["custom_id"] as? String == "c-7")
        #expect(object["id"] as? String == "batch_req_batch-b-c-7")
        #expect(object["response"] is NSNull)
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "batch_expired")
        #expect(BatchResult.decode(expired.record) == expired)
        let answered = BatchResult(customID: "c-1", requestID: "r", statusCode: 200, body: Data(#"{"a":1}"#.utf8))
        let (output, errors) = BatchResult.files(["c-7": expired, "c-1": answered], order: ["c-1", "c-7"])
        #expect(String(decoding: output, as: UTF8.self).contains(#""custom_id":"c-1""#))
        #expect(String(decoding: errors, as: UTF8.self).contains(#""code":"batch_expired""#))
        #expect(!String(decoding: errors, as: UTF8.self).contains(#""custom_id":"c-1""#))
    }

    @Test("a key sees what it owns; the operator (no key) sees everything")
    func access() {
        #expect(BatchAccess.allows(owner: "team-a", requester: "team-a"))
        #expect(!BatchAccess.allows(owner: "team-a", requester: "team-b"))
        #expect(!BatchAccess.allows(owner: nil, requester: "team-b"))
        #expect(BatchAccess.allows(owner: "team-a", requester: nil))
        #expect(BatchAccess.allows(owner: nil, requester: nil))
    }

    @Test("a job's window sets expires_at; the owner is kept in the record")
    func windowAndOwner() throws {
        let job = BatchJob(id: "b", inputFileID: "f", createdAt: 1_000, window: 30, owner: "team-a")
        #expect(job.expiresAt == 1_030)
        #expect(!job.isPastWindow(at: 1_029))
        #expect(job.isPastWindow(at: 1_030))
        let back = try #require(BatchJob.decode(job.json))
        #expect(back.owner == "team-a")
        #expect(back == job)
        let file = BatchFile(
            id: "f", bytes: 1, createdAt: 1, filename: "x", purpose: "batch", partition: 0, firstOffset: 0,
            lastOffset: 0, chunks: 1, owner: "team-a")
        #expect(BatchFile.decode(file.record)?.owner == "team-a")
        #expect(!String(decoding: file.apiJSON, as: UTF8.self).contains("team-a"), "the API object shows no owner")
    }
}
