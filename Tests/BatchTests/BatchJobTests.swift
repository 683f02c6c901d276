import Batch
import Foundation
import Testing

@Suite("Batch job: states and counts")
struct BatchJobTests {
    private func job() -> BatchJob {
        BatchJob(id: "batch_1", inputFileID: "file-1", createdAt: 1_000, metadata: ["team": "a"])
    }

    @Test("validating → in_progress → finalizing → completed, with the counts and times")
    func happyPath() throws {
        var job = job()
        #expect(job.status == .validating && job.expiresAt == 1_000 + 86_400)
        try job.validated(total: 3, at: 1_001)
        #expect(job.status == .inProgress && job.inProgressAt == 1_001 && job.requestCounts.total == 3)
        try job.recorded(succeeded: true)
        try job.recorded(succeeded: true)
        try job.recorded(succeeded: false)
        #expect(job.requestCounts == .init(total: 3, completed: 2, failed: 1))
        try job.finalizing(at: 1_002)
        try job.completed(outputFileID: "file-out", errorFileID: "file-err", at: 1_003)
        #expect(job.status == .completed && job.status.isFinal)
        #expect(job.outputFileID == "file-out" && job.errorFileID == "file-err" && job.completedAt == 1_003)
        #expect(throws: BatchJob.TransitionError.self) { try job.cancel(at: 1_004) }
    }

    @Test("a bad input fails the job with its errors; a cancel ends in cancelled; a late job expires")
    func otherEnds() throws {
        var failed = job()
        try failed.rejected([.init(code: "invalid_json_line", message: "line 2 is not JSON", line: 2)], at: 1_001)
        #expect(failed.status == .failed && failed.errors?.data.first?.line == 2 && failed.failedAt == 1_001)
        #expect(throws: BatchJob.TransitionError.self) { try failed.validated(total: 1, at: 1_002) }

        var cancelled = job()
        try cancelled.validated(total: 2, at: 1_001)
        try cancelled.cancel(at: 1_002)
        try cancelled.recorded(succeeded: true)
        #expect(throws: BatchJob.TransitionError.self) { try cancelled.finalizing(at: 1_003) }
        try cancelled.cancelled(outputFileID: "file-out", errorFileID: nil, at: 1_004)
        #expect(cancelled.status == .cancelled && cancelled.requestCounts.completed == 1)

        var late = job()
        try late.validated(total: 2, at: 1_001)
        #expect(!late.isPastWindow(at: 1_000 + 86_399) && late.isPastWindow(at: 1_000 + 86_400))
        try late.expired(outputFileID: nil, errorFileID: nil, at: 1_000 + 86_400)
        #expect(late.status == .expired && !late.isPastWindow(at: 1_000 + 90_000))
    }

    @Test("the JSON is OpenAI's batch object and reads back the same")
    func json() throws {
        var job = job()
        try job.validated(total: 5, at: 1_001)
        let object = try #require(try JSONSerialization.jsonObject(with: job.json) as? [String: Any])
        #expect(object["object"] as? String == "batch" && object["status"] as? String == "in_progress")
        #expect(
            object["input_file_id"] as? String == "file-1" && object["endpoint"] as? String == "/v1/chat/completions")
        #expect(object["completion_window"] as? String == "24h" && object["in_progress_at"] as? Int == 1_001)
        #expect((object["request_counts"] as? [String: Int]) == ["total": 5, "completed": 0, "failed": 0])
        #expect(BatchJob.decode(job.json) == job)
    }
}
