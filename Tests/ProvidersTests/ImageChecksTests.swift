import AgentCore
import FakeUpstream
import Foundation
import Signals
import Testing

@testable import Providers

/// Vision checks happen before any call: a bad image is an `invalid_request` naming the message
/// and part, and the fake upstream sees no request at all.
@Suite("Image checks before any upstream call", .timeLimit(.minutes(1)))
struct ImageChecksTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).base64EncodedString()

    static func request(_ parts: [ContentPart], model: String) -> ProviderRequest {
        ProviderRequest(
            requestID: "v",
            messages: [
                .system("describe"), ChatMessage(role: .user, content: .parts([.text("what is this?")] + parts)),
            ], model: model, maxTokens: 64)
    }

    static func configuration(_ base: String, model: String) -> HTTPProviderConfiguration {
        var configuration = HTTPProviderConfiguration(
            baseURL: base, apiKey: "k", requestTimeout: .seconds(10),
            models: [ModelInfo(id: model, contextWindow: 200_000, features: [.chat, .vision])]
        )
        configuration.maxImages = 3
        configuration.maxImageBytes = 1024
        return configuration
    }

    static let bad: [(String, [ContentPart], String)] = [
        (
            "media type", [.image(.base64(png, mediaType: "image/bmp"))],
            "messages[1].content[1]: image media type 'image/bmp' is not supported"
        ),
        (
            "base64", [.image(.base64("not base64!!", mediaType: "image/png"))],
            "messages[1].content[1]: image data is not valid base64"
        ),
        (
            "size", [.image(.base64(Data(count: 2048).base64EncodedString(), mediaType: "image/png"))],
            "messages[1].content[1]: image is 2048 bytes; at most 1024 bytes are allowed per image"
        ),
        (
            "count", Array(repeating: .image(.base64(png, mediaType: "image/png")), count: 4),
            "the request has 4 images; at most 3 are allowed per request"
        ),
        (
            "url scheme", [.imageURL(url: "ftp://example.com/cat.png")],
            "messages[1].content[1]: image URL 'ftp://example.com/cat.png' is not an http(s) URL"
        ),
        (
            "data URL type", [.imageURL(url: "data:image/tiff;base64,\(png)")],
            "messages[1].content[1]: image media type 'image/tiff' is not supported"
        ),
        (
            "data URL encoding", [.imageURL(url: "data:image/png,rawbytes")],
            "messages[1].content[1]: a data URL image must be base64"
        ),
        (
            "source url", [.image(ImageSource(type: "url", url: "file:///etc/passwd"))],
            "messages[1].content[1]: image URL 'file:///etc/passwd' is not an http(s) URL"
        ),
    ]

    @Test(
        "OpenAI and Anthropic adapters refuse bad images with the place and the problem, before any call",
        arguments: ["openai", "anthropic"])
    func refused(_ provider: String) async throws {
        try await withFakeUpstream(FakeUpstreamConfiguration()) { base, upstream in
            let model = provider == "openai" ? "gpt-4o-mini" : "claude-haiku-4-5"
            let adapter: any LLMProvider =
                provider == "openai"
                ? OpenAIProvider(configuration: Self.configuration(base, model: model))
                : AnthropicProvider(configuration: Self.configuration(base, model: model))
            for (name, parts, expected) in Self.bad {
                do {
                    _ = try await adapter.complete(Self.request(parts, model: model))
                    Issue.record("\(provider): bad \(name) should be refused")
                } catch let error as ProviderCallError {
                    #expect(error.type == .invalidRequest, "\(name)")
                    #expect(!error.retryable)
                    #expect(error.message.hasPrefix(expected), "\(name): \(error.message)")
                }
                do {
                    for try await _ in adapter.stream(Self.request(parts, model: model)) {}
                    Issue.record("\(provider): bad \(name) should be refused when streamed")
                } catch let error as ProviderCallError {
                    #expect(error.type == .invalidRequest, "\(name) streamed")
                }
            }
            #expect(upstream.stats.totalRequests == 0, "no bad image reached the upstream")
            let good = try await adapter.complete(
                Self.request(
                    [.image(.base64(Self.png, mediaType: "image/png")), .imageURL(url: "https://example.com/cat.jpg")],
                    model: model))
            #expect(good.finishReason == "stop")
            #expect(upstream.stats.totalRequests == 1)
        }
    }

    @Test("the fake upstream itself refuses a bad Anthropic image block with Anthropic's 400")
    func fakeRefuses() async throws {
        try await withFakeUpstream(FakeUpstreamConfiguration()) { base, _ in
            var configuration = Self.configuration(base, model: "claude-haiku-4-5")
            configuration.maxImageBytes = 10 << 20
            // The adapter's own check would refuse it first; the body is sent as is to see the fake's answer.
            let upstream = HTTPUpstream(configuration: configuration, client: .shared)
            let body: [String: Any] = [
                "model": "claude-haiku-4-5", "max_tokens": 16,
                "messages": [
                    [
                        "role": "user",
                        "content": [
                            [
                                "type": "image",
                                "source": ["type": "base64", "media_type": "image/bmp", "data": Self.png],
                            ]
                        ],
                    ]
                ],
            ]
            do {
                _ = try await upstream.post(
                    "/v1/messages", headers: [("x-api-key", "k"), ("anthropic-version", "2023-06-01")], json: body
                ) { status, text, headers in
                    AnthropicProvider.error(status: status, body: text, headers: headers)
                }
                Issue.record("the fake should refuse a bmp image")
            } catch let error as ProviderCallError {
                #expect(error.type == .invalidRequest)
                #expect(
                    error.message.contains("messages.0.content.0.image.source.base64.media_type"), "\(error.message)")
            }
        }
    }
}
