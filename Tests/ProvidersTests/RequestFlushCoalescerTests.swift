import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Providers

@Suite("A request's head and body leave in one write")
struct RequestFlushCoalescerTests {
    /// A channel with the HTTP/1.1 request encoder and the coalescer after it, as a client
    /// connection's pipeline has them.
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let encoder = HTTPRequestEncoder()
        try channel.pipeline.syncOperations.addHandler(encoder)
        try channel.pipeline.syncOperations.addHandler(RequestFlushCoalescer(), position: .after(encoder))
        return channel
    }

    static func head(bodyBytes: Int?) -> HTTPRequestHead {
        let method: HTTPMethod = bodyBytes == nil ? .GET : .POST
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: "/v1/chat/completions")
        head.headers.add(name: "host", value: "upstream")
        if let bodyBytes { head.headers.add(name: "content-length", value: "\(bodyBytes)") }
        return head
    }

    /// Everything written to the socket so far, as one text per flush.
    static func flushed(_ channel: EmbeddedChannel) throws -> [String] {
        var writes: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            writes.append(String(buffer: buffer))
        }
        return writes
    }

    @Test("the head's own flush waits for the body's")
    func headAndBody() throws {
        let channel = try Self.channel()
        channel.writeAndFlush(HTTPClientRequestPart.head(Self.head(bodyBytes: 2)), promise: nil)
        #expect(try Self.flushed(channel).isEmpty)
        channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "{}"))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let writes = try Self.flushed(channel)
        #expect(writes.joined().hasPrefix("POST /v1/chat/completions HTTP/1.1\r\n"))
        #expect(writes.joined().hasSuffix("\r\n\r\n{}"))
        channel.embeddedEventLoop.run()
        #expect(try Self.flushed(channel).isEmpty)
        #expect(try channel.finish().isClean)
    }

    @Test("a head whose body does not follow in the same tick still leaves at the end of the tick")
    func headAlone() throws {
        let channel = try Self.channel()
        channel.writeAndFlush(HTTPClientRequestPart.head(Self.head(bodyBytes: 2)), promise: nil)
        #expect(try Self.flushed(channel).isEmpty)
        channel.embeddedEventLoop.run()
        #expect(try Self.flushed(channel).joined().hasPrefix("POST /v1/chat/completions HTTP/1.1\r\n"))
        channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "{}"))), promise: nil)
        #expect(try Self.flushed(channel) == ["{}"])
        _ = try channel.finish()
    }

    @Test("a request without a body (head and end written, then one flush) leaves at once")
    func noBody() throws {
        let channel = try Self.channel()
        channel.write(HTTPClientRequestPart.head(Self.head(bodyBytes: nil)), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        #expect(try Self.flushed(channel).joined().hasPrefix("GET /v1/chat/completions HTTP/1.1\r\n"))
        _ = try channel.finish()
    }

    @Test("a flush held back when the handler is removed is not lost")
    func removedWhileHolding() throws {
        let channel = try Self.channel()
        channel.writeAndFlush(HTTPClientRequestPart.head(Self.head(bodyBytes: 2)), promise: nil)
        let coalescer = try channel.pipeline.syncOperations.handler(type: RequestFlushCoalescer.self)
        try channel.pipeline.syncOperations.removeHandler(coalescer).wait()
        #expect(try Self.flushed(channel).joined().hasPrefix("POST /v1/chat/completions HTTP/1.1\r\n"))
        _ = try channel.finish()
    }
}
