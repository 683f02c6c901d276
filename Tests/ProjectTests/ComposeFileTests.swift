import ArgumentParser
import Foundation
import ProviderAgentsCommands
import Testing
import Topics
import Yams

// Static checks of docker-compose.yml, Dockerfile and .dockerignore. No Docker engine runs where
// the tests run, so these check what a `docker compose up` would trip over: unknown services,
// command lines the CLI rejects, a topics directory the image does not contain, literal secrets.

/// Subcommands that compose services already name but the CLI does not have yet. Their services
/// must sit in the `agents` profile (not started by a plain `docker compose up`). When a subcommand
/// is added to `ProviderAgentsCommand`, `pendingSubcommandsAreNotImplementedYet` fails: remove it
/// from this list and move its services out of the profile, so their command lines get parsed.
let pendingSubcommands: Set<String> = []

/// The compose profile of services whose subcommands are pending.
let pendingProfile = "agents"

@Suite("docker-compose.yml and Dockerfile")
struct ComposeFileTests {
    let root: URL
    let compose: ComposeFile
    let dockerfile: Dockerfile

    init() throws {
        root = try packageRoot()
        compose = try ComposeFile(path: root.appendingPathComponent("docker-compose.yml").path)
        dockerfile = try Dockerfile(path: root.appendingPathComponent("Dockerfile").path)
    }

    @Test func definesTheExpectedServices() {
        let expected: Set<String> = ["kafka", "topics", "agent-openai", "agent-anthropic", "agent-local", "router"]
        #expect(expected.isSubset(of: Set(compose.services.keys)), "services: \(compose.services.keys.sorted())")
    }

    @Test func everyServiceHasAnImageOrABuildWithAnExistingDockerfile() throws {
        for (name, service) in compose.services.sorted(by: { $0.key < $1.key }) {
            #expect(service.image != nil || service.build != nil, "service \(name) has neither image nor build")
            guard let build = service.build else { continue }
            let context = URL(fileURLWithPath: build.context, relativeTo: root).standardizedFileURL
            let dockerfilePath = context.appendingPathComponent(build.dockerfile).path
            #expect(
                FileManager.default.fileExists(atPath: dockerfilePath),
                "service \(name): build context \(build.context) has no \(build.dockerfile) (\(dockerfilePath))"
            )
        }
    }

    @Test func servicesSharingAnImageTagBuildItFromTheSameContext() {
        var contextByImage: [String: String] = [:]
        for (name, service) in compose.services.sorted(by: { $0.key < $1.key }) {
            guard let image = service.image, let build = service.build else { continue }
            let context =
                URL(fileURLWithPath: build.context, relativeTo: root).standardizedFileURL.path + "#" + build.dockerfile
            if let previous = contextByImage[image] {
                #expect(
                    previous == context,
                    "service \(name) builds \(image) from \(context), another service from \(previous)")
            } else {
                contextByImage[image] = context
            }
        }
    }

    @Test func kafkaRunsApacheKafkaInKRaftMode() throws {
        let kafka = try #require(compose.services["kafka"], "no kafka service")
        let image = try #require(kafka.image, "kafka has no image")
        #expect(image.hasPrefix("apache/kafka:"), "kafka image is \(image)")
        #expect(!image.hasSuffix(":latest"), "pin the Kafka version, not :latest")

        let env = kafka.environment
        let roles = Set(
            (env["KAFKA_PROCESS_ROLES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(roles.contains("controller"), "KAFKA_PROCESS_ROLES must contain controller (KRaft), is \(roles)")
        #expect(roles.contains("broker"), "KAFKA_PROCESS_ROLES must contain broker, is \(roles)")
        #expect(env["KAFKA_ZOOKEEPER_CONNECT"] == nil, "KRaft mode uses no ZooKeeper")

        let nodeID = try #require(env["KAFKA_NODE_ID"], "KAFKA_NODE_ID missing")
        let voters = try #require(env["KAFKA_CONTROLLER_QUORUM_VOTERS"], "KAFKA_CONTROLLER_QUORUM_VOTERS missing")
        #expect(
            voters.split(separator: ",").contains { $0.hasPrefix("\(nodeID)@") },
            "node \(nodeID) is not among the voters \(voters)")

        let controllerNames = try #require(
            env["KAFKA_CONTROLLER_LISTENER_NAMES"], "KAFKA_CONTROLLER_LISTENER_NAMES missing")
        let listeners = try #require(env["KAFKA_LISTENERS"], "KAFKA_LISTENERS missing")
        #expect(listeners.contains("\(controllerNames)://"), "no \(controllerNames) listener in \(listeners)")
        #expect(
            listeners.split(separator: ",").contains("PLAINTEXT://:9092"),
            "no PLAINTEXT listener on 9092 in \(listeners)")
        let advertised = try #require(env["KAFKA_ADVERTISED_LISTENERS"], "KAFKA_ADVERTISED_LISTENERS missing")
        #expect(
            advertised.split(separator: ",").contains("PLAINTEXT://kafka:9092"),
            "containers must reach the broker as kafka:9092: \(advertised)")
        #expect(!advertised.contains("\(controllerNames)://"), "the controller listener must not be advertised")
        #expect(
            env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1",
            "a single broker needs offsets topic replication factor 1")
        #expect(kafka.hasHealthcheck, "kafka needs a healthcheck so dependants wait for it")
    }

    @Test func dependsOnNamesDefinedServicesWithUsableConditions() {
        let conditions: Set<String> = ["service_started", "service_healthy", "service_completed_successfully"]
        for (name, service) in compose.services.sorted(by: { $0.key < $1.key }) {
            for (target, condition) in service.dependsOn.sorted(by: { $0.key < $1.key }) {
                guard let dependency = compose.services[target] else {
                    Issue.record("service \(name) depends on \(target), which is not defined")
                    continue
                }
                #expect(conditions.contains(condition), "service \(name): unknown depends_on condition \(condition)")
                if condition == "service_healthy" {
                    #expect(
                        dependency.hasHealthcheck,
                        "service \(name) waits for \(target) to be healthy, but it has no healthcheck")
                }
                if condition == "service_completed_successfully" {
                    #expect(
                        dependency.restart == "no",
                        "service \(name) waits for \(target) to complete; \(target) must be one-shot (restart: \"no\")")
                }
                if dependency.profiles.isEmpty {
                    continue
                }
                #expect(
                    !service.profiles.isEmpty && Set(service.profiles).isSubset(of: Set(dependency.profiles)),
                    "service \(name) depends on \(target), which only runs in profiles \(dependency.profiles)"
                )
            }
        }
    }

    @Test func topicsRunsOnceAfterKafkaIsHealthy() throws {
        let topics = try #require(compose.services["topics"], "no topics service")
        #expect(topics.dependsOn["kafka"] == "service_healthy")
        #expect(topics.restart == "no")
        #expect(topics.profiles.isEmpty, "topic creation must run on a plain `docker compose up`")
        #expect(
            Array(topics.command.prefix(3)) == ["provider-agents", "topics", "apply"], "topics runs \(topics.command)")
    }

    @Test func commandLinesParseWithTheRealCLI() throws {
        let cliServices = compose.services.filter { $0.value.command.first == "provider-agents" }
        #expect(!cliServices.isEmpty, "no service runs provider-agents")
        for (name, service) in cliServices.sorted(by: { $0.key < $1.key })
        where !service.profiles.contains(pendingProfile) {
            let arguments = Array(service.command.dropFirst())
            let command: any ParsableCommand
            do {
                command = try ProviderAgentsCommand.parseAsRoot(arguments)
            } catch {
                Issue.record(
                    """
                    service \(name): `\(service.command.joined(separator: " "))` does not parse: \
                    \(ProviderAgentsCommand.message(for: error))
                    """
                )
                continue
            }
            // It must reach a command that runs, not a group that only prints its help.
            let parsed = type(of: command)
            #expect(
                parsed.configuration.subcommands.isEmpty,
                "service \(name): `\(arguments.joined(separator: " "))` names a command group")
            #expect(!(command is ProviderAgentsCommand), "service \(name): no subcommand in \(arguments)")
        }
    }

    @Test func pendingServicesWaitInTheAgentsProfile() throws {
        let implemented = Set(ProviderAgentsCommand.configuration.subcommands.map { $0._commandName })
        let pending = compose.services.filter { $0.value.profiles.contains(pendingProfile) }
        #expect(
            !pending.isEmpty || pendingSubcommands.isEmpty,
            "pending subcommands \(pendingSubcommands.sorted()) but no service in profile \(pendingProfile)")
        for (name, service) in pending.sorted(by: { $0.key < $1.key }) {
            #expect(
                service.command.first == "provider-agents",
                "service \(name) in profile \(pendingProfile) must run provider-agents")
            let subcommand = try #require(service.command.dropFirst().first, "service \(name) has no subcommand")
            #expect(
                pendingSubcommands.contains(subcommand),
                "service \(name) runs `\(subcommand)`, which is not a pending subcommand")
            #expect(
                !implemented.contains(subcommand),
                """
                `provider-agents \(subcommand)` exists now: take \(name) out of profile \(pendingProfile) and \
                `\(subcommand)` out of pendingSubcommands
                """
            )
        }
    }

    @Test func pendingSubcommandsAreNotImplementedYet() {
        let implemented = Set(ProviderAgentsCommand.configuration.subcommands.map { $0._commandName })
        #expect(implemented.contains("topics"), "the subcommand list looks wrong: \(implemented.sorted())")
        let landed = pendingSubcommands.intersection(implemented)
        #expect(
            landed.isEmpty,
            "implemented now, remove from pendingSubcommands and from profile \(pendingProfile): \(landed.sorted())")
    }

    @Test func agentsAndRoutersAreWiredLikeTheDesign() throws {
        for provider in ["openai", "anthropic", "local"] {
            let agent = try #require(compose.services["agent-\(provider)"], "no agent-\(provider) service")
            #expect(Array(agent.command.prefix(2)) == ["provider-agents", "agent"])
            #expect(agent.option("--provider") == provider, "agent-\(provider) runs \(agent.command)")
            #expect(agent.dependsOn["topics"] == "service_completed_successfully")
        }
        for name in ["agent-openai", "agent-anthropic", "router"] {
            let service = try #require(compose.services[name])
            #expect(
                (service.replicas ?? 1) >= 2, "\(name) should run at least 2 replicas, has \(service.replicas ?? 1)")
        }
        let router = try #require(compose.services["router"])
        #expect(Array(router.command.prefix(2)) == ["provider-agents", "router"])
        #expect(router.dependsOn["topics"] == "service_completed_successfully")
        #expect(compose.services["agent-openai"]?.environment.keys.contains("OPENAI_API_KEY") == true)
        #expect(compose.services["agent-anthropic"]?.environment.keys.contains("ANTHROPIC_API_KEY") == true)
    }

    @Test func replicatedServicesHaveNoFixedContainerName() {
        for (name, service) in compose.services.sorted(by: { $0.key < $1.key }) where (service.replicas ?? 1) > 1 {
            #expect(
                service.containerName == nil,
                "service \(name) has \(service.replicas ?? 1) replicas but a fixed container_name")
        }
    }

    @Test func bootstrapServersAreComposeServices() {
        for (name, service) in compose.services.sorted(by: { $0.key < $1.key })
        where service.command.first == "provider-agents" {
            guard let bootstrap = service.option("--bootstrap") else {
                Issue.record(
                    """
                    service \(name) does not pass --bootstrap (the default 127.0.0.1:9092 is not the broker inside \
                    compose)
                    """
                )
                continue
            }
            for server in bootstrap.split(separator: ",") {
                let host = server.split(separator: ":").first.map(String.init) ?? ""
                #expect(
                    compose.services[host] != nil, "service \(name): bootstrap host \(host) is not a compose service")
                #expect(
                    compose.dependencies(of: name).contains(host),
                    "service \(name) starts without waiting (directly or not) for \(host)")
            }
        }
    }

    @Test func topicsDirectoryIsTheRepositoryTopicsCopiedIntoTheImage() throws {
        let topics = try #require(compose.services["topics"], "no topics service")
        let topicsDir = try #require(topics.option("--topics-dir"), "topics service passes no --topics-dir")
        #expect(topicsDir.hasPrefix("/"), "--topics-dir must be absolute in the container, is \(topicsDir)")
        let copies = dockerfile.finalStage.copies(of: "topics")
        #expect(
            copies.contains { normalize($0) == normalize(topicsDir) },
            "the Dockerfile's final stage copies topics/ to \(copies), not to \(topicsDir)"
        )
        let catalog = try TopicCatalog.load(directory: root.appendingPathComponent("topics").path)
        #expect(try !catalog.topics().isEmpty)
    }

    @Test func agentConfigFilesAreTheRepositoryConfigCopiedIntoTheImage() throws {
        let agents = compose.services.filter { Array($0.value.command.prefix(2)) == ["provider-agents", "agent"] }
        // Not vacuous: the loop below checks at least one agent's file.
        #expect(agents.values.contains { $0.option("--config") != nil }, "no agent service passes --config")
        for (name, service) in agents.sorted(by: { $0.key < $1.key }) {
            guard let config = service.option("--config") else { continue }
            #expect(config.hasPrefix("/"), "service \(name): --config must be absolute in the container, is \(config)")
            let directory = URL(fileURLWithPath: config).deletingLastPathComponent().path
            let copies = dockerfile.finalStage.copies(of: "config")
            #expect(
                copies.contains { normalize($0) == normalize(directory) },
                "service \(name): the Dockerfile's final stage copies config/ to \(copies), not to \(directory)"
            )
            // The file the image carries is the repository's config/<name>: it must read cleanly
            // and define the service's provider.
            let local = root.appendingPathComponent("config").appendingPathComponent(
                URL(fileURLWithPath: config).lastPathComponent
            ).path
            let file = try AgentConfigurationFile.load(path: local, environment: [:])
            let provider = try #require(service.option("--provider"))
            #expect(file.agents[provider] != nil, "service \(name): \(local) has no agents.\(provider)")
        }
    }

    @Test func dockerfileBuildsTheCLIOnAnImageWithARecentLibrdkafka() throws {
        #expect(dockerfile.stages.count >= 2, "expected a multi-stage build")
        let build = try #require(dockerfile.stages.first)
        #expect(build.baseImage.hasPrefix("swift:"), "the build stage starts from \(build.baseImage)")
        // Distributions whose librdkafka-dev is >= 2.3 (README.md); Debian 12 (bookworm) has 2.0.2.
        let recent = ["noble", "trixie"]
        #expect(
            recent.contains { build.baseImage.contains($0) }, "\(build.baseImage): its librdkafka may be older than 2.3"
        )
        #expect(build.text.contains("librdkafka-dev"), "the build stage does not install librdkafka-dev")
        #expect(
            build.text.contains("--product provider-agents"),
            "the build stage does not build the provider-agents product")

        // The build image's Swift must be at least the manifest's tools version.
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let tools = try #require(manifest.firstMatch(of: /swift-tools-version:\s*(\d+)\.(\d+)/), "no tools version")
        let image = try #require(
            build.baseImage.firstMatch(of: /swift:(\d+)\.(\d+)/), "\(build.baseImage) has no Swift version")
        let required = (try #require(Int(tools.1)), try #require(Int(tools.2)))
        let provided = (try #require(Int(image.1)), try #require(Int(image.2)))
        #expect(provided >= required, "\(build.baseImage) is older than swift-tools-version \(required)")

        let runtime = dockerfile.finalStage
        #expect(runtime.text.contains("librdkafka1"), "the runtime stage does not install librdkafka1")
        #expect(
            runtime.instructions.allSatisfy { $0.keyword != "ENTRYPOINT" },
            "compose commands start with provider-agents: no ENTRYPOINT")
        #expect(
            runtime.instructions.contains {
                $0.keyword == "COPY" && $0.arguments.hasSuffix("/usr/local/bin/provider-agents")
            },
            "the runtime stage does not put provider-agents on the PATH"
        )
    }

    @Test func dockerignoreKeepsBuildProductsAndHistoryOut() throws {
        let text = try String(contentsOf: root.appendingPathComponent(".dockerignore"), encoding: .utf8)
        let patterns = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for required in [".build*", ".venv", ".git"] {
            #expect(patterns.contains(required), ".dockerignore lacks \(required)")
        }
    }

    @Test func noLiteralSecrets() throws {
        let secretName = /(?i)(api_?key|secret|token|password|passwd|credential)/
        let reference = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?-)?\}$/
        for (name, service) in compose.services.sorted(by: { $0.key < $1.key }) {
            for (key, value) in service.environment.sorted(by: { $0.key < $1.key }) where key.contains(secretName) {
                #expect(
                    value.isEmpty || value.wholeMatch(of: reference) != nil,
                    "service \(name): \(key) must be a variable reference with an empty default, like ${\(key):-}"
                )
            }
        }
        let secretLooking = /(^|[^A-Za-z0-9])(sk-[A-Za-z0-9_-]{6,}|AKIA[0-9A-Z]{12,}|(sasl\.)?password=[^$\s])/
        for scalar in compose.allScalars where scalar.contains(secretLooking) {
            Issue.record("docker-compose.yml holds a secret-looking value: \(scalar.prefix(12))…")
        }
    }
}

// MARK: - Helpers

/// The package root: the directory of Package.swift above this file.
func packageRoot(file: String = #filePath) throws -> URL {
    var url = URL(fileURLWithPath: file).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        url = url.deletingLastPathComponent()
    }
    throw HelperError("no Package.swift above \(file)")
}

struct HelperError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private func normalize(_ path: String) -> String {
    var path = path
    while path.count > 1, path.hasSuffix("/") { path.removeLast() }
    return path
}

/// The parts of a compose file these tests look at, in normalized form.
struct ComposeFile {
    struct Build {
        var context: String
        var dockerfile: String
    }

    struct Service {
        var image: String?
        var build: Build?
        /// `command` split into arguments (compose splits a string command like a shell).
        var command: [String]
        var environment: [String: String]
        /// Service → condition (`service_started` for the short list form).
        var dependsOn: [String: String]
        var profiles: [String]
        /// A healthcheck is defined and not disabled.
        var hasHealthcheck: Bool
        var restart: String?
        var replicas: Int?
        var containerName: String?

        /// The value after `name` in the command (`--name value` or `--name=value`).
        func option(_ name: String) -> String? {
            for (index, argument) in command.enumerated() {
                if argument == name, index + 1 < command.count { return command[index + 1] }
                if argument.hasPrefix(name + "=") { return String(argument.dropFirst(name.count + 1)) }
            }
            return nil
        }
    }

    var services: [String: Service]

    /// Every service `name` waits for, directly or through other services.
    func dependencies(of name: String) -> Set<String> {
        var seen = Set<String>()
        var queue: [String] = services[name].map { Array($0.dependsOn.keys) } ?? []
        while let next = queue.popLast() {
            guard seen.insert(next).inserted else { continue }
            queue += services[next].map { Array($0.dependsOn.keys) } ?? []
        }
        return seen
    }

    /// Every scalar of the document, for secret scanning.
    var allScalars: [String]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [AnyHashable: Any], "\(path) is not a YAML mapping")
        let services = try #require(
            stringKeys(document)["services"].flatMap(mapping), "\(path) has no services mapping")
        var parsed: [String: Service] = [:]
        for (name, value) in services {
            let service = try #require(mapping(value), "service \(name) is not a mapping")
            parsed[name] = try Service(name: name, service)
        }
        self.services = parsed
        var scalars: [String] = []
        collectScalars(document, into: &scalars)
        allScalars = scalars
    }
}

extension ComposeFile.Service {
    init(name: String, _ service: [String: Any]) throws {
        image = service["image"].map(scalar)
        switch service["build"] {
        case nil:
            build = nil
        case let context as String:
            build = .init(context: context, dockerfile: "Dockerfile")
        case let value?:
            let map = try #require(mapping(value), "service \(name): build is neither a string nor a mapping")
            build = .init(
                context: map["context"].map(scalar) ?? ".", dockerfile: map["dockerfile"].map(scalar) ?? "Dockerfile")
        }
        switch service["command"] {
        case nil: command = []
        case let line as String: command = try shellWords(line)
        case let list as [Any]: command = list.map(scalar)
        default: throw HelperError("service \(name): command is neither a string nor a list")
        }
        switch service["environment"] {
        case nil:
            environment = [:]
        case let list as [Any]:
            environment = [:]
            for entry in list.map(scalar) {
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
        case let value?:
            let map = try #require(mapping(value), "service \(name): environment is neither a list nor a mapping")
            environment = map.mapValues { $0 is NSNull ? "" : scalar($0) }
        }
        switch service["depends_on"] {
        case nil:
            dependsOn = [:]
        case let list as [Any]:
            dependsOn = Dictionary(uniqueKeysWithValues: list.map { (scalar($0), "service_started") })
        case let value?:
            let map = try #require(mapping(value), "service \(name): depends_on is neither a list nor a mapping")
            dependsOn = map.mapValues { entry in mapping(entry)?["condition"].map(scalar) ?? "service_started" }
        }
        profiles = (service["profiles"] as? [Any])?.map(scalar) ?? []
        let healthcheck = service["healthcheck"].flatMap(mapping)
        hasHealthcheck = healthcheck != nil && healthcheck?["disable"].map(scalar) != "true"
        restart = service["restart"].map(scalar)
        replicas = service["deploy"].flatMap(mapping)?["replicas"].flatMap { Int(scalar($0)) }
        containerName = service["container_name"].map(scalar)
    }
}

private func stringKeys(_ map: [AnyHashable: Any]) -> [String: Any] {
    Dictionary(map.map { ("\($0.key.base)", $0.value) }, uniquingKeysWith: { first, _ in first })
}

private func mapping(_ value: Any) -> [String: Any]? {
    (value as? [AnyHashable: Any]).map(stringKeys)
}

private func scalar(_ value: Any) -> String {
    switch value {
    case let string as String: string
    case let bool as Bool: bool ? "true" : "false"
    case let int as Int: String(int)
    default: "\(value)"
    }
}

private func collectScalars(_ value: Any, into scalars: inout [String]) {
    switch value {
    case let map as [AnyHashable: Any]:
        for (key, entry) in map {
            scalars.append("\(key.base)")
            collectScalars(entry, into: &scalars)
        }
    case let list as [Any]:
        for entry in list { collectScalars(entry, into: &scalars) }
    case is NSNull:
        break
    default:
        scalars.append(scalar(value))
    }
}

/// Splits a command string the way compose does (POSIX shell words: quotes and backslashes).
func shellWords(_ line: String) throws -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var iterator = line.makeIterator()
    while let character = iterator.next() {
        if let open = quote {
            if character == open {
                quote = nil
            } else if character == "\\", open == "\"", let next = iterator.next() {
                current.append(next)
            } else {
                current.append(character)
            }
        } else if character == "'" || character == "\"" {
            quote = character
            inWord = true
        } else if character == "\\" {
            if let next = iterator.next() { current.append(next) }
            inWord = true
        } else if character.isWhitespace {
            if inWord { words.append(current) }
            current = ""
            inWord = false
        } else {
            current.append(character)
            inWord = true
        }
    }
    guard quote == nil else { throw HelperError("unterminated quote in command: \(line)") }
    if inWord { words.append(current) }
    return words
}

/// A Dockerfile split into stages and instructions (continuation lines joined, comments dropped).
struct Dockerfile {
    struct Instruction {
        var keyword: String
        var arguments: String
    }

    struct Stage {
        var baseImage: String
        var instructions: [Instruction]

        var text: String { instructions.map { "\($0.keyword) \($0.arguments)" }.joined(separator: "\n") }

        /// Destinations (made absolute against WORKDIR) of the COPY/ADD instructions that take
        /// `source` (or `source/`) from the build context.
        func copies(of source: String) -> [String] {
            var workdir = "/"
            var destinations: [String] = []
            for instruction in instructions {
                if instruction.keyword == "WORKDIR" {
                    let path = instruction.arguments.trimmingCharacters(in: .whitespaces)
                    workdir = path.hasPrefix("/") ? path : normalize(workdir) + "/" + path
                }
                guard instruction.keyword == "COPY" || instruction.keyword == "ADD" else { continue }
                let words = (try? shellWords(instruction.arguments)) ?? []
                let flags = words.prefix { $0.hasPrefix("--") }
                guard !flags.contains(where: { $0.hasPrefix("--from") }) else { continue }
                let paths = Array(words.dropFirst(flags.count))
                guard paths.count >= 2, let destination = paths.last else { continue }
                let sources = paths.dropLast().map { normalize($0.hasPrefix("./") ? String($0.dropFirst(2)) : $0) }
                guard sources.contains(normalize(source)) else { continue }
                destinations.append(destination.hasPrefix("/") ? destination : normalize(workdir) + "/" + destination)
            }
            return destinations
        }
    }

    var stages: [Stage]
    var finalStage: Stage { stages.last ?? Stage(baseImage: "", instructions: []) }

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var logical: [String] = []
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || (line.isEmpty && pending.isEmpty) { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
            } else {
                logical.append(pending + line)
                pending = ""
            }
        }
        if !pending.isEmpty { logical.append(pending) }

        stages = []
        for line in logical where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            let instruction = Instruction(
                keyword: parts[0].uppercased(),
                arguments: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            )
            if instruction.keyword == "FROM" {
                let image =
                    instruction.arguments.split(separator: " ").first { !$0.hasPrefix("--") }.map(String.init) ?? ""
                stages.append(Stage(baseImage: image, instructions: []))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append(instruction)
            } else if instruction.keyword != "ARG" {
                throw HelperError("\(path): \(instruction.keyword) before the first FROM")
            }
        }
        guard !stages.isEmpty else { throw HelperError("\(path) has no FROM") }
    }
}
