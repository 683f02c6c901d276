import Testing
import WorkerRuntime

@Suite("Worker lifecycle")
struct WorkerLifecycleTests {
    @Test("created → starting → running → draining → stopping → stopped")
    func happyPath() {
        var lifecycle = WorkerLifecycle()
        #expect(lifecycle.start() == .start)
        #expect(lifecycle.state == .starting)
        #expect(!lifecycle.isFetching)
        #expect(lifecycle.started() == .none)
        #expect(lifecycle.state == .running && lifecycle.isFetching)
        #expect(lifecycle.stop() == .beginDrain)
        #expect(lifecycle.state == .draining && !lifecycle.isFetching)
        #expect(lifecycle.drained() == .close)
        #expect(lifecycle.state == .stopping)
        lifecycle.closed()
        #expect(lifecycle.state == .stopped)
    }

    @Test("a stop asked while starting drains as soon as the start finishes")
    func stopWhileStarting() {
        var lifecycle = WorkerLifecycle()
        _ = lifecycle.start()
        #expect(lifecycle.stop() == .none)
        #expect(lifecycle.state == .draining)
        #expect(lifecycle.started() == .beginDrain)
        #expect(!lifecycle.isFetching)
    }

    @Test("a stop before the start ends the worker; a second start does nothing")
    func stopBeforeStart() {
        var lifecycle = WorkerLifecycle()
        #expect(lifecycle.stop() == .none)
        #expect(lifecycle.state == .stopped)
        #expect(lifecycle.start() == .none)
    }

    @Test("a failure while starting abandons the start and keeps the reason; while running it drains")
    func failures() {
        var starting = WorkerLifecycle()
        _ = starting.start()
        #expect(starting.fail("no broker") == .abandonStart)
        #expect(starting.state == .failed && starting.failure == "no broker")
        starting.closed()
        #expect(starting.state == .failed, "a failed worker stays failed")

        var running = WorkerLifecycle()
        _ = running.start()
        _ = running.started()
        #expect(running.fail("topic deleted") == .beginDrain)
        #expect(running.drained() == .close)
        #expect(running.fail("again") == .none)
        #expect(running.failure == "topic deleted")
    }

    @Test("repeated stops are ignored")
    func repeatedStops() {
        var lifecycle = WorkerLifecycle()
        _ = lifecycle.start()
        _ = lifecycle.started()
        #expect(lifecycle.stop() == .beginDrain)
        #expect(lifecycle.stop() == .none)
        #expect(lifecycle.drained() == .close)
        #expect(lifecycle.stop() == .none)
    }
}
