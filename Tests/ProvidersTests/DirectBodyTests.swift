import Foundation
import Signals
import Testing

@testable import Providers

/// Usual requests are written straight from the request; the JSON must mean what the dictionary
/// path writes, and anything unusual must be left to that path.
@Suite("Request bodies written straight from the request")
struct DirectBodyTests {
    static func meaning(_ bytes: [UInt8]) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSObject)
    }

    static func meaning(_ body: [String: Any]) throws -> NSObject {
        try meaning(Array(try JSONSerialization.data(withJSONObject: body)))
    }

    static let text = "quote \" backslash \\ tab \t newline \n control \u{01} emoji 😀 日本"

    /// Requests the direct writers take.
    static let usual: [ProviderRequest] = [
        ProviderRequest(requestID: "r1", messages: [ChatMessage(role: .user, content: .text("hi"))]),
        ProviderRequest(
            requestID: "r2",
            messages: [
                ChatMessage(role: .system, content: .text("Be terse.")),
                ChatMessage(role: .system, content: .text("Second")),
                ChatMessage(role: .user, content: .text(text), name: "ann"),
                ChatMessage(role: .assistant, content: .text("ok"), toolCalls: []),
                ChatMessage(role: .user, content: .text("more")),
            ],
            model: "m", temperature: 1.7, maxTokens: 256, topP: 0.9, stop: ["\n\n", "END"], tools: []
        ),
        ProviderRequest(
            requestID: "r3", messages: [ChatMessage(role: .user, content: .text("x"))], model: "m", temperature: 0.1,
            maxTokens: 1
        ),
        ProviderRequest(requestID: "r4", messages: [ChatMessage(role: .user, content: .text("y"))], stop: []),
    ]

    static let tool = ToolDefinition(
        function: FunctionDefinition(name: "f", parameters: .object(["type": .string("object")]))
    )
    static let call = ToolCall(id: "c1", function: .init(name: "f", arguments: #"{"a":1}"#))

    /// Requests left to the dictionary path by every adapter.
    static let unusual: [ProviderRequest] = [
        ProviderRequest(requestID: "u1", messages: [ChatMessage(role: .user, content: .text("x"))], tools: [tool]),
        ProviderRequest(
            requestID: "u2",
            messages: [ChatMessage(role: .user, content: .parts([.text("look"), .imageURL(url: "https://x/y.png")]))]
        ),
        ProviderRequest(
            requestID: "u3", messages: [ChatMessage(role: .assistant, content: .text(""), toolCalls: [call])]
        ),
        ProviderRequest(requestID: "u4", messages: [ChatMessage(role: .user, content: .text("x"))], temperature: .nan),
        ProviderRequest(requestID: "u5", messages: [ChatMessage(role: .user, content: .text("x"))], topP: .infinity),
    ]

    @Test("OpenAI", arguments: [false, true])
    func openAI(streaming: Bool) throws {
        for request in Self.usual {
            let direct = try #require(OpenAIProvider.directBody(of: request, streaming: streaming))
            #expect(try Self.meaning(direct) == Self.meaning(OpenAIProvider.body(of: request, streaming: streaming)))
        }
        let toolResult = ProviderRequest(
            requestID: "t", messages: [ChatMessage(role: .tool, content: .text("42"), name: "f", toolCallID: "c1")]
        )
        let direct = try #require(OpenAIProvider.directBody(of: toolResult, streaming: streaming))
        #expect(try Self.meaning(direct) == Self.meaning(OpenAIProvider.body(of: toolResult, streaming: streaming)))
        let choice = ProviderRequest(
            requestID: "c", messages: [ChatMessage(role: .user, content: .text("x"))], toolChoice: .string("none")
        )
        for request in Self.unusual + [choice] {
            #expect(OpenAIProvider.directBody(of: request, streaming: streaming) == nil, "\(request.requestID)")
        }
    }

    @Test("Anthropic", arguments: [false, true])
    func anthropic(streaming: Bool) throws {
        // Anthropic takes system messages out of the list as text, whatever their content.
        let systemParts = ProviderRequest(
            requestID: "s",
            messages: [
                ChatMessage(role: .system, content: .parts([.text("Two"), .imageURL(url: "https://x/y"), .text("s")])),
                ChatMessage(role: .user, content: .text("hi")),
            ]
        )
        for request in Self.usual + [systemParts] {
            let direct = try #require(AnthropicProvider.directBody(of: request, streaming: streaming))
            #expect(try Self.meaning(direct) == Self.meaning(AnthropicProvider.body(of: request, streaming: streaming)))
        }
        let toolResult = ProviderRequest(
            requestID: "t", messages: [ChatMessage(role: .tool, content: .text("42"), toolCallID: "c1")]
        )
        let choice = ProviderRequest(
            requestID: "c", messages: [ChatMessage(role: .user, content: .text("x"))], toolChoice: .string("bogus")
        )
        for request in Self.unusual + [toolResult, choice] {
            #expect(AnthropicProvider.directBody(of: request, streaming: streaming) == nil, "\(request.requestID)")
        }
    }

    @Test("Ollama", arguments: [false, true])
    func ollama(streaming: Bool) throws {
        let toolResult = ProviderRequest(
            requestID: "t", messages: [ChatMessage(role: .tool, content: .text("42"), name: "f", toolCallID: "c1")],
            stop: ["x"]
        )
        for request in Self.usual + [toolResult] {
            let direct = try #require(OllamaProvider.directBody(of: request, streaming: streaming))
            #expect(try Self.meaning(direct) == Self.meaning(OllamaProvider.body(of: request, streaming: streaming)))
        }
        for request in Self.unusual {
            #expect(OllamaProvider.directBody(of: request, streaming: streaming) == nil, "\(request.requestID)")
        }
    }
}
