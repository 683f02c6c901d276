// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "provider-agents",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Topics", targets: ["Topics"]),
        .library(name: "AgentCore", targets: ["AgentCore"]),
        .library(name: "Signals", targets: ["Signals"]),
        .library(name: "Router", targets: ["Router"]),
        .library(name: "RouterAgent", targets: ["RouterAgent"]),
        .library(name: "ProviderClient", targets: ["ProviderClient"]),
        .executable(name: "provider-agents", targets: ["ProviderAgentsCLI"]),
        .executable(name: "kafka-bench", targets: ["KafkaBenchmark"]),
        .executable(name: "fake-upstream", targets: ["FakeUpstreamCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // librdkafka's C API; only the Kafka module imports it.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Async Swift over librdkafka: producer, group consumer, admin, embedded mock cluster.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka", "Common",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),
        // Value types every module may share: the log key scheme, JSON bytes, prices, seeded random numbers.
        .target(
            name: "Common",
            swiftSettings: strictSwift
        ),
        // The one runtime of every consume → handle → publish process: loop, in-flight bound,
        // offsets, rebalances, publishing with retries, dead letters, journal, delays, lifecycle.
        .target(
            name: "WorkerRuntime",
            dependencies: [
                "Common", "Kafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "WorkerRuntimeTests",
            dependencies: ["WorkerRuntime", "Kafka", "Common", "KafkaTestSupport"],
            swiftSettings: strictSwift
        ),
        // Topic definitions as data (`topics/`): parsing, templating, validation.
        .target(
            name: "Topics",
            dependencies: [
                "Common", "Kafka",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift
        ),
        // The `provider-agents` command tree, a library so tests can parse command lines with it.
        .target(
            name: "ProviderAgentsCommands",
            dependencies: [
                "Agent", "Common", "WorkerRuntime", "Telemetry",
                .product(name: "Metrics", package: "swift-metrics"),
                "ProviderClient",
                "Gateway",
                "Batch",
                "FakeUpstream",
                "AgentCore",
                "Providers",
                "Kafka",
                "Router",
                "RouterAgent",
                "Signals",
                "Topics",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSwift
        ),
        // The agent's pure rules: admission (rate limiter, circuit breaker, concurrency), request pipeline, metrics.
        .target(
            name: "AgentCore",
            dependencies: [
                "Signals", "Common",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSwift
        ),
        // The wire protocol: signal envelope, every signal type, strict decoding with clear errors.
        .target(
            name: "Signals",
            dependencies: ["Common"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SignalsTests",
            dependencies: ["Signals", "Common"],
            swiftSettings: strictSwift
        ),
        // The provider agent over Kafka: a handler on the worker runtime, its ledger, control and status.
        .target(
            name: "Telemetry",
            dependencies: [
                "Common",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "Agent",
            dependencies: [
                "AgentCore", "Kafka", "Signals", "Common", "Topics", "WorkerRuntime",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "AgentCore", "Kafka", "KafkaTestSupport", "ProviderAgentsCommands", "Providers", "Signals",
                "FakeUpstream", "WorkerRuntime", "Common", "Gateway", "ProviderClient", "Telemetry",
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "AgentCoreTests",
            dependencies: ["AgentCore", "Signals", "Common"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "ProviderAgentsCLI",
            dependencies: ["ProviderAgentsCommands"],
            swiftSettings: strictSwift
        ),
        // `kafka-bench`: the Kafka baseline, the agent against it, adapters, scale-out, latency, ledger.
        .executableTarget(
            name: "KafkaBenchmark",
            dependencies: [
                "Agent", "WorkerRuntime", "Common",
                "ProviderClient",
                "Router",
                "RouterAgent",
                "AgentCore",
                "Kafka",
                "Signals",
                "KafkaTestSupport",
                "Providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // Helpers shared by integration tests and benchmarks: a Tansu broker on a free loopback port,
        // agent OS processes, their status, a paced load.
        .target(
            name: "KafkaTestSupport",
            dependencies: [
                "Kafka",
                "Signals",
                "Topics",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "CRdKafka", "Topics", "KafkaTestSupport", "ProviderAgentsCommands"],
            swiftSettings: strictSwift
        ),
        // The router's pure core: provider registry from status signals, routing policies.
        .target(
            name: "Router",
            dependencies: ["Common", "Signals"],
            swiftSettings: strictSwift
        ),
        // The router over Kafka: llm.router.requests and llm.errors in group llm-router, llm.status for the registry.
        .target(
            name: "RouterAgent",
            dependencies: [
                "Router", "Kafka", "Signals", "Common", "Topics", "WorkerRuntime",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RouterAgentTests",
            dependencies: [
                "RouterAgent", "Router", "Agent", "AgentCore", "Kafka", "KafkaTestSupport", "ProviderClient", "Signals",
                "WorkerRuntime", "Common",
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RouterTests",
            dependencies: ["Router", "Common", "Signals"],
            swiftSettings: strictSwift
        ),
        // The client of the agents for workers and batch jobs: send requests, await answers by
        // request id on a reply topic (dedup, timeouts).
        .target(
            name: "ProviderClient",
            dependencies: [
                "Common", "Kafka", "Signals", "Topics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ProviderClientTests",
            dependencies: [
                "ProviderClient", "Agent", "AgentCore", "Kafka", "KafkaTestSupport", "Signals",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // Provider adapters over HTTP (async-http-client): OpenAI (and compatible servers), Anthropic, Ollama,
        // llama.cpp.
        .target(
            name: "Providers",
            dependencies: [
                "AgentCore", "Signals", "Common",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ProvidersTests",
            dependencies: [
                "Providers", "FakeUpstream", "AgentCore", "Signals",
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // A fake LLM upstream (OpenAI, Anthropic, Ollama wire formats) for tests, demo, benchmarks.
        .target(
            name: "FakeUpstream",
            dependencies: [
                "Common",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift
        ),
        // Batch jobs' rules: the job's states, the input's checks, multipart uploads (pure).
        .target(name: "Batch", swiftSettings: strictSwift),
        .testTarget(name: "BatchTests", dependencies: ["Batch"], swiftSettings: strictSwift),
        // The OpenAI-compatible HTTP gateway over Kafka (Hummingbird routes over a ProviderClient).
        .target(
            name: "Gateway",
            dependencies: [
                "Common", "Signals", "Router", "ProviderClient", "WorkerRuntime", "Kafka", "Topics", "AgentCore",
                "Batch",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Common", "Signals", "Router", "Kafka", "KafkaTestSupport", "ProviderClient",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "FakeUpstreamCLI",
            dependencies: [
                "FakeUpstream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "FakeUpstreamTests",
            dependencies: [
                "FakeUpstream", "KafkaTestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ProjectTests",
            dependencies: [
                "Topics",
                "ProviderAgentsCommands",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
    ],
    swiftLanguageModes: [.v6]
)
