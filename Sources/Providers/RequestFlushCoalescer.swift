import NIOCore
import NIOHTTP1

/// Sends an HTTP/1.1 request's head and body in one write. async-http-client flushes the head on
/// its own and then the body (written right after, in the same event-loop tick): two `write`
/// system calls and two TCP segments per call where one does — on loopback each costs ~10 µs of
/// the agent's CPU. Between the request encoder and the client's handler (installed on every
/// HTTP/1.1 connection by ``HTTPClientSettings/makeClient()``), it holds back a flush that follows
/// a head alone until the body's flush — or, should no body part follow in that tick (a request
/// without one, a streamed body), until the end of the tick, so nothing waits longer.
final class RequestFlushCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// A head was written and nothing after it yet.
    private var headAlone = false
    /// A flush was held back and is still owed.
    private var flushOwed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) {
            headAlone = true
        } else {
            headAlone = false
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Nothing held back may be lost with the handler.
        if flushOwed {
            flushOwed = false
            context.flush()
        }
    }

    func flush(context: ChannelHandlerContext) {
        guard headAlone else {
            flushOwed = false
            context.flush()
            return
        }
        headAlone = false
        guard !flushOwed else { return }
        flushOwed = true
        context.eventLoop.assumeIsolated().execute {
            guard self.flushOwed else { return }
            self.flushOwed = false
            context.flush()
        }
    }
}
