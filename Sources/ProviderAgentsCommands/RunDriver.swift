import Agent
import AsyncHTTPClient
import FakeUpstream
import Foundation
import Gateway
import NIOCore
import ProviderClient
import Router
import RouterAgent
import ServiceLifecycle
import Signals
import Synchronization

/// The client side of `provider-agents run`: waits until the router sees every provider, sends
/// the samples and prints their answers and routes, then keeps a light load and prints a status
/// table until graceful shutdown (or for `duration`).
struct RunDriver: Service {
    let router: LLMRouter
    let agents: [ProviderAgent]
    let client: ProviderClient
    let fake: FakeUpstream.Running
    let gateway: Gateway
    /// `http://host:port` of the gateway.
    let gatewayURL: String
    let http: HTTPClient
    let started: ContinuousClock.Instant
    let duration: Duration?
    let load: Double
    let statusEvery: Duration

    func run() async throws {
        await router.waitUntilStarted()
        try await client.start()
        // Every agent and the router in their groups, and the router sees every provider.
        while Set(router.providers.filter { $0.routableInstances > 0 }.map(\.provider)) != Set(RunSetup.providers)
            || router.assignedPartitions == 0
            || agents.contains(where: { ($0.currentStatus.ownedPartitions ?? []).isEmpty })
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        // One request per provider through the router first: on the embedded broker a producer's
        // first message to a topic waits for its metadata (~3 s), which the samples should not show.
        await withTaskGroup(of: Void.self) { group in
            for provider in RunSetup.providers {
                group.addTask {
                    let request = ProviderRequest(
                        requestID: "run-warm-up-\(provider)-\(UUID().uuidString.prefix(8).lowercased())",
                        messages: [ChatMessage(role: .user, content: .text("warm up"))], maxTokens: 8,
                        provider: provider)
                    _ = try? await client.call(request, timeout: .seconds(30))
                }
            }
        }
        say(
            String(
                format: "ready in %.1f s (one warm-up request per provider sent)\n",
                (ContinuousClock.now - started).seconds))
        for (index, sample) in RunSetup.samples.enumerated() {
            guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
            await send(sample, number: index + 1)
        }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        await sendThroughGateway(number: RunSetup.samples.count + 1)
        let end = duration.map { ContinuousClock.now + $0 }
        say(
            """
            \nstatus every \(Int(statusEvery.seconds)) s, \
            \(load > 0 ? "with \(load.formatted()) background requests/s for 'chat'" : "no background load"); \
            Ctrl-C stops everything cleanly
            """
        )
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if load > 0 { group.addTask { await self.backgroundLoad(until: end) } }
                group.addTask { await self.statusLoop(until: end) }
            }
        } onGracefulShutdown: {
        }
    }

    /// One request as an OpenAI client sends it: HTTP to the gateway, which hands it to the router.
    private func sendThroughGateway(number: Int) async {
        say("[\(number)] the HTTP gateway: OpenAI's chat completions API, model claude-sonnet-4-5")
        while gateway.port == nil, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
        var request = HTTPClientRequest(url: "\(gatewayURL)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        let body = #"{"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello, gateway!"}]}"#
        request.body = .bytes(ByteBuffer(string: body))
        let begin = ContinuousClock.now
        do {
            let response = try await http.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            let message = ((json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
            let latency = formatMilliseconds(ContinuousClock.now - begin)
            if response.status == .ok, let content = message?["content"] as? String {
                say("    ← HTTP 200 in \(latency), chat.completion: \(content)")
            } else {
                say("    ✗ HTTP \(response.status.code): \(String(buffer: body))")
            }
        } catch {
            say("    ✗ the gateway did not answer: \(error)")
        }
    }

    private func send(_ sample: RunSetup.Sample, number: Int) async {
        say("[\(number)] \(sample.title)")
        let id = "run-\(number)-\(UUID().uuidString.prefix(8).lowercased())"
        let request = ProviderRequest(
            requestID: id, messages: [ChatMessage(role: .user, content: .text(sample.prompt))], model: sample.model,
            maxTokens: 64, stream: sample.stream ? true : nil, provider: sample.provider)
        say("    → \(sample.model.map { "model '\($0)'" } ?? "default model"): \"\(sample.prompt)\"")
        let streamed = Mutex(0)
        do {
            let result = try await client.call(
                request,
                onChunk: { chunk in
                    let first = streamed.withLock { count -> Bool in
                        defer { count += 1 }
                        return count == 0
                    }
                    if first { FileHandle.standardOutput.write(Data("    chunks: ".utf8)) }
                    FileHandle.standardOutput.write(Data("[\(chunk.delta)]".utf8))
                })
            if streamed.withLock({ $0 }) > 0 { say("") }
            for attempt in result.route?.tried ?? [] {
                say(
                    """
                        attempt \(attempt.attempt): \(attempt.provider)/\(attempt.model ?? "?") → \
                    \(attempt.errorType.rawValue) (\(attempt.error))
                    """
                )
            }
            let latency = String(format: "%.0f ms", result.latency.seconds * 1000)
            if let response = result.response {
                let cost = response.costUSD.map { String(format: ", $%.6f", $0) } ?? ""
                say(
                    """
                        ← \(response.provider)/\(response.model) (instance \(response.instance ?? "?"), attempt \
                    \(response.attempt ?? 1)) in \(latency)\(cost): \"\(response.response)\"
                    """
                )
            } else if let error = result.error {
                say("    ← provider_error \(error.errorType.rawValue) in \(latency): \(error.error)")
            }
        } catch {
            say("    ✗ \(error)")
        }
    }

    private func backgroundLoad(until end: ContinuousClock.Instant?) async {
        let interval = Duration.seconds(1 / load)
        var next = ContinuousClock.now
        var number = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully, end.map({ ContinuousClock.now < $0 }) ?? true {
            number += 1
            let request = ProviderRequest(
                requestID: "run-load-\(number)-\(UUID().uuidString.prefix(8).lowercased())",
                messages: [ChatMessage(role: .user, content: .text("background request \(number)"))], model: "chat",
                maxTokens: 32)
            Task { _ = try? await client.call(request, timeout: .seconds(30)) }
            next = next + interval
            try? await Task.sleep(until: next)
        }
    }

    private func statusLoop(until end: ContinuousClock.Instant?) async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            printStatus()
            let wake = ContinuousClock.now + statusEvery
            if let end, wake >= end {
                try? await Task.sleep(until: end)
                printStatus()
                return
            }
            try? await Task.sleep(until: wake)
        }
    }

    private func printStatus() {
        let summaries = Dictionary(uniqueKeysWithValues: router.providers.map { ($0.provider, $0) })
        var rows = [
            [
                "provider", "health", "breaker", "in flight", "requests", "success", "p50 ms", "p90 ms", "tokens",
                "cost $",
            ]
        ]
        for agent in agents {
            let status = agent.currentStatus
            let metrics = status.metrics
            let health =
                summaries[status.provider]?.instances.map(\.health.rawValue).joined(separator: ",") ?? "unknown"
            rows.append([
                status.provider, health, status.circuitBreaker.state, "\(metrics.inFlight ?? 0)",
                "\(metrics.totalRequests)",
                String(format: "%.1f%%", metrics.successRate * 100),
                metrics.p50LatencyMs.map { String(format: "%.0f", $0) } ?? "-",
                metrics.p90LatencyMs.map { String(format: "%.0f", $0) } ?? "-", "\(metrics.totalTokens ?? 0)",
                String(format: "%.5f", metrics.totalCostUSD ?? 0),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let elapsed = Int((ContinuousClock.now - started).seconds)
        let counters = router.counters
        let chatCalls = ["POST /v1/chat/completions", "POST /v1/messages", "POST /api/chat"].reduce(0) {
            $0 + (fake.stats.requests[$1] ?? 0)
        }
        let stats = client.stats
        var lines = ["-- status at \(elapsed) s --"]
        lines += rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        lines.append(
            """
            router: \(counters.routed) routed, \(counters.rerouted) rerouted, \(counters.failed) answered by the \
            router; \

            """
                + """
                client: \(stats.answered) answers, \(stats.duplicates) duplicates dropped; upstream: \(chatCalls) \
                chat calls
                """
        )
        say(lines.joined(separator: "\n"))
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
