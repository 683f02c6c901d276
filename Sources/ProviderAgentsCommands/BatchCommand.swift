import ArgumentParser
import Batch
import Common
import Foundation
import Gateway
import Kafka
import Logging
import ServiceLifecycle
import Topics

/// `provider-agents batch`: batch jobs over Kafka (docs/batch.md) — a runner, and the command
/// line of a job: submit, status, cancel, results.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run batch jobs (OpenAI's Batch API over Kafka): a runner, or submit / status / cancel / results.",
        subcommands: [Runner.self, Submit.self, Status.self, Cancel.self, Results.self]
    )

    /// What every batch subcommand takes.
    struct Options: ParsableArguments {
        @OptionGroup var kafka: KafkaOptions

        @Option(help: "Prefix of every topic name (as the agents' and routers' --topic-prefix).")
        var topicPrefix: String = ""

        @Option(help: "This process's id (its readers; a runner's reply topic). Default: <hostname>-<pid>.")
        var instanceID: String?

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            do throws(InvalidSetting) {
                try TopicNames.validate(prefix: topicPrefix)
            } catch {
                throw ValidationError("--topic-prefix: \(error.message)")
            }
        }

        var instance: String {
            instanceID ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        }

        /// The files and jobs, without a runner, loaded.
        func service(_ label: String, window: Int = BatchJob.window) async throws -> BatchService {
            let logger = logging.bootstrap(label: "provider-agents.batch.\(label)")
            let service = try BatchService(
                kafka: try kafka.configuration(), topics: TopicNames(prefix: topicPrefix),
                instanceID: "batch-\(label)-\(instance)", client: nil, requestTimeout: .seconds(600),
                connectTimeout: kafka.connectDuration, window: window, logger: logger)
            try await service.load()
            return service
        }
    }

    struct Runner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a batch runner until SIGTERM/SIGINT: its share of the jobs, continued after any runner dies."
        )

        @OptionGroup var options: Options

        @Option(help: "Seconds a line may wait for its answer before it counts as failed.")
        var requestTimeout: Int = 600

        @Option(
            help: ArgumentHelp(
                "Serve /metrics (Prometheus), /health and /ready here. Default: none.", valueName: "host:port"))
        var metricsListen: String?

        func run() async throws {
            let logger = options.logging.bootstrap(label: "provider-agents.batch.runner")
            let endpoint = try MetricsEndpointSetting(listen: metricsListen, option: "--metrics-listen")
            let runner = try BatchRunnerService(
                kafka: try options.kafka.configuration(), topics: TopicNames(prefix: options.topicPrefix),
                instanceID: "batch-runner-\(options.instance)", requestTimeout: .seconds(requestTimeout),
                connectTimeout: options.kafka.connectDuration, logger: logger,
                metrics: MetricsEndpointSetting.factory(endpoint))
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: runner, serviceName: "batch-runner")
            ]
            if let endpoint { services.append(endpoint.member(logger: logger) { runner.ready }) }
            var configuration = ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            configuration.maximumGracefulShutdownDuration = .seconds(40)
            configuration.maximumCancellationDuration = AgentCommand.cancellationLimit
            try await ServiceGroup(configuration: configuration).run()
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a JSONL file and start a batch job; with --wait, show its progress until it ends.")

        @Argument(help: "The input file: one {custom_id, method, url, body} per line.")
        var file: String

        @Flag(help: "Wait for the job to end, with a progress line (done / total, failed, rate, ETA).")
        var wait = false

        @Option(help: "With --wait: write the output file here (else it is printed).")
        var output: String?

        @Option(help: "Seconds the job may run before it expires (the lines not run fail). Default 86400.")
        var window: Int = BatchJob.window

        @OptionGroup var options: Options

        func run() async throws {
            guard let bytes = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file): cannot be read")
            }
            if case .failure(let problems) = BatchInput.parse(bytes) {
                let lines = problems.errors.prefix(10).map { "  \($0.line.map { "line \($0): " } ?? "")\($0.message)" }
                throw ValidationError("\(file) cannot run:\n" + lines.joined(separator: "\n"))
            }
            guard window >= 1 else { throw ValidationError("--window must be at least 1 second, got \(window)") }
            let service = try await options.service("submit", window: window)
            let job: BatchJob
            do throws(GatewayError) {
                let uploaded = try await service.upload(bytes, filename: URL(fileURLWithPath: file).lastPathComponent)
                job = try await service.create(inputFileID: uploaded.id)
            } catch {
                await service.close()
                throw ValidationError(error.message)
            }
            print(job.id)
            guard wait else {
                await service.close()
                return
            }
            let ended = try await Self.follow(job.id, service: service)
            defer { Task { await service.close() } }
            // A job that expired or was cancelled still gives what it answered.
            if let id = ended.outputFileID {
                let data = try await service.content(of: id)
                if let output {
                    try data.write(to: URL(fileURLWithPath: output))
                } else {
                    FileHandle.standardOutput.write(data)
                }
            }
            guard ended.status == .completed else {
                throw ValidationError("batch \(ended.id) ended \(ended.status.rawValue)")
            }
        }

        /// Waits for job `id` to end, redrawing a progress line on standard error.
        static func follow(_ id: String, service: BatchService) async throws -> BatchJob {
            let started = ContinuousClock.now
            return try await withThrowingTaskGroup(of: BatchJob?.self) { group in
                group.addTask {
                    await service.follow()
                    return nil
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(250))
                        guard let job = service.job(id) else { continue }
                        FileHandle.standardError.write(Data(Self.progress(job, since: started).utf8))
                        if job.status.isFinal {
                            FileHandle.standardError.write(Data("\n".utf8))
                            return job
                        }
                    }
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let job = result { return job }
                }
                throw ValidationError("batch \(id): no longer followed")
            }
        }

        /// `\r[#####.....] 120/1000 done, 2 failed, 35.2/s, ETA 25 s (in_progress)`.
        static func progress(_ job: BatchJob, since started: ContinuousClock.Instant) -> String {
            let counts = job.requestCounts
            let done = counts.completed + counts.failed
            let width = 30
            let filled = counts.total > 0 ? width * done / counts.total : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let seconds = max(0.001, (ContinuousClock.now - started) / .seconds(1))
            let rate = Double(done) / seconds
            let eta = rate > 0 ? String(format: "ETA %.0f s", Double(counts.total - done) / rate) : "ETA -"
            return "\r[\(bar)] \(done)/\(counts.total) done, \(counts.failed) failed, "
                + String(format: "%.1f/s, ", rate) + "\(eta) (\(job.status.rawValue))   "
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a batch job as the API shows it (JSON).")

        @Argument(help: "The batch id.")
        var id: String

        @OptionGroup var options: Options

        func run() async throws {
            let service = try await options.service("status")
            defer { Task { await service.close() } }
            guard let job = service.job(id) else { throw ValidationError("no batch '\(id)'") }
            print(String(decoding: job.json, as: UTF8.self))
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a batch job: no new line is sent; it ends cancelled with a partial output.")

        @Argument(help: "The batch id.")
        var id: String

        @OptionGroup var options: Options

        func run() async throws {
            let service = try await options.service("cancel")
            defer { Task { await service.close() } }
            do throws(GatewayError) {
                print(String(decoding: try await service.cancel(id).json, as: UTF8.self))
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a finished batch job's output file (its error file with --errors).")

        @Argument(help: "The batch id.")
        var id: String

        @Flag(help: "The error file (the lines that failed) instead of the output file.")
        var errors = false

        @Option(help: "Write it here instead of standard output.")
        var output: String?

        @OptionGroup var options: Options

        func run() async throws {
            let service = try await options.service("results")
            defer { Task { await service.close() } }
            guard let job = service.job(id) else { throw ValidationError("no batch '\(id)'") }
            guard let fileID = errors ? job.errorFileID : job.outputFileID else {
                throw ValidationError(
                    "batch \(id) is \(job.status.rawValue) and has no \(errors ? "error" : "output") file")
            }
            let data: Data
            do throws(GatewayError) {
                data = try await service.content(of: fileID)
            } catch {
                throw ValidationError(error.message)
            }
            if let output {
                try data.write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }
}
