import NIOCore
import NIOEmbedded
import Testing

@testable import Providers

@Suite("A stream's request timeout (StreamDeadline)")
struct StreamDeadlineTests {
    @Test("it fires at the timeout, cancels the reader and says so")
    func fires() async {
        let loop = EmbeddedEventLoop()
        let deadline = StreamDeadline()
        let reader = Task { _ = try? await Task.sleep(for: .seconds(60)) }
        deadline.arm(on: loop, after: .milliseconds(100), cancelling: reader)
        loop.advanceTime(by: .milliseconds(99))
        let early = deadline.hasFired
        loop.advanceTime(by: .milliseconds(1))
        let fired = deadline.hasFired
        await reader.value
        #expect(!early)
        #expect(fired)
        #expect(reader.isCancelled)
    }

    @Test("cancelled in time (the stream ended), it never fires")
    func cancelled() async {
        let loop = EmbeddedEventLoop()
        let deadline = StreamDeadline()
        let reader = Task { _ = try? await Task.sleep(for: .milliseconds(1)) }
        deadline.arm(on: loop, after: .milliseconds(100), cancelling: reader)
        deadline.cancel()
        loop.advanceTime(by: .seconds(1))
        let fired = deadline.hasFired
        await reader.value
        #expect(!fired)
        #expect(!reader.isCancelled)
    }

    @Test("cancelled before it was armed (a stream that ended at once), it is never scheduled")
    func cancelledBeforeArming() async {
        let loop = EmbeddedEventLoop()
        let deadline = StreamDeadline()
        let reader = Task { _ = try? await Task.sleep(for: .milliseconds(1)) }
        deadline.cancel()
        deadline.arm(on: loop, after: .milliseconds(100), cancelling: reader)
        loop.advanceTime(by: .seconds(1))
        let fired = deadline.hasFired
        await reader.value
        #expect(!fired)
        #expect(!reader.isCancelled)
    }
}
