public import Foundation

/// A batch job as OpenAI's Batch API shows it, and the only ways it may change.
///
/// `validating` → `in_progress` → `finalizing` → `completed`; `validating` → `failed`;
/// `validating` / `in_progress` → `cancelling` → `cancelled`; `in_progress` → `expired` past its
/// window. Every change takes the time (seconds since the epoch) from the caller.
public struct BatchJob: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case validating, failed
        case inProgress = "in_progress"
        case finalizing, completed, expired, cancelling, cancelled

        /// Whether the job has ended (no change follows).
        public var isFinal: Bool { [.failed, .completed, .expired, .cancelled].contains(self) }
    }

    public struct RequestCounts: Sendable, Hashable, Codable {
        public var total = 0
        public var completed = 0
        public var failed = 0

        public init(total: Int = 0, completed: Int = 0, failed: Int = 0) {
            self.total = total
            self.completed = completed
            self.failed = failed
        }
    }

    /// One validation error: OpenAI's `errors.data[]` entry.
    public struct LineError: Sendable, Hashable, Codable {
        public var code: String
        public var message: String
        public var param: String?
        public var line: Int?

        public init(code: String, message: String, param: String? = nil, line: Int? = nil) {
            self.code = code
            self.message = message
            self.param = param
            self.line = line
        }
    }

    /// OpenAI's `errors`: `{"object": "list", "data": [...]}`.
    public struct Errors: Sendable, Hashable, Codable {
        public var object = "list"
        public var data: [LineError]

        public init(_ data: [LineError]) { self.data = data }
    }

    /// A change that is not allowed from the job's status.
    public struct TransitionError: Error, Sendable, Hashable, CustomStringConvertible {
        public var from: Status
        public var change: String
        public var description: String { "batch job is \(from.rawValue): cannot \(change)" }
    }

    public var id: String
    public var object = "batch"
    public var endpoint: String
    public var errors: Errors?
    public var inputFileID: String
    public var completionWindow: String
    public var status: Status
    public var outputFileID: String?
    public var errorFileID: String?
    public var createdAt: Int
    public var inProgressAt: Int?
    public var expiresAt: Int?
    public var finalizingAt: Int?
    public var completedAt: Int?
    public var failedAt: Int?
    public var expiredAt: Int?
    public var cancellingAt: Int?
    public var cancelledAt: Int?
    public var requestCounts = RequestCounts()
    public var metadata: [String: String]?
    /// The name of the gateway key that created it (`nil`: none); see ``BatchAccess``.
    public var owner: String?

    /// The 24-hour window, the only one OpenAI offers.
    public static let window = 24 * 3_600

    public init(
        id: String, inputFileID: String, endpoint: String = "/v1/chat/completions", completionWindow: String = "24h",
        createdAt: Int, window: Int = Self.window, metadata: [String: String]? = nil, owner: String? = nil
    ) {
        self.id = id
        self.inputFileID = inputFileID
        self.endpoint = endpoint
        self.completionWindow = completionWindow
        self.createdAt = createdAt
        self.expiresAt = createdAt + window
        self.status = .validating
        self.metadata = metadata
        self.owner = owner
    }

    enum CodingKeys: String, CodingKey {
        case id, object, endpoint, errors, status, metadata, owner
        case inputFileID = "input_file_id"
        case completionWindow = "completion_window"
        case outputFileID = "output_file_id"
        case errorFileID = "error_file_id"
        case createdAt = "created_at"
        case inProgressAt = "in_progress_at"
        case expiresAt = "expires_at"
        case finalizingAt = "finalizing_at"
        case completedAt = "completed_at"
        case failedAt = "failed_at"
        case expiredAt = "expired_at"
        case cancellingAt = "cancelling_at"
        case cancelledAt = "cancelled_at"
        case requestCounts = "request_counts"
    }

    // MARK: Changes

    /// Every line checked: `total` lines to run.
    public mutating func validated(total: Int, at now: Int) throws(TransitionError) {
        try require([.validating], "start")
        status = .inProgress
        inProgressAt = now
        requestCounts = RequestCounts(total: total)
    }

    /// The input is unusable: the job fails with `errors` naming the lines.
    public mutating func rejected(_ errors: [LineError], at now: Int) throws(TransitionError) {
        try require([.validating], "fail validation")
        status = .failed
        failedAt = now
        self.errors = Errors(errors)
    }

    /// One line's outcome is recorded (`succeeded`: the provider answered it).
    public mutating func recorded(succeeded: Bool) throws(TransitionError) {
        try require([.inProgress, .cancelling], "record a line")
        if succeeded { requestCounts.completed += 1 } else { requestCounts.failed += 1 }
    }

    /// Every line is recorded (or the job stops): the output files are being written.
    public mutating func finalizing(at now: Int) throws(TransitionError) {
        try require([.inProgress], "finalize")
        status = .finalizing
        finalizingAt = now
    }

    /// The output files are written.
    public mutating func completed(outputFileID: String?, errorFileID: String?, at now: Int) throws(TransitionError) {
        try require([.finalizing], "complete")
        status = .completed
        completedAt = now
        self.outputFileID = outputFileID
        self.errorFileID = errorFileID
    }

    /// The user asked to cancel: no new line is sent.
    public mutating func cancel(at now: Int) throws(TransitionError) {
        try require([.validating, .inProgress], "cancel")
        status = .cancelling
        cancellingAt = now
    }

    /// The lines in flight at the cancel are recorded; the partial files are written.
    public mutating func cancelled(outputFileID: String?, errorFileID: String?, at now: Int) throws(TransitionError) {
        try require([.cancelling], "end the cancel")
        status = .cancelled
        cancelledAt = now
        self.outputFileID = outputFileID
        self.errorFileID = errorFileID
    }

    /// The window passed before every line was answered; the partial files are written (the
    /// lines never run count as failed).
    public mutating func expired(outputFileID: String?, errorFileID: String?, at now: Int) throws(TransitionError) {
        try require([.validating, .inProgress], "expire")
        status = .expired
        expiredAt = now
        self.outputFileID = outputFileID
        self.errorFileID = errorFileID
    }

    /// Whether the window has passed at `now` (a job still running).
    public func isPastWindow(at now: Int) -> Bool {
        !status.isFinal && now >= (expiresAt ?? Int.max)
    }

    private func require(_ allowed: [Status], _ change: String) throws(TransitionError) {
        guard allowed.contains(status) else { throw TransitionError(from: status, change: change) }
    }

    // MARK: JSON

    /// The batch object's JSON (keys sorted, no nulls).
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    public static func decode(_ data: Data) -> BatchJob? {
        try? JSONDecoder().decode(BatchJob.self, from: data)
    }
}
