import Common
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The fake's own control surface: `GET|PUT|DELETE /fake/faults` (the fault script),
/// `GET|PUT|DELETE /fake/latency`, `GET|DELETE /fake/stats`. A body that cannot be used is a 400
/// `{"error": "<what is wrong, where>"}`.
struct ControlRoutes: Sendable {
    let upstream: FakeUpstream

    func register(on router: Router<BasicRequestContext>) {
        router.get("fake/faults") { _, _ in upstream.json(upstream.state.faultsJSON) }
        router.put("fake/faults") { request, _ in
            await replace(request) { value throws(FakeConfigurationError) in
                upstream.state.setFaults(try FaultScript(json: value))
                return upstream.state.faultsJSON
            }
        }
        router.delete("fake/faults") { _, _ in
            upstream.state.setFaults(FaultScript())
            return upstream.json(upstream.state.faultsJSON)
        }
        router.get("fake/latency") { _, _ in upstream.json(upstream.state.latencyJSON) }
        router.put("fake/latency") { request, _ in
            await replace(request) { value throws(FakeConfigurationError) in
                upstream.state.setLatency(try FakeLatency(json: value, at: ""))
                return upstream.state.latencyJSON
            }
        }
        router.delete("fake/latency") { _, _ in
            upstream.state.setLatency(.zero)
            return upstream.json(upstream.state.latencyJSON)
        }
        router.get("fake/stats") { _, _ in upstream.json(upstream.state.statsJSON) }
        router.delete("fake/stats") { _, _ in
            upstream.state.resetStats()
            return upstream.json(upstream.state.statsJSON)
        }
    }

    /// Reads the JSON body, applies it with `apply`, answers the new state (or 400 naming the problem).
    private func replace(_ request: Request, _ apply: (Any) throws(FakeConfigurationError) -> [String: Any]) async
        -> Response
    {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: 1 << 20) else {
            return upstream.json(["error": "the body could not be read (at most 1 MiB)"], status: .badRequest)
        }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
        } catch {
            return upstream.json(["error": "the body is not JSON: \(error.localizedDescription)"], status: .badRequest)
        }
        do {
            let answer = try apply(value)
            upstream.logger.info("fake upstream reconfigured", metadata: [LogKey.path: "\(request.uri.path)"])
            return upstream.json(answer)
        } catch {
            return upstream.json(["error": error.message], status: .badRequest)
        }
    }
}
