import AgentCore
import Foundation
import Kafka
import Logging
import Signals

// The provider's standing settings from the control topic, applied to every request:
// `configure_functions` (tools for requests that bring none) and `configure_safety`.
extension ProviderAgent {
    /// The request as the provider should see it, or the refusal (`content_blocked`) when the
    /// safety settings refuse its prompt.
    @inline(never)
    func prepare(_ request: ProviderRequest) -> Result<ProviderRequest, ProviderCallError> {
        let (functions, safety) = state.withLock { ($0.functions, $0.safety) }
        var prepared = request
        if prepared.tools == nil, let functions, !functions.functions.isEmpty {
            prepared.tools = functions.functions.map { ToolDefinition(function: $0) }
            if prepared.toolChoice == nil { prepared.toolChoice = functions.toolChoice }
        }
        if let safety {
            if let refusal = safety.checkInput(prepared) { return .failure(refusal) }
            prepared = safety.apply(to: prepared)
        }
        return .success(prepared)
    }

    /// The completion, or `content_blocked` when the safety settings refuse the answer.
    @inline(never)
    func screen(_ result: Result<Completion, ProviderCallError>) -> Result<Completion, ProviderCallError> {
        guard case .success(let completion) = result, let safety = state.withLock({ $0.safety }) else { return result }
        if let refusal = safety.checkOutput(completion.content, finishReason: completion.finishReason) { return .failure(refusal) }
        return result
    }

    /// The part of a streamed answer so far refused by the safety settings (then no more chunks
    /// are published).
    func screenStream(_ text: String) -> ProviderCallError? {
        state.withLock { $0.safety }?.checkOutput(text, finishReason: "")
    }

    // MARK: Applying (from the control topic)

    /// Applies `configure_functions`: the answer, or the reason it was refused.
    func apply(_ signal: ConfigureFunctions) -> Result<FunctionsConfigured, ProviderCallError> {
        guard provider.supportedFeatures.contains(.tools) else {
            return .failure(ProviderCallError(type: .unsupported, message: "provider '\(configuration.provider)' does not support tools", retryable: false))
        }
        var seen = Set<String>()
        for (index, function) in signal.functions.enumerated() {
            guard Self.isFunctionName(function.name) else {
                return .failure(.invalidRequest("data.functions[\(index)].name: '\(function.name)' must be 1-64 letters, digits, '_' or '-'"))
            }
            guard seen.insert(function.name).inserted else {
                return .failure(.invalidRequest("data.functions[\(index)].name: '\(function.name)' is defined twice"))
            }
            if let parameters = function.parameters, case .object = parameters {} else if function.parameters != nil {
                return .failure(.invalidRequest("data.functions[\(index)].parameters: must be a JSON Schema object"))
            }
        }
        if let choice = signal.toolChoice {
            switch choice {
            case .string(let text) where ["auto", "none", "required"].contains(text): break
            case .object(let object):
                guard case .object(let function)? = object["function"], case .string(let name)? = function["name"], seen.contains(name) else {
                    return .failure(.invalidRequest("data.tool_choice: a specific choice must name one of the configured functions"))
                }
            default:
                return .failure(.invalidRequest("data.tool_choice: must be 'auto', 'none', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}"))
            }
        }
        state.withLock { state in
            state.functions = signal.functions.isEmpty ? nil : signal
            state.configVersion += 1
        }
        logger.info("functions configured", metadata: ["agent.functions": "\(signal.functions.map(\.name))"])
        return .success(FunctionsConfigured(provider: configuration.provider, functions: signal.functions.map(\.name), requestID: signal.requestID, instance: configuration.instanceID))
    }

    /// Applies `configure_safety` (replacing the previous settings): the answer, or the reason.
    func apply(_ signal: ConfigureSafety) -> Result<SafetyConfigured, ProviderCallError> {
        let policy: SafetyPolicy
        do {
            policy = try SafetyPolicy(signal)
        } catch {
            return .failure(.invalidRequest(error.description))
        }
        state.withLock { state in
            state.safety = policy
            state.configVersion += 1
        }
        logger.info("safety configured", metadata: [
            "agent.safety.filtering": "\(policy.filtering.rawValue)", "agent.safety.categories": "\(policy.blockedCategories)",
            "agent.safety.terms": "\(policy.blockedTerms.count)",
        ])
        return .success(SafetyConfigured(
            provider: configuration.provider, level: signal.contentFiltering ?? signal.level, contentFiltering: policy.filtering.rawValue,
            blockFlaggedContent: policy.blockFlaggedContent, blockedCategories: policy.blockedCategories,
            blockedTerms: policy.blockedTerms.count, maxTokensCap: policy.maxTokensCap, requestID: signal.requestID, instance: configuration.instanceID
        ))
    }

    static func isFunctionName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}
