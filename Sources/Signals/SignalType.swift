/// The `type` of a signal envelope: every signal of the protocol (see `docs/signals.md`).
public enum SignalType: String, Sendable, Hashable, Codable, CaseIterable {
    // Input, all providers.
    case providerRequest = "provider_request"
    case featureCheck = "feature_check"
    case getProviderStatus = "get_provider_status"
    // Output, all providers.
    case providerResponse = "provider_response"
    case providerError = "provider_error"
    case providerStatus = "provider_status"
    case featureCheckResult = "feature_check_result"
    // Control, all providers (`llm.control.<provider>`).
    case configureProvider = "configure_provider"
    case providerConfigured = "provider_configured"
    // OpenAI.
    case configureFunctions = "configure_functions"
    case functionsConfigured = "functions_configured"
    case streamRequest = "stream_request"
    case streamChunk = "stream_chunk"
    // Anthropic.
    case configureSafety = "configure_safety"
    case safetyConfigured = "safety_configured"
    case visionRequest = "vision_request"
    // Local (Ollama, llama.cpp).
    case loadModel = "load_model"
    case modelLoaded = "model_loaded"
    case unloadModel = "unload_model"
    case modelUnloaded = "model_unloaded"
    case getResourceStatus = "get_resource_status"
    case resourceStatus = "resource_status"
    case listAvailableModels = "list_available_models"
    case availableModels = "available_models"

    /// Whether an envelope of this type must carry `data`. Pure queries may omit it.
    public var requiresData: Bool {
        switch self {
        case .getProviderStatus, .getResourceStatus, .listAvailableModels: return false
        default: return true
        }
    }

    /// The signal type(s) that answer this one (besides `provider_error`), empty for outputs.
    public var answerTypes: [SignalType] {
        switch self {
        case .providerRequest, .visionRequest: return [.providerResponse]
        case .streamRequest: return [.streamChunk, .providerResponse]
        case .featureCheck: return [.featureCheckResult]
        case .getProviderStatus: return [.providerStatus]
        case .configureProvider: return [.providerConfigured]
        case .configureFunctions: return [.functionsConfigured]
        case .configureSafety: return [.safetyConfigured]
        case .loadModel: return [.modelLoaded]
        case .unloadModel: return [.modelUnloaded]
        case .getResourceStatus: return [.resourceStatus]
        case .listAvailableModels: return [.availableModels]
        default: return []
        }
    }
}
