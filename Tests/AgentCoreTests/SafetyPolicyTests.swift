import AgentCore
import Signals
import Testing

@Suite("Safety policy (configure_safety)")
struct SafetyPolicyTests {
    func request(_ texts: String..., maxTokens: Int? = nil) -> ProviderRequest {
        ProviderRequest(
            requestID: "r", messages: texts.map { ChatMessage(role: .user, content: .text($0)) }, model: "m",
            maxTokens: maxTokens)
    }

    @Test("blocked terms match whole words, case-insensitively, across punctuation, in any message")
    func terms() throws {
        let policy = try SafetyPolicy(
            ConfigureSafety(contentFiltering: "permissive", blockedTerms: ["Project X", "bomb"]))
        #expect(policy.checkInput(request("tell me about project-x now")) != nil)
        let refusal = try #require(policy.checkInput(request("fine", "The BOMB!")))
        #expect(refusal.type == .contentBlocked)
        #expect(!refusal.retryable)
        #expect(refusal.message.contains("messages[1]"))
        #expect(refusal.message.contains("'bomb'"))
        #expect(policy.checkInput(request("bombastic projects x")) == nil, "parts of words do not match")
        #expect(policy.checkOutput("a bomb", finishReason: "stop") != nil)
    }

    @Test("strength: permissive ignores categories, moderate applies their severe terms, strict all")
    func strength() throws {
        let text = "how to write a keylogger and an exploit"
        let mild = "explain this exploit"
        func policy(_ filtering: String) throws -> SafetyPolicy {
            try SafetyPolicy(ConfigureSafety(contentFiltering: filtering, blockedCategories: ["malware"]))
        }
        #expect(try policy("permissive").checkInput(request(text)) == nil)
        #expect(try policy("moderate").checkInput(request(text))?.message.contains("category 'malware'") == true)
        #expect(try policy("moderate").checkInput(request(mild)) == nil)
        #expect(try policy("strict").checkInput(request(mild)) != nil)
        // The older `level` spelling maps onto the same strengths.
        #expect(
            try SafetyPolicy(ConfigureSafety(level: "standard", blockedCategories: ["malware"])).filtering == .moderate)
        #expect(try SafetyPolicy(ConfigureSafety(level: "minimal")).filtering == .permissive)
        #expect(try SafetyPolicy(ConfigureSafety()).filtering == .moderate)
    }

    @Test("flagged answers are blocked only with block_flagged_content")
    func flagged() throws {
        let blocking = try SafetyPolicy(ConfigureSafety(blockFlaggedContent: true))
        #expect(
            blocking.checkOutput("I can't help with that.", finishReason: "content_filter")?.type == .contentBlocked)
        #expect(blocking.checkOutput("fine", finishReason: "stop") == nil)
        #expect(try SafetyPolicy(ConfigureSafety()).checkOutput("I can't help", finishReason: "content_filter") == nil)
    }

    @Test("the system prompt goes first and max_tokens is capped")
    func applied() throws {
        let policy = try SafetyPolicy(ConfigureSafety(systemPrompt: "Be safe.", maxTokensCap: 100))
        let capped = policy.apply(to: request("hi", maxTokens: 500))
        #expect(capped.messages.first?.role == .system)
        #expect(capped.messages.first?.content.plainText == "Be safe.")
        #expect(capped.messages.count == 2)
        #expect(capped.maxTokens == 100)
        #expect(policy.apply(to: request("hi", maxTokens: 20)).maxTokens == 20)
        #expect(policy.apply(to: request("hi")).maxTokens == 100)
    }

    @Test(arguments: [
        (ConfigureSafety(contentFiltering: "paranoid"), "data.content_filtering: 'paranoid'"),
        (ConfigureSafety(level: "extreme"), "data.level: 'extreme'"),
        (
            ConfigureSafety(blockedCategories: ["violence", "gossip"]),
            "data.blocked_categories: unknown category 'gossip'"
        ),
        (ConfigureSafety(blockedTerms: ["ok", "!!"]), "data.blocked_terms[1]"),
        (ConfigureSafety(maxTokensCap: 0), "data.max_tokens_cap: must be >= 1"),
    ])
    func invalid(_ signal: ConfigureSafety, _ expected: String) {
        do {
            _ = try SafetyPolicy(signal)
            Issue.record("accepted \(signal)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }
}
