import Batch
import Common
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProviderClient
import Signals

/// The gateway's HTTP routes over its ``Gateway``: keys, body limits, translation, the call.
struct GatewayRoutes: Sendable {
    let gateway: Gateway

    private var configuration: GatewayConfiguration { gateway.configuration }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestCounting(gateway: gateway))
        router.post("v1/chat/completions") { request, _ in await serve(request, api: .openAI) }
        router.post("v1/messages") { request, _ in await serve(request, api: .anthropic) }
        router.get("v1/models") { request, _ in models(request) }
        router.get("health") { _, _ in health() }
        router.post("v1/files") { request, _ in await uploadFile(request) }
        router.get("v1/files") { request, _ in listFiles(request) }
        router.get("v1/files/:id") { request, context in fileObject(request, id: context.parameters.get("id") ?? "") }
        router.get("v1/files/:id/content") { request, context in
            await fileContent(request, id: context.parameters.get("id") ?? "")
        }
        router.post("v1/batches") { request, _ in await createBatch(request) }
        router.get("v1/batches") { request, _ in listBatches(request) }
        router.get("v1/batches/:id") { request, context in batch(request, id: context.parameters.get("id") ?? "") }
        router.post("v1/batches/:id/cancel") { request, context in
            await cancelBatch(request, id: context.parameters.get("id") ?? "")
        }
        return router
    }

    // MARK: Routes

    /// 200 while the process lives, with what it holds: requests waiting for their answers and
    /// requests sharing another's call (both back to 0 when nothing is in flight), and the live
    /// gateway instances that share each key's rate limit.
    func health() -> Response {
        var json = JSONBytes(capacity: 96)
        json.beginObject()
        json.member("status", "ok")
        json.member("waiting_calls", gateway.client.stats.pending)
        json.member("shared_calls", gateway.shared.count)
        json.member("gateways", gateway.peers.withLock { $0.live(at: .now) })
        json.endObject()
        return Self.json(json.bytes)
    }

    func models(_ request: Request) -> Response {
        if case .failure(let error) = authenticate(request) { return Self.response(error, api: .openAI) }
        var json = JSONBytes(capacity: 1_024)
        json.beginObject()
        json.member("object", "list")
        json.key("data")
        json.raw("[")
        for (index, entry) in gateway.catalog.entries.enumerated() {
            if index > 0 { json.raw(",") }
            json.beginObject()
            json.member("id", entry.id)
            json.member("object", "model")
            json.member("created", 0)
            json.member("owned_by", entry.ownedBy)
            json.endObject()
        }
        json.raw("]")
        json.endObject()
        return Self.json(json.bytes)
    }

    /// The two API shapes the gateway speaks: what a body means, how answers and errors look.
    enum API: Sendable {
        case openAI
        case anthropic

        func parse(_ body: [UInt8], requestID: String) throws(GatewayError) -> GatewayRequest {
            switch self {
            case .openAI: try ChatCompletionRequest.parse(body, requestID: requestID)
            case .anthropic: try MessagesRequest.parse(body, requestID: requestID)
            }
        }

        func shape(of request: GatewayRequest) -> any AnswerShape {
            switch self {
            case .openAI:
                ChatCompletionRenderer(
                    requestID: request.request.requestID, model: request.model,
                    created: Int(Date().timeIntervalSince1970), includeUsage: request.includeUsage)
            case .anthropic: MessagesRenderer(requestID: request.request.requestID, model: request.model)
            }
        }

        func body(_ error: GatewayError) -> [UInt8] {
            switch self {
            case .openAI: error.openAIBody
            case .anthropic: error.anthropicBody
            }
        }
    }

    /// One request of either shape: key, body, translation, the early model check, the call.
    func serve(_ request: Request, api: API) async -> Response {
        let key: GatewayKey?
        switch authenticate(request) {
        case .success(let found): key = found
        case .failure(let error): return Self.response(error, api: api)
        }
        do throws(GatewayError) {
            let body = try await collect(request)
            let call = try api.parse(body, requestID: try requestID(request, key: key))
            if let key, !key.allows(call.model) {
                throw .forbidden("this key may not use the model `\(call.model)`")
            }
            switch gateway.catalog.verdict(model: call.model, target: call.target) {
            case .serve: break
            case .unknown(let message): throw .notFound(message)
            case .unavailable(let message, let retryAfterMs):
                throw .unavailable(message, retryAfterSeconds: retryAfterMs.map { max(1, ($0 + 999) / 1_000) })
            }
            if let key {
                let tokens = call.request.estimatedTokens(defaultMaxTokens: Self.assumedMaxTokens)
                let decision = gateway.limits.withLock { $0.admit(key.name, tokens: tokens, at: .now) }
                if case .rejected(let dimension, let retryAfter) = decision {
                    let local = gateway.limits.withLock { $0.localRequestLimit(key.name) }
                    throw .keyLimited(
                        key.name,
                        limit: "\(dimension.rawValue) budget; this gateway's share: \(local.map(String.init) ?? "-") "
                            + "requests per window",
                        retryAfter: retryAfter)
                }
            }
            let shape = api.shape(of: call)
            let requestID = call.request.requestID
            while true {
                if gateway.shared.lead(requestID) { break }
                // The same id in flight here already (a client retrying under its idempotency key):
                // wait for that call's outcome instead of calling again.
                guard let outcome = await gateway.shared.follow(requestID) else { continue }
                let result: ProviderCallResult
                do throws(ProviderClientError) {
                    result = try outcome.get()
                } catch {
                    throw Self.map(error)
                }
                return try Self.answer(result, shape: shape, whole: call.stream)
            }
            if call.stream { return await stream(call, shape: shape, api: api) }
            let outcome: SharedCalls.Outcome
            let started = ContinuousClock.now
            defer { gateway.observe(model: call.model, outcome: outcome, latency: .now - started) }
            do throws(ProviderClientError) {
                outcome = .success(
                    try await gateway.client.call(
                        call.request, as: .chat, to: destination(call), timeout: configuration.requestTimeout))
            } catch {
                outcome = .failure(error)
            }
            gateway.shared.finish(requestID, with: outcome)
            let result: ProviderCallResult
            do throws(ProviderClientError) {
                result = try outcome.get()
            } catch {
                throw Self.map(error)
            }
            return try Self.answer(result, shape: shape, whole: false)
        } catch {
            if error.status >= 500 {
                gateway.logger.error(
                    "request failed",
                    metadata: [
                        LogKey.status: "\(error.status)", LogKey.error: "\(error.message)",
                        LogKey.gatewayKey: "\(key?.name ?? "-")",
                    ])
            }
            return Self.response(error, api: api)
        }
    }

    /// The HTTP answer to a call's final signal; `whole`: a stream's events all at once (for a
    /// stream that waited for another request's call).
    private static func answer(_ result: ProviderCallResult, shape: any AnswerShape, whole: Bool)
        throws(GatewayError) -> Response
    {
        switch result.outcome {
        case .error(let error): throw GatewayError(error)
        case .response(let response):
            guard whole else { return json(shape.completion(response)) }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            let events = shape.opening() + shape.closing(response, streamedText: false)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: events)))
        }
    }

    /// What a request without `max_tokens` is charged against a key's token budget, besides its prompt.
    static let assumedMaxTokens = 1_024

    // MARK: Files

    /// The largest upload: a batch input's limit and room for the form around it.
    static let maxUploadBytes = BatchInput.maxBytes + (1 << 20)

    /// `POST /v1/files` (`multipart/form-data` with `purpose=batch` and `file`): stored on Kafka.
    func uploadFile(_ request: Request) async -> Response {
        let owner: String?
        do { owner = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        do throws(GatewayError) {
            let body = try await collect(request, limit: Self.maxUploadBytes)
            let form: MultipartForm
            do {
                form = try MultipartForm.parse(Data(body), contentType: request.headers[.contentType] ?? "")
            } catch {
                throw .invalid("the upload is not a valid multipart form: \(error.description)")
            }
            let purpose = form.part("purpose").map { String(decoding: $0.body, as: UTF8.self) }
            guard purpose == "batch" else {
                let given = purpose.map { "'\($0)'" } ?? "none"
                throw .invalid(
                    "purpose must be 'batch' (the only purpose this gateway stores), got \(given)", param: "purpose")
            }
            guard let file = form.part("file") else { throw .invalid("the form has no 'file' part", param: "file") }
            let stored = try await gateway.batch.upload(
                file.body, filename: file.filename ?? "upload.jsonl", owner: owner)
            return Self.json(Array(stored.apiJSON))
        } catch {
            return Self.response(error, api: .openAI)
        }
    }

    func listFiles(_ request: Request) -> Response {
        let requester: String?
        do { requester = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        var json = Array(#"{"object":"list","has_more":false,"data":["#.utf8)
        for (index, file) in gateway.batch.files(for: requester).enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += file.apiJSON
        }
        json += Array("]}".utf8)
        return Self.json(json)
    }

    func fileObject(_ request: Request, id: String) -> Response {
        let requester: String?
        do { requester = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        guard let file = gateway.batch.file(id, for: requester) else {
            return Self.response(
                .notFound("No such file: '\(id)'", code: "file_not_found", param: "file_id"), api: .openAI)
        }
        return Self.json(Array(file.apiJSON))
    }

    func fileContent(_ request: Request, id: String) async -> Response {
        let requester: String?
        do { requester = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        do throws(GatewayError) {
            let data = try await gateway.batch.content(of: id, for: requester)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return Self.response(error, api: .openAI)
        }
    }

    // MARK: Batches

    /// `POST /v1/batches` (`input_file_id`, `endpoint`, `completion_window`, `metadata`): the job
    /// is written (`validating`) and handed to the runners.
    func createBatch(_ request: Request) async -> Response {
        let owner: String?
        do { owner = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        do throws(GatewayError) {
            let members = try JSONField.object(try await collect(request))
            for name in members.keys.sorted()
            where !["input_file_id", "endpoint", "completion_window", "metadata"].contains(name) {
                throw .invalid("Unrecognized request argument supplied: \(name)", param: name)
            }
            let fileID = try JSONField.string(members["input_file_id"], "input_file_id", required: true) ?? ""
            let endpoint = try JSONField.string(members["endpoint"], "endpoint", required: true) ?? ""
            let window = try JSONField.string(members["completion_window"], "completion_window", required: true) ?? ""
            var metadata: [String: String]?
            if let fields = try JSONField.object(members["metadata"], "metadata") {
                metadata = [:]
                for (key, value) in fields {
                    guard case .string(let text) = value else {
                        throw .invalid("metadata.\(key) must be a string", param: "metadata.\(key)")
                    }
                    metadata?[key] = text
                }
            }
            let job = try await gateway.batch.create(
                inputFileID: fileID, endpoint: endpoint, completionWindow: window, metadata: metadata, owner: owner)
            return Self.json(Array(job.json))
        } catch {
            return Self.response(error, api: .openAI)
        }
    }

    func batch(_ request: Request, id: String) -> Response {
        let requester: String?
        do { requester = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        guard let job = gateway.batch.job(id, for: requester) else {
            return Self.response(
                .notFound("No such batch: '\(id)'", code: "batch_not_found", param: "batch_id"), api: .openAI)
        }
        return Self.json(Array(job.json))
    }

    func listBatches(_ request: Request) -> Response {
        let requester: String?
        do { requester = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        let jobs = gateway.batch.jobs(for: requester)
        var json = Array(#"{"object":"list","has_more":false,"data":["#.utf8)
        for (index, job) in jobs.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += job.json
        }
        json += Array("]".utf8)
        if let first = jobs.first, let last = jobs.last {
            json += Array(#","first_id":"\#(first.id)","last_id":"\#(last.id)""#.utf8)
        }
        json += Array("}".utf8)
        return Self.json(json)
    }

    /// `POST /v1/batches/{id}/cancel`: the runner running it stops sending lines, lets those in
    /// flight finish, and ends it `cancelled` with the partial files.
    func cancelBatch(_ request: Request, id: String) async -> Response {
        let requester: String?
        do { requester = try authenticate(request).get()?.name } catch { return Self.response(error, api: .openAI) }
        do throws(GatewayError) {
            return Self.json(Array(try await gateway.batch.cancel(id, for: requester).json))
        } catch {
            return Self.response(error, api: .openAI)
        }
    }

    // MARK: Streaming

    /// What a streaming call hands the response: chunks as they come, then its end.
    enum StreamEvent: Sendable {
        case chunk(StreamChunk)
        case final(Result<ProviderCallResult, ProviderClientError>)
    }

    /// Runs the call as a child of the gateway and waits for its first event: an error before any
    /// chunk is answered with its own status (429, 503, ...); otherwise the answer is a stream of
    /// server-sent events. A client that goes away mid-stream ends the call's wait.
    private func stream(_ call: GatewayRequest, shape: any AnswerShape, api: API) async -> Response {
        let events = BatchQueue<StreamEvent>()
        let client = gateway.client
        let shared = gateway.shared
        let request = call.request
        let topic = destination(call)
        let timeout = configuration.requestTimeout
        gateway.calls.append {
            let result: Result<ProviderCallResult, ProviderClientError>
            do throws(ProviderClientError) {
                result = .success(
                    try await client.call(
                        request, as: .stream, to: topic, timeout: timeout, onChunk: { events.append(.chunk($0)) }))
            } catch {
                result = .failure(error)
            }
            shared.finish(request.requestID, with: result)
            events.append(.final(result))
            events.finish()
        }
        let first = await events.next()
        if case .final(let result)? = first.first {
            switch result {
            case .failure(let error): return Self.response(Self.map(error), api: api)
            case .success(let answer):
                if case .error(let error) = answer.outcome { return Self.response(GatewayError(error), api: api) }
            }
        }
        let requestID = request.requestID
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var streamed = false
                do {
                    try await writer.write(ByteBuffer(bytes: shape.opening()))
                    var batch = first
                    while !batch.isEmpty {
                        for event in batch {
                            let bytes: [UInt8]
                            switch event {
                            case .chunk(let chunk):
                                guard !chunk.delta.isEmpty else { continue }
                                streamed = true
                                bytes = shape.delta(chunk.delta)
                            case .final(.success(let answer)):
                                switch answer.outcome {
                                case .response(let response): bytes = shape.closing(response, streamedText: streamed)
                                case .error(let error): bytes = shape.streamError(GatewayError(error))
                                }
                            case .final(.failure(let error)):
                                bytes = shape.streamError(Self.map(error))
                            }
                            try await writer.write(ByteBuffer(bytes: bytes))
                        }
                        batch = await events.next()
                    }
                    try await writer.finish(nil)
                } catch {
                    // The client went away: stop waiting for the answer (nothing stays booked).
                    client.discard(requestID)
                    throw error
                }
            })
    }

    // MARK: Pieces

    private func destination(_ call: GatewayRequest) -> String {
        switch call.target {
        case .router: gateway.client.configuration.routerTopic
        case .provider(let name): gateway.client.configuration.providerTopic(name)
        }
    }

    /// The key the request presents (`Authorization: Bearer`, or `x-api-key`); `nil` when the
    /// gateway has none configured (loopback only).
    private func authenticate(_ request: Request) -> Result<GatewayKey?, GatewayError> {
        guard !configuration.keys.isEmpty else { return .success(nil) }
        var presented: String?
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                presented = String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        if presented == nil, let name = HTTPField.Name("x-api-key") { presented = request.headers[name] }
        guard let presented, !presented.isEmpty else {
            return .failure(
                .unauthorized(
                    "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key')."))
        }
        // Every key is compared in full, whichever matches: the time taken says nothing.
        var found: GatewayKey?
        for key in configuration.keys where Self.constantTimeEqual(key.secret, presented) { found = key }
        guard let found else { return .failure(.unauthorized("Incorrect API key provided.")) }
        return .success(found)
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }

    private func collect(_ request: Request, limit: Int? = nil) async throws(GatewayError) -> [UInt8] {
        var request = request
        let limit = limit ?? configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw .tooLarge(limit: limit)
        }
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw .tooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .tooLarge(limit: limit)
        } catch {
            throw .invalid("the request body could not be read: \(error)")
        }
    }

    /// `Idempotency-Key` makes the id deterministic (per key, so two clients cannot collide):
    /// a retry gets the same answer, and the provider is called once. Otherwise a new UUID.
    private func requestID(_ request: Request, key: GatewayKey?) throws(GatewayError) -> String {
        guard let name = HTTPField.Name("idempotency-key"), let value = request.headers[name] else {
            return UUID().uuidString.lowercased()
        }
        guard (1...128).contains(value.utf8.count),
            value.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || "0123456789._:-".unicodeScalars.contains($0))
            })
        else {
            throw .invalid(
                "the Idempotency-Key header must be 1 to 128 ASCII letters, digits, '.', '_', ':' or '-'",
                param: "Idempotency-Key")
        }
        return "idem-\(key?.name ?? "open")-\(value)"
    }

    /// The HTTP answer to a client-side failure of the call.
    static func map(_ error: ProviderClientError) -> GatewayError {
        switch error.code {
        case .timedOut: .deadline("no answer within the gateway's request timeout: \(error.message)")
        case .invalidRequest: .invalid(error.message)
        case .duplicateRequest:
            GatewayError(
                status: 409, type: "invalid_request_error",
                message: "a request with this Idempotency-Key is already in progress at this gateway",
                code: "idempotency_conflict")
        default: .unavailable(error.message)
        }
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func response(_ error: GatewayError, api: API) -> Response {
        var headers = HTTPFields()
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = "\(seconds)" }
        return json(api.body(error), status: HTTPResponse.Status(code: error.status), headers: headers)
    }
}
