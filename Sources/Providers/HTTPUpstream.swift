import AgentCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP plumbing the adapters share: POST a JSON body with the configured headers and
/// timeout, turn a non-2xx answer into the adapter's classified error, read a body, run a stream
/// and classify its failures. The adapters keep only their wire formats.
struct HTTPUpstream: Sendable {
    let configuration: HTTPProviderConfiguration
    let client: HTTPClient
    typealias EventContinuation = AsyncThrowingStream<StreamEvent, any Error>.Continuation

    /// The rate-limit headers of every answer, per model (the request body's `model`).
    let rateLimits = UpstreamRateLimitTracker()

    /// POSTs `json` to `path` with `headers` (plus the configured extra headers); a non-2xx
    /// answer is thrown as `errorFor(status, body text, lowercased headers)`.
    func post(
        _ path: String, headers: [(String, String)], json: Any,
        errorFor: (Int, String, [String: String]) -> ProviderCallError
    ) async throws(ProviderCallError) -> HTTPClientResponse {
        let bytes: [UInt8]
        if let direct = JSONBodyWriter.encode(json) {
            bytes = direct
        } else {
            do {
                bytes = Array(try JSONSerialization.data(withJSONObject: json))
            } catch {
                throw .invalidRequest("the request cannot be written as JSON: \(error)")
            }
        }
        let model = (json as? [String: Any])?["model"] as? String
        return try await post(path, headers: headers, body: bytes, model: model, errorFor: errorFor)
    }

    /// POSTs the JSON `body` to `path` with `headers` (plus the configured extra headers); the
    /// answer's rate-limit headers are remembered for `model`; a non-2xx answer is thrown as
    /// `errorFor(status, body text, lowercased headers)`.
    func post(
        _ path: String, headers: [(String, String)], body: [UInt8], model: String?,
        errorFor: (Int, String, [String: String]) -> ProviderCallError
    ) async throws(ProviderCallError) -> HTTPClientResponse {
        var http = HTTPClientRequest(url: configuration.baseURL + path)
        http.method = .POST
        http.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { http.headers.add(name: name, value: value) }
        for (name, value) in configuration.extraHeaders { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            let timeout = configuration.requestTimeout.components
            response = try await client.execute(
                http, timeout: .nanoseconds(timeout.seconds * 1_000_000_000 + timeout.attoseconds / 1_000_000_000))
        } catch {
            throw Self.transportError(error)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            var fields: [String: String] = [:]
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            if let model { rateLimits.record(model: model, headers: fields) }
            let text = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            throw errorFor(status, text, fields)
        }
        // A success needs only the rate-limit headers: no lowercased copy of every header.
        if let model { rateLimits.record(model: model, headers: UpstreamRateLimitTracker.fields(of: response.headers)) }
        return response
    }

    /// The whole (non-streamed) body, at most `maxResponseBytes`.
    func body(of response: HTTPClientResponse) async throws(ProviderCallError) -> Data {
        Data(try await bodyBuffer(of: response).readableBytesView)
    }

    /// The whole (non-streamed) body as it was read, at most `maxResponseBytes` (no copy).
    func bodyBuffer(of response: HTTPClientResponse) async throws(ProviderCallError) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw Self.transportError(error)
        }
    }

    /// A stream of events: `open` makes the request, `read` turns its body into events. Errors
    /// are classified; a connection that fails once the answer began is "cut mid-way". The whole
    /// stream, first byte to last, must end within the request timeout (the client's deadline
    /// covers only the answer's head): a stream that stalls is a `timeout`, not a hang.
    func stream(
        open: @escaping @Sendable () async throws(ProviderCallError) -> HTTPClientResponse,
        read: @escaping @Sendable (HTTPClientResponse, EventContinuation) async throws -> Void
    ) -> AsyncThrowingStream<StreamEvent, any Error> {
        let timeout = configuration.requestTimeout
        let eventLoop = client.eventLoopGroup.any()
        return AsyncThrowingStream { continuation in
            let deadline = StreamDeadline()
            let task = Task {
                do {
                    try await Self.classified(open: open, read: read, continuation)
                    continuation.finish()
                } catch {
                    guard deadline.hasFired else { return continuation.finish(throwing: error) }
                    let message = "upstream did not finish the stream within the request timeout (\(timeout))"
                    continuation.finish(throwing: ProviderCallError.timeout(message))
                }
            }
            deadline.arm(on: eventLoop, after: timeout, cancelling: task)
            continuation.onTermination = { _ in
                task.cancel()
                deadline.cancel()
            }
        }
    }

    private static func classified(
        open: @Sendable () async throws(ProviderCallError) -> HTTPClientResponse,
        read:
            @Sendable (HTTPClientResponse, AsyncThrowingStream<StreamEvent, any Error>.Continuation) async throws ->
            Void,
        _ continuation: AsyncThrowingStream<StreamEvent, any Error>.Continuation
    ) async throws(ProviderCallError) {
        var started = false
        do {
            let response = try await open()
            started = true
            try await read(response, continuation)
        } catch let error as ProviderCallError {
            throw error
        } catch {
            var mapped = transportError(error)
            if started, mapped.type == .providerError { mapped.message = "the stream was cut mid-way: \(error)" }
            throw mapped
        }
    }

    /// A failure below HTTP (connection, timeouts) as a classified error.
    static func transportError(_ error: any Error) -> ProviderCallError {
        if let error = error as? ProviderCallError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return .timeout("upstream did not answer in time (\(error))")
            default:
                break
            }
        }
        return ProviderCallError(
            type: .providerError, message: "upstream connection failed: \(error)", retryable: true,
            breakerKind: .connection)
    }
}
