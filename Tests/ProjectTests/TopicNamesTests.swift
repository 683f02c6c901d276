import Foundation
import Testing
import Topics

/// `TopicNames` (the one place code takes a topic name from) and `topics/topics.yaml` (what
/// `topics apply` creates) name the same topics, and no other source spells a topic name.
@Suite("TopicNames matches topics/")
struct TopicNamesTests {
    let root: URL
    let catalog: TopicCatalog

    init() throws {
        root = try packageRoot()
        catalog = try TopicCatalog.load(directory: root.appendingPathComponent("topics").path)
    }

    @Test("every template of TopicNames is in topics/topics.yaml, and every template there is in TopicNames")
    func templatesMatch() {
        let code = TopicNames.Template.all
        let data = catalog.templates.map(\.name)
        #expect(Set(code).count == code.count, "a template is listed twice: \(code)")
        #expect(Set(data).count == data.count, "a template is defined twice: \(data)")
        for template in code {
            #expect(data.contains(template), "TopicNames has \(template); topics/ does not")
        }
        for template in data {
            #expect(code.contains(template), "topics/ defines \(template); TopicNames.Template.all does not")
        }
        #expect(!data.contains(TopicNames.Template.clientReplies), "reply topics are the clients' own, not in topics/")
    }

    @Test("the names TopicNames makes are the names topics apply creates, behind any prefix")
    func namesMatch() throws {
        let prefix = "staging."
        let names = TopicNames(prefix: prefix)
        var made = [
            names.responses, names.errors, names.status, names.routerRequests, names.routerJournal,
            names.routerDelays, names.deadLetters, names.gatewayStatus, names.batchFiles, names.batchChunks,
            names.batchJobs, names.batchWork, names.batchResults,
        ]
        for provider in catalog.providers {
            made += [names.requests(provider), names.control(provider), names.ledger(provider)]
        }
        let created = try catalog.topics(prefix: prefix).map(\.name)
        #expect(made.sorted() == created.sorted())
        #expect(names.clientReplies("c1") == "staging.llm.replies.c1")
    }

    @Test("a ledger has its request topic's partitions; the router journal has the router requests' partitions")
    func partitionRelations() throws {
        func template(_ name: String) throws -> TopicTemplate {
            try #require(catalog.templates.first { $0.name == name }, "\(name) is not in topics/")
        }
        #expect(try template(TopicNames.Template.ledger).samePartitionsAs == TopicNames.Template.requests)
        #expect(try template(TopicNames.Template.routerJournal).samePartitionsAs == TopicNames.Template.routerRequests)
        let specs = try catalog.topics()
        let topics = Dictionary(specs.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        let names = TopicNames()
        #expect(topics[names.routerJournal] != nil && topics[names.routerJournal] == topics[names.routerRequests])
        for provider in catalog.providers {
            let ledger = topics[names.ledger(provider)]
            #expect(ledger != nil && ledger == topics[names.requests(provider)])
        }
    }

    /// Code lines (not comments) of every Swift file of Sources/ that spell a topic name: a string
    /// literal starting with `llm.` (`"llm.errors"`, `prefix + "llm.status"`) or an interpolation
    /// followed by one (`"\(prefix)llm.status"`). Help texts naming topics in prose are allowed.
    @Test("no source outside TopicNames.swift spells a topic name")
    func noTopicNameLiterals() throws {
        let sources = root.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 50, "Sources/ was not scanned: \(files.count) files")
        var found: [String] = []
        for file in files where !file.hasSuffix("Topics/TopicNames.swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                if line.contains(#""llm."#) || line.contains(")llm.") {
                    found.append("Sources/\(file):\(number + 1): \(line)")
                }
            }
        }
        #expect(found.isEmpty, "topic names spelled outside TopicNames:\n\(found.joined(separator: "\n"))")
    }
}
