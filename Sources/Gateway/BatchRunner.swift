import Batch
import Common
import Foundation
import Kafka
import Logging
import ProviderClient
import Signals
import Synchronization
import WorkerRuntime

/// The batch runner: a worker on `llm.batch.work` (group `llm-batch-runner`) that runs each job
/// it is handed (docs/batch.md). A job's message stays in flight until the job has ended, so a
/// runner that dies hands the job to the partition's next owner, which continues from the
/// recorded results; every line is a request with a deterministic id, so the agents' ledger
/// answers a line sent twice from its record instead of calling the provider again.
final class BatchRunner: WorkerHandler {
    private let files: FileStore
    private let store: BatchStore
    private let client: ProviderClient
    private let logger: Logger
    /// Lines of one job sent at once.
    private let concurrency: Int
    private let requestTimeout: Duration
    /// Jobs running here, with whether a cancel arrived.
    private let running = Mutex<[String: Bool]>([:])

    init(
        files: FileStore, store: BatchStore, client: ProviderClient, logger: Logger, concurrency: Int = 16,
        requestTimeout: Duration = .seconds(600)
    ) {
        self.files = files
        self.store = store
        self.client = client
        self.logger = logger
        self.concurrency = concurrency
        self.requestTimeout = requestTimeout
    }

    func handle(_ message: WorkerMessage, _ worker: any WorkerIO) {
        switch BatchWork.decode(Data(message.kafka.value)) {
        case .run(let job):
            running.withLock { $0[job.id] = false }
            worker.submit { await self.run(job, message, worker) }
        case .cancel(let id):
            running.withLock { running in if running[id] != nil { running[id] = true } }
            worker.finish(message)
        case nil:
            worker.deadLetter(message, code: "notBatchWork", reason: "not a batch job or cancel")
        }
    }

    /// Refusals made before any provider call: waited out for as long as the window lasts.
    private static let refusals: Set<ProviderErrorType> = [.rateLimited, .overloaded, .circuitOpen]

    /// A line's first request id: deterministic, so a resend is answered from the ledger.
    static func requestID(batch: String, line: BatchInput.Line) -> String { "batch-\(batch)-\(line.customID)" }

    private func cancelled(_ id: String) -> Bool { running.withLock { $0[id] ?? false } }

    /// Runs `submitted` (or continues it from its latest state) until it ends; the message is then
    /// finished. Stopped by the worker (a revocation, a shutdown): abandoned, for the next owner.
    private func run(_ submitted: BatchJob, _ message: WorkerMessage, _ worker: any WorkerIO) async {
        defer { running.withLock { _ = $0.removeValue(forKey: submitted.id) } }
        logger.info("batch job running", metadata: [LogKey.requestID: "\(submitted.id)"])
        do {
            let ended = try await runJob(store.job(submitted.id) ?? submitted, message, worker)
            if ended { worker.finish(message) } else { worker.abandon(message) }
        } catch {
            logger.error(
                "batch job interrupted; the partition's next owner continues it",
                metadata: [LogKey.requestID: "\(submitted.id)", LogKey.error: "\(error)"])
            worker.abandon(message)
        }
    }

    /// Whether the job has ended (else the worker stopped it and the message is handed on).
    private func runJob(_ start: BatchJob, _ message: WorkerMessage, _ worker: any WorkerIO) async throws -> Bool {
        var job = start
        guard !job.status.isFinal else { return true }
        let now = { Int(Date().timeIntervalSince1970) }
        // The input, checked.
        var file = files.file(job.inputFileID)
        for _ in 0..<50 where file == nil {
            try await Task.sleep(for: .milliseconds(100))
            file = files.file(job.inputFileID)
        }
        guard let file else {
            try job.rejected(
                [.init(code: "file_not_found", message: "input file \(job.inputFileID) does not exist")], at: now())
            try await store.save(job)
            return true
        }
        let input: BatchInput
        switch BatchInput.parse(try await files.content(of: file)) {
        case .failure(let problems):
            if job.status == .validating {
                try job.rejected(problems.errors, at: now())
                try await store.save(job)
            }
            return true
        case .success(let parsed): input = parsed
        }
        if job.status == .validating {
            try job.validated(total: input.lines.count, at: now())
            try await store.save(job)
        }
        // What a runner before this one recorded.
        var results = try await store.results(of: job.id)
        job.requestCounts = BatchJob.RequestCounts(
            total: input.lines.count, completed: results.values.filter(\.succeeded).count,
            failed: results.values.filter { !$0.succeeded }.count)
        let pending = input.lines.filter { results[$0.customID] == nil }
        var next = pending.makeIterator()
        var lastSaved = ContinuousClock.now
        let batchID = job.id
        let expiresAt = job.expiresAt ?? Int.max
        let pace = JobPace()
        try await withThrowingTaskGroup(of: BatchResult?.self) { group in
            func startNext() -> Bool {
                guard !cancelled(batchID), !Task.isCancelled, worker.isCurrent(message),
                    Date().timeIntervalSince1970 < Double(expiresAt),
                    let line = next.next()
                else { return false }
                group.addTask { try await self.call(line, batch: batchID, pace: pace, expiresAt: expiresAt) }
                return true
            }
            for _ in 0..<concurrency where !startNext() { break }
            while let outcome = try await group.next() {
                if let result = outcome {
                    try await store.record(result, batch: job.id)
                    results[result.customID] = result
                    try job.recorded(succeeded: result.succeeded)
                    if ContinuousClock.now - lastSaved > .seconds(1) {
                        try await store.save(job)
                        lastSaved = .now
                    }
                }
                _ = startNext()
            }
        }
        guard !Task.isCancelled, worker.isCurrent(message) else { return false }
        let refusals = pace.state.withLock { $0.refusals }
        if refusals > 0 {
            logger.info(
                "batch job yielded to interactive traffic",
                metadata: [LogKey.requestID: "\(job.id)", LogKey.deferred: "\(refusals)"])
        }
        // Past the window: the lines never answered fail as expired (not recorded: a job ends once).
        let cancelledHere = cancelled(job.id) || job.status == .cancelling
        let expired = !cancelledHere && now() >= expiresAt && results.count < input.lines.count
        if expired {
            for line in input.lines where results[line.customID] == nil {
                results[line.customID] = .expired(
                    customID: line.customID, requestID: Self.requestID(batch: job.id, line: line))
                job.requestCounts.failed += 1
            }
        }
        let (output, errors) = BatchResult.files(results, order: input.lines.map(\.customID))
        let outputFile =
            output.isEmpty
            ? nil
            : try await files.store(
                output, filename: "\(job.id)_output.jsonl", purpose: "batch_output", owner: job.owner)
        let errorFile =
            errors.isEmpty
            ? nil
            : try await files.store(
                errors, filename: "\(job.id)_error.jsonl", purpose: "batch_output", owner: job.owner)
        if cancelledHere {
            if job.status != .cancelling { try job.cancel(at: now()) }
            try job.cancelled(outputFileID: outputFile?.id, errorFileID: errorFile?.id, at: now())
        } else if expired {
            try job.expired(outputFileID: outputFile?.id, errorFileID: errorFile?.id, at: now())
        } else {
            try job.finalizing(at: now())
            try job.completed(outputFileID: outputFile?.id, errorFileID: errorFile?.id, at: now())
        }
        try await store.save(job)
        logger.info(
            "batch job ended",
            metadata: [
                LogKey.requestID: "\(job.id)", LogKey.status: "\(job.status.rawValue)",
                LogKey.records: "\(job.requestCounts.completed + job.requestCounts.failed)",
            ])
        return true
    }

    /// One line as a request of priority `batch` (its id `batch-<batch>-<custom_id>`, so a resend is
    /// answered from the ledger); `nil` when the run stops before it is answered, or the window
    /// closes before it is sent (a line sent is waited for, so that a call made is never lost).
    /// A refusal before any provider call (a limit or the interactive reserve reached, the slots
    /// busy, the breaker open) holds the whole job's pace until its `retry_after` and is tried
    /// again for as long as the window lasts; other retryable failures a few times.
    private func call(
        _ line: BatchInput.Line, batch: String, pace: JobPace, expiresAt: Int
    ) async throws -> BatchResult? {
        let base = Self.requestID(batch: batch, line: line)
        var attempt = 0
        var failures = 0
        while true {
            while let hold = pace.state.withLock({ $0.hold(at: ContinuousClock.now) }) {
                try? await Task.sleep(for: hold)
                if Task.isCancelled { return nil }
            }
            // A line not sent before the window closes is expired; one sent is waited for.
            guard Date().timeIntervalSince1970 < Double(expiresAt) else { return nil }
            let requestID = attempt == 0 ? base : "\(base)-retry\(attempt)"
            let request: GatewayRequest
            do throws(GatewayError) {
                request = try ChatCompletionRequest.parse(Array(line.body), requestID: requestID)
            } catch {
                return BatchResult(
                    customID: line.customID, requestID: requestID, statusCode: 400, body: Data(error.openAIBody))
            }
            var providerRequest = request.request
            providerRequest.priority = .batch
            let renderer = ChatCompletionRenderer(
                requestID: requestID, model: request.model, created: Int(Date().timeIntervalSince1970))
            let topic =
                switch request.target {
                case .router: client.configuration.routerTopic
                case .provider(let name): client.configuration.providerTopic(name)
                }
            do throws(ProviderClientError) {
                let answer = try await client.call(providerRequest, as: .chat, to: topic, timeout: requestTimeout)
                switch answer.outcome {
                case .response(let response):
                    return BatchResult(
                        customID: line.customID, requestID: requestID, statusCode: 200,
                        body: Data(renderer.completion(response)))
                case .error(let error):
                    let failure = GatewayError(error)
                    if error.retryable, Self.refusals.contains(error.errorType) {
                        pace.state.withLock {
                            $0.refused(
                                retryAfter: error.retryAfterMs.map { Duration.milliseconds($0) },
                                at: ContinuousClock.now)
                        }
                        attempt += 1
                        continue
                    }
                    if error.retryable, failures < 5 {
                        failures += 1
                        attempt += 1
                        try? await Task.sleep(for: .milliseconds(max(500, error.retryAfterMs ?? 1_000)))
                        if Task.isCancelled { return nil }
                        continue
                    }
                    return BatchResult(
                        customID: line.customID, requestID: requestID, statusCode: failure.status,
                        body: Data(failure.openAIBody))
                }
            } catch {
                if error.code == .shutDown || error.code == .cancelled || Task.isCancelled { return nil }
                let failure = GatewayRoutes.map(error)
                return BatchResult(
                    customID: line.customID, requestID: requestID, statusCode: failure.status,
                    body: Data(failure.openAIBody))
            }
        }
    }
}

/// One job's pace, shared by the tasks calling its lines.
/// Sendable: its only state is behind the mutex.
final class JobPace: Sendable {
    let state = Mutex(BatchPace())
}
