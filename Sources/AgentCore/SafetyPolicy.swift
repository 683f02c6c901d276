public import Signals

/// The safety settings of `configure_safety`, applied to every request of a provider: before the
/// call (blocked terms and categories in the prompt → `content_blocked`, the system prompt
/// prepended, `max_tokens` capped) and after it (the same checks on the answer; an answer the
/// upstream itself flagged → `content_blocked` when `block_flagged_content` is set).
///
/// A lexical filter — whole-word, case-insensitive matching of terms — not a moderation model:
/// it refuses what an operator names, predictably, on every instance alike.
/// Strength: `permissive` applies only `blocked_terms`; `moderate` adds the high-severity terms of
/// each blocked category; `strict` adds all of each category's terms.
public struct SafetyPolicy: Sendable, Hashable {
    public enum Filtering: String, Sendable, Hashable, CaseIterable {
        case strict, moderate, permissive
    }

    public var filtering: Filtering
    public var blockFlaggedContent: Bool
    public var blockedCategories: [String]
    public var blockedTerms: [String]
    public var systemPrompt: String?
    public var maxTokensCap: Int?
    /// Every term matched (lowercased), with the category or "blocked term" it comes from.
    private var terms: [(term: [Substring], source: String)]

    public static func == (lhs: SafetyPolicy, rhs: SafetyPolicy) -> Bool {
        lhs.filtering == rhs.filtering && lhs.blockFlaggedContent == rhs.blockFlaggedContent
            && lhs.blockedCategories == rhs.blockedCategories
            && lhs.blockedTerms == rhs.blockedTerms && lhs.systemPrompt == rhs.systemPrompt
            && lhs.maxTokensCap == rhs.maxTokensCap
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(filtering)
        hasher.combine(blockedCategories)
        hasher.combine(blockedTerms)
    }

    /// A bad setting, naming the field.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Checks and compiles `signal`.
    public init(_ signal: ConfigureSafety) throws(Invalid) {
        if let text = signal.contentFiltering {
            guard let filtering = Filtering(rawValue: text) else {
                throw Invalid(
                    description: "data.content_filtering: '\(text)' is not one of strict, moderate, permissive")
            }
            self.filtering = filtering
        } else if let level = signal.level {
            switch level {
            case "strict": filtering = .strict
            case "standard", "moderate": filtering = .moderate
            case "minimal", "permissive": filtering = .permissive
            default: throw Invalid(description: "data.level: '\(level)' is not one of strict, standard, minimal")
            }
        } else {
            filtering = .moderate
        }
        blockFlaggedContent = signal.blockFlaggedContent ?? false
        blockedCategories = signal.blockedCategories ?? []
        for category in blockedCategories where Self.categories[category] == nil {
            throw Invalid(
                description:
                    """
                    data.blocked_categories: unknown category '\(category)' (known: \
                    \(Self.categories.keys.sorted().joined(separator: ", ")))
                    """
            )
        }
        blockedTerms = signal.blockedTerms ?? []
        for (index, term) in blockedTerms.enumerated() where Self.words(term).isEmpty {
            throw Invalid(description: "data.blocked_terms[\(index)]: a term must contain a letter or digit")
        }
        if let cap = signal.maxTokensCap, cap < 1 {
            throw Invalid(description: "data.max_tokens_cap: must be >= 1, got \(cap)")
        }
        maxTokensCap = signal.maxTokensCap
        systemPrompt = signal.systemPrompt.flatMap { $0.isEmpty ? nil : $0 }
        var terms: [(term: [Substring], source: String)] = blockedTerms.map { (Self.words($0), "blocked term") }
        if filtering != .permissive {
            for category in blockedCategories {
                let lexicon = Self.categories[category] ?? (severe: [], other: [])
                let chosen = filtering == .strict ? lexicon.severe + lexicon.other : lexicon.severe
                terms += chosen.map { (Self.words($0), "category '\(category)'") }
            }
        }
        self.terms = terms
    }

    /// The request as the upstream should see it: the system prompt first, `max_tokens` capped.
    public func apply(to request: ProviderRequest) -> ProviderRequest {
        var request = request
        if let systemPrompt {
            request.messages.insert(ChatMessage(role: .system, content: .text(systemPrompt)), at: 0)
        }
        if let cap = maxTokensCap {
            request.maxTokens = min(request.maxTokens ?? cap, cap)
        }
        return request
    }

    /// `content_blocked` when a message of the prompt contains a blocked term.
    public func checkInput(_ request: ProviderRequest) -> ProviderCallError? {
        for (index, message) in request.messages.enumerated() {
            if let match = firstMatch(in: message.content.plainText) {
                return Self.blocked("the prompt (messages[\(index)]) contains \(match)")
            }
        }
        return nil
    }

    /// `content_blocked` when the answer contains a blocked term, or the upstream flagged it and
    /// flagged answers are blocked.
    public func checkOutput(_ text: String, finishReason: String) -> ProviderCallError? {
        if blockFlaggedContent, finishReason == "content_filter" {
            return Self.blocked(
                "the upstream flagged the answer (finish_reason content_filter) and block_flagged_content is set")
        }
        if let match = firstMatch(in: text) {
            return Self.blocked("the answer contains \(match)")
        }
        return nil
    }

    /// A description of the first blocked term in `text` (never the term of a category, only its
    /// source; an operator's own term is named).
    func firstMatch(in text: String) -> String? {
        guard !terms.isEmpty else { return nil }
        let words = Self.words(text)
        guard !words.isEmpty else { return nil }
        for (term, source) in terms where term.count <= words.count {
            for start in 0...(words.count - term.count) where words[start] == term[0] {
                if term.count == 1 || Array(words[start..<(start + term.count)]) == term {
                    return source == "blocked term"
                        ? "the blocked term '\(term.joined(separator: " "))'" : "content of \(source)"
                }
            }
        }
        return nil
    }

    static func blocked(_ message: String) -> ProviderCallError {
        ProviderCallError(
            type: .contentBlocked, message: "blocked by the provider's safety settings: \(message)", retryable: false)
    }

    /// Lowercased runs of letters and digits (apostrophes kept inside words).
    static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "'") }.map { $0 }
    }

    /// Built-in categories: high-severity terms (moderate and strict) and the rest (strict only).
    static let categories: [String: (severe: [String], other: [String])] = [
        "violence": (
            ["kill them", "massacre", "behead", "torture them"],
            ["kill", "murder", "stab", "assault", "attack", "shoot"]
        ),
        "self_harm": (
            ["kill myself", "suicide", "end my life", "self harm"], ["cut myself", "hurt myself", "overdose"]
        ),
        "hate": (["ethnic cleansing", "genocide", "subhuman"], ["inferior race", "hate group"]),
        "sexual": (["child sexual", "sexual content involving minors"], ["explicit sex", "porn", "nude"]),
        "weapons": (
            ["build a bomb", "make a bomb", "nerve agent", "bioweapon"],
            ["explosive", "firearm", "ammunition", "silencer"]
        ),
        "illegal_drugs": (
            ["synthesize meth", "cook meth", "make fentanyl"], ["cocaine", "heroin", "methamphetamine"]
        ),
        "malware": (["ransomware", "keylogger", "write a virus"], ["exploit", "botnet", "backdoor"]),
    ]
}
