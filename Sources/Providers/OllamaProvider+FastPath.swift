import AgentCore
import Foundation
import NIOCore
import Signals

extension OllamaProvider {
    /// The completion in a non-streamed `/api/chat` answer: read in place by ``ResponseJSONParser``
    /// when it is the usual shape, else (tool calls, an `error`, unusual types, malformed JSON) by
    /// the `JSONSerialization` path, which gives the same result or the classified error.
    static func completion(from body: ByteBuffer, requestedModel: String) throws(ProviderCallError) -> Completion {
        let parsed = body.withUnsafeReadableBytes { ResponseJSONParser.parse($0) }
        if let parsed, let accumulator = fastAccumulator(parsed, requestedModel: requestedModel) {
            return try accumulator.completion()
        }
        let data = Data(body.readableBytesView)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            let text = String(decoding: data.prefix(200), as: UTF8.self)
            throw ProviderCallError(
                type: .providerError, message: "upstream answer is not JSON: \(text)", retryable: true,
                breakerKind: .upstreamServerError
            )
        }
        var accumulator = StreamAccumulator(model: requestedModel)
        _ = try accumulator.add(object)
        return try accumulator.completion()
    }

    /// The accumulator `StreamAccumulator.add` makes of `answer` when it is sure to make the same;
    /// `nil` leaves the answer to it.
    static func fastAccumulator(_ answer: ResponseJSON, requestedModel: String) -> StreamAccumulator? {
        var accumulator = StreamAccumulator(model: requestedModel)
        guard case .some = accumulator.add(fast: answer) else { return nil }
        return accumulator
    }
}
