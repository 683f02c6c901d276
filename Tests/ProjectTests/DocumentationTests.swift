import Foundation
import Testing
import Topics

/// README.md and docs/ describe this repository on their own: their links resolve to files inside
/// it, the architecture names every topic, and what the README says about compose is so.
@Suite("README.md and docs/")
struct DocumentationTests {
    let root: URL

    init() throws {
        root = try packageRoot()
    }

    /// README.md and every file of docs/.
    func documents() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
            .sorted()
        return [root.appendingPathComponent("README.md")] + names.map { docs.appendingPathComponent($0) }
    }

    @Test("every relative link of README.md and docs/ reaches a file inside the repository")
    func linksStayInside() throws {
        let documents = try documents()
        #expect(documents.contains { $0.lastPathComponent == "architecture.md" }, "no docs/architecture.md")
        var checked = 0
        for document in documents {
            let text = try String(contentsOf: document, encoding: .utf8)
            for match in text.matches(of: /\]\(([^)\s]+)\)/) {
                let target = String(match.1)
                if target.hasPrefix("#") || target.contains("://") || target.hasPrefix("mailto:") { continue }
                let path = String(target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
                let resolved = document.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                let name = "\(document.lastPathComponent): \(target)"
                #expect(resolved.path.hasPrefix(root.standardizedFileURL.path + "/"), "\(name) leaves the repository")
                #expect(FileManager.default.fileExists(atPath: resolved.path), "\(name) does not exist")
                checked += 1
            }
        }
        #expect(checked > 0, "no relative link found: the link pattern is wrong")
    }

    @Test("docs/architecture.md names every topic of topics/")
    func architectureNamesEveryTopic() throws {
        let text = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let catalog = try TopicCatalog.load(directory: root.appendingPathComponent("topics").path)
        let topics = try catalog.topics()
        #expect(!topics.isEmpty)
        for topic in topics {
            // Provider topics are written as templates: llm.requests.{provider}.
            var template = topic.name
            for provider in catalog.providers where template.hasSuffix("." + provider) {
                template = String(template.dropLast(provider.count)) + "{provider}"
            }
            #expect(text.contains("`\(template)`"), "docs/architecture.md does not name \(template)")
        }
    }

    @Test("every compose profile README.md mentions exists in docker-compose.yml")
    func readmeProfilesExist() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let compose = try ComposeFile(path: root.appendingPathComponent("docker-compose.yml").path)
        let profiles = Set(compose.services.values.flatMap(\.profiles))
        for match in readme.matches(of: /`([A-Za-z0-9_-]+)` profile/) {
            #expect(
                profiles.contains(String(match.1)),
                "README.md names profile \(match.1); docker-compose.yml has \(profiles.sorted())")
        }
    }
}
