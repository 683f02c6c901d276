import Common
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The one fault decision all routes share: the request's `x-fake-fault` header, else the fault
/// script; the request's `x-fake-latency-ms`, else a draw of the configured latency. Routes render
/// the decision in their provider's shapes.
struct FaultDecision: Sendable {
    var fault: FakeFault?
    var latency: Duration
    /// The simulated account's state after this request (with an account limit configured).
    var account: FakeAccount.Snapshot?

    var cut: Bool { fault == .cut }
    var slowFirstByte: Bool { fault == .slowFirstByte }
    var unknownFinishReason: Bool { fault == .unknownFinishReason }

    /// `normal`, or the unknown reason of the `unknown-finish-reason` fault.
    func finishReason(_ normal: String) -> String { unknownFinishReason ? FakeFault.unknownReason : normal }
}

extension FakeUpstream {
    static let faultHeader = HTTPField.Name("x-fake-fault")!
    static let latencyHeader = HTTPField.Name("x-fake-latency-ms")!

    /// Decides the fault and latency of a request to `provider` for `model` (call once per
    /// request, after it was found valid: the script's budgets count it).
    func decide(_ request: Request, provider: FaultRule.Provider, model: String) -> FaultDecision {
        var fault: FakeFault?
        if let name = request.headers[Self.faultHeader], let asked = FakeFault(rawValue: name) {
            fault = asked
        } else {
            fault = state.scriptedFault(provider: provider, model: model)
        }
        // The simulated account counts the requests that would be served.
        let account = fault == nil ? self.account.take(model: model) : nil
        if account?.exhausted == true { fault = .tooManyRequests }
        if let fault {
            state.countFault(fault)
            logger.debug(
                "fault injected",
                metadata: [
                    LogKey.fault: "\(fault.rawValue)", LogKey.provider: "\(provider.rawValue)",
                    LogKey.model: "\(model)",
                ])
        }
        let latency: Duration
        if let text = request.headers[Self.latencyHeader], let milliseconds = Int(text), milliseconds >= 0 {
            latency = .milliseconds(milliseconds)
        } else {
            latency = state.nextLatency()
        }
        return FaultDecision(fault: fault, latency: latency, account: account)
    }

    /// What every route does the same way once it knows its decision: an HTTP error fault is
    /// rendered by `error` (the provider's shape); then the latency; a `timeout` hangs for the
    /// configured time and answers 504; `malformed` answers a body that is not JSON. `nil`: go on
    /// and answer.
    func prelude(
        _ decision: FaultDecision, malformedContentType: String = "application/json",
        error: (FakeFault.HTTPErrorKind) -> Response
    ) async -> Response? {
        if let kind = decision.fault?.httpError { return error(kind) }
        if decision.latency > .zero { try? await Task.sleep(for: decision.latency) }
        switch decision.fault {
        case .timeout?:
            try? await Task.sleep(for: configuration.hangTime)
            return Response(
                status: .gatewayTimeout, headers: [.contentType: "text/plain"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "fake upstream: hung for the timeout fault")))
        case .malformed?:
            return malformed(contentType: malformedContentType)
        default:
            return nil
        }
    }
}
