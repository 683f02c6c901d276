public import Common
import Foundation

/// Every topic name the processes use, behind an environment prefix: the one place code gets a
/// topic name from. Each name is a template of `topics/topics.yaml` (`{provider}` expanded);
/// `TopicNamesTests` checks that every template here is in the catalog and every catalog
/// template is here, so the data and the code cannot drift apart.
public struct TopicNames: Sendable, Hashable {
    /// The templates, as `topics/topics.yaml` names them.
    public enum Template {
        public static let requests = "llm.requests.{provider}"
        public static let control = "llm.control.{provider}"
        public static let ledger = "llm.ledger.{provider}"
        public static let responses = "llm.responses"
        public static let errors = "llm.errors"
        public static let status = "llm.status"
        public static let routerRequests = "llm.router.requests"
        public static let routerJournal = "llm.router.journal"
        public static let routerDelays = "llm.router.delays"
        public static let deadLetters = "llm.dlq"
        public static let gatewayStatus = "llm.gateway.status"
        public static let batchFiles = "llm.batch.files"
        public static let batchChunks = "llm.batch.chunks"
        public static let batchJobs = "llm.batch.jobs"
        public static let batchWork = "llm.batch.work"
        public static let batchResults = "llm.batch.results"

        /// A client's reply topic. Not in `topics/` (nor in ``all``): each client creates its own
        /// when it starts (docs/client.md).
        public static let clientReplies = "llm.replies.{client}"

        /// Every template of `topics/topics.yaml`.
        public static let all = [
            requests, control, ledger, responses, errors, status, routerRequests, routerJournal, routerDelays,
            deadLetters, gatewayStatus, batchFiles, batchChunks, batchJobs, batchWork, batchResults,
        ]
    }

    /// Prepended to every name (`staging.`); empty by default.
    public var prefix: String

    public init(prefix: String = "") {
        self.prefix = prefix
    }

    /// `provider_request` and the other input signals of one provider.
    public func requests(_ provider: String) -> String { name(Template.requests, provider) }
    /// Configuration every instance of the provider applies (compacted).
    public func control(_ provider: String) -> String { name(Template.control, provider) }
    /// The provider's ledger: what every call that reached it became.
    public func ledger(_ provider: String) -> String { name(Template.ledger, provider) }
    public var responses: String { name(Template.responses) }
    public var errors: String { name(Template.errors) }
    public var status: String { name(Template.status) }
    public var routerRequests: String { name(Template.routerRequests) }
    /// The routers' journal: every forwarding decision, so a router's successor sends a request
    /// where the first one did.
    public var routerJournal: String { name(Template.routerJournal) }
    /// The routers' long waits (backoffs), by tier.
    public var routerDelays: String { name(Template.routerDelays) }
    public var deadLetters: String { name(Template.deadLetters) }
    /// The HTTP gateways' heartbeats (how many share each key's rate limit).
    public var gatewayStatus: String { name(Template.gatewayStatus) }
    /// Stored files' descriptions (compacted), and their bytes in chunks.
    public var batchFiles: String { name(Template.batchFiles) }
    public var batchChunks: String { name(Template.batchChunks) }
    /// Batch jobs' states (compacted), the runners' work, and every line's outcome (compacted).
    public var batchJobs: String { name(Template.batchJobs) }
    public var batchWork: String { name(Template.batchWork) }
    public var batchResults: String { name(Template.batchResults) }
    /// The reply topic of the client `clientID` (created by the client, not by `topics apply`).
    public func clientReplies(_ clientID: String) -> String {
        prefix + Template.clientReplies.replacingOccurrences(of: "{client}", with: clientID)
    }

    /// The longest name for `provider` (for Kafka's 249-character limit).
    public func longest(provider: String) -> String {
        [requests(provider), control(provider), ledger(provider), routerJournal, routerRequests, routerDelays]
            .max { $0.count < $1.count }!
    }

    /// Kafka's longest topic name.
    public static let maximumLength = 249

    /// A topic prefix: letters, digits, `.`, `_` and `-` (what Kafka allows in topic names);
    /// errors at `kafka.topic_prefix`.
    public static func validate(prefix: String) throws(InvalidSetting) {
        guard SettingRule.isNameText(prefix) else {
            throw InvalidSetting(
                ["kafka", "topic_prefix"],
                "'\(prefix)' may only contain letters, digits, '.', '_' and '-' (Kafka topic names)"
            )
        }
    }

    /// A topic prefix, and every name it makes for `provider` within Kafka's 249 characters.
    public static func validate(prefix: String, provider: String) throws(InvalidSetting) {
        try validate(prefix: prefix)
        let longest = TopicNames(prefix: prefix).longest(provider: provider)
        guard longest.count <= maximumLength else {
            throw InvalidSetting(
                ["kafka", "topic_prefix"],
                "topic name '\(longest.prefix(40))…' would be \(longest.count) characters; "
                    + "Kafka allows \(maximumLength)"
            )
        }
    }

    private func name(_ template: String, _ provider: String? = nil) -> String {
        prefix + (provider.map { template.replacingOccurrences(of: "{provider}", with: $0) } ?? template)
    }
}
