import AgentCore
import Testing

@Suite("Request tracker")
struct RequestTrackerTests {
    let t0 = ContinuousClock.now

    @Test("lifecycle: begin, update, finish; counts per model and state")
    func lifecycle() {
        var tracker = RequestTracker()
        let first = tracker.begin(requestID: "a", model: "gpt-4o", at: t0)
        let second = tracker.begin(requestID: "b", model: "gpt-4o", at: t0.advanced(by: .milliseconds(5)))
        let third = tracker.begin(requestID: "c", model: "claude-3-5-sonnet", at: t0.advanced(by: .milliseconds(9)))
        #expect(first && second && third)
        tracker.update(requestID: "a", to: .calling)
        tracker.update(requestID: "b", to: .publishing)
        #expect(tracker.count == 3)
        #expect(tracker.count(model: "gpt-4o") == 2)
        #expect(tracker.count(state: .admitted) == 1)
        #expect(tracker.count(state: .calling) == 1)
        #expect(tracker.oldestAge(at: t0.advanced(by: .milliseconds(100))) == .milliseconds(100))

        let finished = tracker.finish(requestID: "a")
        #expect(finished?.model == "gpt-4o")
        #expect(finished?.state == .calling)
        #expect(tracker.count(model: "gpt-4o") == 1)
        #expect(tracker.oldestAge(at: t0.advanced(by: .milliseconds(100))) == .milliseconds(95))
        tracker.finish(requestID: "b")
        tracker.finish(requestID: "c")
        #expect(tracker.count == 0)
        #expect(tracker.oldestAge(at: t0) == nil)
        #expect(tracker.peak == 3)
    }

    @Test("a request already in flight is refused (duplicate delivery), and can start again once finished")
    func duplicates() {
        var tracker = RequestTracker()
        let first = tracker.begin(requestID: "a", model: "m", at: t0)
        let duplicate = tracker.begin(requestID: "a", model: "m", attempt: 2, at: t0)
        #expect(first)
        #expect(!duplicate)
        #expect(tracker.count(model: "m") == 1)
        #expect(tracker.finish(requestID: "a") != nil)
        #expect(tracker.finish(requestID: "a") == nil, "finishing twice is harmless")
        let again = tracker.begin(requestID: "a", model: "m", attempt: 2, at: t0)
        #expect(again)
        #expect(tracker.entry("a")?.attempt == 2)
    }
}
