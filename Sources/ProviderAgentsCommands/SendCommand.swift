import ArgumentParser
import Common
import Foundation
import Kafka
import Logging
import ProviderClient
import Signals
import Synchronization
import Topics

/// `provider-agents send`: one request through the router (or straight to a provider's agents),
/// waiting for its answer.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one request to the router (or straight to a provider) and print its answer and route.",
        discussion: """
            The answer comes back on this client's reply topic (default <prefix>llm.replies.<client-id>, \
            created when missing; --reply-topic names an existing one). Printed: the answer's text \
            (streamed chunk by chunk with --stream), then who answered (provider, model, instance, \
            attempt) and every earlier attempt of a routed request with its error; --json prints \
            the final signal instead. Exit status: 0 for a provider_response, 1 for a final \
            provider_error (printed with its error_type and message), 2 when no answer came in time \
            or the broker or a topic could not be reached.
            """
    )

    @Option(help: "The user message.")
    var prompt: String?

    @Option(help: "A system message sent before --prompt.")
    var system: String?

    @Option(
        name: .customLong("messages-json"),
        help: ArgumentHelp(
            """
            The messages as a JSON array, e.g. '[{\"role\":\"user\",\"content\":\"Hi\"}]'; '-' reads it from \
            standard input.
            """,
            valueName: "json"
        ))
    var messagesJSON: String?

    @Option(help: "Model (default: the provider's default model).")
    var model: String?

    @Option(help: "Preferred provider (routers send the request only there).")
    var provider: String?

    @Option(help: "max_tokens (>= 1).")
    var maxTokens: Int?

    @Option(help: "temperature (0...2).")
    var temperature: Double?

    @Flag(help: "Send a stream_request and print the chunks as they arrive.")
    var stream = false

    @Option(help: "Seconds to wait for the final answer.")
    var timeout: Double = 120

    @Option(help: "Topic to send to, as given. Default: <prefix>llm.router.requests.")
    var topic: String?

    @Option(
        help: ArgumentHelp(
            "Send straight to this provider's agents (<prefix>llm.requests.<provider>): no router, no fallback.",
            valueName: "provider"))
    var direct: String?

    @Option(
        help:
            """
            An existing topic to read the answer from, as given. Default: <prefix>llm.replies.<client-id>, created \
            when missing.
            """
    )
    var replyTopic: String?

    @Option(help: "This client's id (the default reply topic's suffix, source client/<id>). Default: the host name.")
    var clientID: String?

    @Option(help: "The request id. Default: a new UUID.")
    var requestID: String?

    @Option(help: "Prefix of every default topic name (as the agents' --topic-prefix).")
    var topicPrefix: String = ""

    @Flag(help: "Print the final signal as JSON (with --stream, each chunk's signal first), one per line.")
    var json = false

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (prompt == nil) != (messagesJSON == nil) else {
            throw ValidationError("give either --prompt or --messages-json")
        }
        if system != nil, prompt == nil {
            throw ValidationError("--system goes with --prompt (put it into --messages-json otherwise)")
        }
        if topic != nil, direct != nil { throw ValidationError("give either --topic or --direct, not both") }
        do throws(InvalidSetting) {
            if let direct { try SettingRule.providerName(direct, at: []) }
        } catch {
            throw ValidationError("--direct: \(error.message)")
        }
        do throws(InvalidSetting) {
            try TopicNames.validate(prefix: topicPrefix)
        } catch {
            throw ValidationError("--topic-prefix: \(error.message)")
        }
        guard timeout.isFinite, timeout > 0 else {
            throw ValidationError("--timeout: must be a positive number of seconds, got \(timeout)")
        }
        guard kafka.connectTimeout > 0 else {
            throw ValidationError("--connect-timeout: must be at least 1 second, got \(kafka.connectTimeout)")
        }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens: must be at least 1, got \(maxTokens)") }
        if let temperature, !(temperature.isFinite && (0...2).contains(temperature)) {
            throw ValidationError("--temperature: must be between 0 and 2, got \(temperature)")
        }
        if let requestID, requestID.isEmpty { throw ValidationError("--request-id: must not be empty") }
        if let replyTopic, replyTopic.isEmpty { throw ValidationError("--reply-topic: must not be empty") }
        if let clientID,
            clientID.isEmpty || clientID.count > 200
                || !clientID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        {
            throw ValidationError("--client-id: '\(clientID)' must be 1 to 200 ASCII letters, digits, '.', '_' or '-'")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.send")
        let request = try await makeRequest()
        var configuration = ProviderClientConfiguration(
            common: try kafka.configuration(), clientID: clientID ?? ProviderClientConfiguration.defaultClientID(),
            topicPrefix: topicPrefix,
            replyTopic: replyTopic
        )
        configuration.common.clientID = "provider-agents-send"
        configuration.connectTimeout = kafka.connectDuration
        let destination = topic ?? direct.map { configuration.providerTopic($0) } ?? configuration.routerTopic
        let printer = ChunkPrinter(json: json)
        let outcome: Result<ProviderCallResult, ProviderClientError>
        let client: ProviderClient
        do {
            client = try ProviderClient(configuration: configuration, logger: logger)
        } catch {
            Self.complain(error.message)
            throw ExitCode(2)
        }
        var onChunk: (@Sendable (StreamChunk) -> Void)?
        if stream { onChunk = { chunk in printer.print(chunk) } }
        let wait = Duration.milliseconds(Int64((timeout * 1_000).rounded()))
        do throws(ProviderClientError) {
            try await client.start()
            let result = try await client.call(
                request, as: stream ? .stream : .chat, to: destination, timeout: wait, onChunk: onChunk)
            outcome = .success(result)
        } catch {
            outcome = .failure(error)
        }
        await client.shutdown()
        switch outcome {
        case .success(let result):
            try report(result, streamed: printer.printed > 0)
            if !result.succeeded { throw ExitCode(1) }
        case .failure(let error):
            Self.complain(error.message)
            throw ExitCode(2)
        }
    }

    /// The request from the options.
    func makeRequest() async throws -> ProviderRequest {
        let messages: [ChatMessage]
        if let prompt {
            messages = (system.map { [ChatMessage.system($0)] } ?? []) + [ChatMessage.user(prompt)]
        } else if messagesJSON == "-" {
            messages = try Self.parseMessages(await Self.readStandardInput())
        } else {
            messages = try Self.parseMessages(messagesJSON ?? "")
        }
        return ProviderRequest(
            requestID: requestID ?? UUID().uuidString.lowercased(), messages: messages, model: model,
            temperature: temperature,
            maxTokens: maxTokens, stream: stream ? true : nil, provider: provider
        )
    }

    static func parseMessages(_ text: String) throws -> [ChatMessage] {
        let messages: [ChatMessage]
        do {
            messages = try JSONDecoder().decode([ChatMessage].self, from: Data(text.utf8))
        } catch let error as SignalDecodingError {
            throw ValidationError("--messages-json: \(error.message)")
        } catch {
            throw ValidationError(
                "--messages-json: not a JSON array of messages ({\"role\": ..., \"content\": ...}): \(error)")
        }
        guard !messages.isEmpty else { throw ValidationError("--messages-json: at least one message is needed") }
        return messages
    }

    /// Standard input to its end, read on a dispatch thread (the read blocks).
    static func readStandardInput() async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
            }
        }
    }

    /// The final answer: its text (unless streamed), who answered, and the route; or the final error.
    func report(_ result: ProviderCallResult, streamed: Bool) throws {
        if json {
            say(String(decoding: try result.envelope.encoded(), as: UTF8.self))
            return
        }
        switch result.outcome {
        case .response(let response):
            if streamed {
                say("")
            } else {
                say(response.response)
            }
            var details =
                """
                finish_reason: \(response.finishReason ?? "-")  upstream: \
                \(String(format: "%.1f", response.latencyMs)) ms  round trip: \(formatMilliseconds(result.latency))
                """
            if let usage = response.usage {
                details += "  tokens: \(usage.promptTokens) prompt + \(usage.completionTokens) completion"
            }
            say("--")
            say(Self.answeredBy(result))
            say(details)
        case .error(let error):
            say("provider_error \(error.errorType.rawValue): \(error.error)")
            say("--")
            say(Self.answeredBy(result))
        }
        // The route of a routed request: every failed attempt (for a response, those before it).
        for attempt in result.route?.tried ?? [] {
            let instance = attempt.instance.map { " (instance \($0))" } ?? ""
            let wait = attempt.retryAfterMs.map { ", retry after \($0) ms" } ?? ""
            say(
                """
                attempt \(attempt.attempt): \(attempt.target)\(instance): \(attempt.errorType.rawValue): \
                \(attempt.error)\(wait)
                """
            )
        }
        if let route = result.route, !route.remaining.isEmpty {
            say("not tried: \(route.remaining.map(\.description).joined(separator: ", "))")
        }
    }

    /// `provider: p  model: m  instance: i  attempt: n`.
    static func answeredBy(_ result: ProviderCallResult) -> String {
        """
        provider: \(result.provider ?? "-")  model: \(result.model ?? "-")  instance: \(result.instance ?? "-")  \
        attempt: \(result.attempt ?? 1)
        """
    }

    /// A problem of the command itself (no answer), on standard error.
    static func complain(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }
}

/// Prints stream chunks as they arrive: their text, or their signal as JSON.
final class ChunkPrinter: Sendable {
    let json: Bool
    private let count = Atomic<Int>(0)

    init(json: Bool) { self.json = json }

    var printed: Int { count.load(ordering: .relaxed) }

    func print(_ chunk: StreamChunk) {
        count.add(1, ordering: .relaxed)
        if json {
            let envelope = SignalEnvelope(signal: .streamChunk(chunk), id: nil, source: nil, time: nil)
            if let bytes = try? envelope.encoded() { say(String(decoding: bytes, as: UTF8.self)) }
        } else {
            FileHandle.standardOutput.write(Data(chunk.delta.utf8))
        }
    }
}
