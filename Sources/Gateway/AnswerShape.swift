public import Signals

/// How answers are written for one API shape (OpenAI's chat completions, Anthropic's messages):
/// the whole answer, and a stream of server-sent events. The gateway's routes write every answer
/// through one of these.
public protocol AnswerShape: Sendable {
    /// The whole answer, as JSON.
    func completion(_ response: ProviderResponse) -> [UInt8]
    /// The events that open a stream, before the first piece of text.
    func opening() -> [UInt8]
    /// One piece of the answer's text.
    func delta(_ text: String) -> [UInt8]
    /// The events that end a stream that went well (`streamedText`: whether any text was sent as
    /// deltas; when not, the whole text goes first).
    func closing(_ response: ProviderResponse, streamedText: Bool) -> [UInt8]
    /// An error once the stream is under way (its status line is sent).
    func streamError(_ error: GatewayError) -> [UInt8]
}
