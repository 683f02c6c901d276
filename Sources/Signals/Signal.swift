/// Every signal of the protocol with its typed `data`. The envelope (`SignalEnvelope`) adds
/// `type`, `id`, `source` and `time`.
public enum Signal: Sendable, Hashable {
    // Input, all providers.
    case providerRequest(ProviderRequest)
    case featureCheck(FeatureCheck)
    case getProviderStatus(SignalQuery?)
    // Output, all providers. Errors (a handed-back one carries its whole request) and statuses
    // are boxed: inline they made every `Signal` over 600 bytes, and signals sit in the async
    // frames of every request in flight.
    case providerResponse(ProviderResponse)
    indirect case providerError(ProviderError)
    indirect case providerStatus(ProviderStatus)
    case featureCheckResult(FeatureCheckResult)
    // Control, all providers.
    case configureProvider(ConfigureProvider)
    case providerConfigured(ProviderConfigured)
    // OpenAI.
    case configureFunctions(ConfigureFunctions)
    case functionsConfigured(FunctionsConfigured)
    case streamRequest(ProviderRequest)
    case streamChunk(StreamChunk)
    // Anthropic.
    case configureSafety(ConfigureSafety)
    case safetyConfigured(SafetyConfigured)
    case visionRequest(ProviderRequest)
    // Local.
    case loadModel(ModelCommand)
    case modelLoaded(ModelLoaded)
    case unloadModel(ModelCommand)
    case modelUnloaded(ModelLoaded)
    case getResourceStatus(SignalQuery?)
    case resourceStatus(ResourceStatus)
    case listAvailableModels(SignalQuery?)
    case availableModels(AvailableModels)

    public var type: SignalType {
        switch self {
        case .providerRequest: return .providerRequest
        case .featureCheck: return .featureCheck
        case .getProviderStatus: return .getProviderStatus
        case .providerResponse: return .providerResponse
        case .providerError: return .providerError
        case .providerStatus: return .providerStatus
        case .featureCheckResult: return .featureCheckResult
        case .configureProvider: return .configureProvider
        case .providerConfigured: return .providerConfigured
        case .configureFunctions: return .configureFunctions
        case .functionsConfigured: return .functionsConfigured
        case .streamRequest: return .streamRequest
        case .streamChunk: return .streamChunk
        case .configureSafety: return .configureSafety
        case .safetyConfigured: return .safetyConfigured
        case .visionRequest: return .visionRequest
        case .loadModel: return .loadModel
        case .modelLoaded: return .modelLoaded
        case .unloadModel: return .unloadModel
        case .modelUnloaded: return .modelUnloaded
        case .getResourceStatus: return .getResourceStatus
        case .resourceStatus: return .resourceStatus
        case .listAvailableModels: return .listAvailableModels
        case .availableModels: return .availableModels
        }
    }

    /// The `request_id` in `data`, if the signal has one.
    public var requestID: String? {
        switch self {
        case .providerRequest(let d), .streamRequest(let d), .visionRequest(let d): return d.requestID
        case .featureCheck(let d): return d.requestID
        case .getProviderStatus(let d), .getResourceStatus(let d), .listAvailableModels(let d): return d?.requestID
        case .providerResponse(let d): return d.requestID
        case .providerError(let d): return d.requestID
        case .providerStatus(let d): return d.requestID
        case .featureCheckResult(let d): return d.requestID
        case .configureProvider(let d): return d.requestID
        case .providerConfigured(let d): return d.requestID
        case .configureFunctions(let d): return d.requestID
        case .functionsConfigured(let d): return d.requestID
        case .streamChunk(let d): return d.requestID
        case .configureSafety(let d): return d.requestID
        case .safetyConfigured(let d): return d.requestID
        case .loadModel(let d), .unloadModel(let d): return d.requestID
        case .modelLoaded(let d), .modelUnloaded(let d): return d.requestID
        case .resourceStatus(let d): return d.requestID
        case .availableModels(let d): return d.requestID
        }
    }

    /// The `reply_to` topic an asking signal names, if any.
    public var replyTo: String? {
        switch self {
        case .providerRequest(let d), .streamRequest(let d), .visionRequest(let d): return d.replyTo
        case .featureCheck(let d): return d.replyTo
        case .getProviderStatus(let d), .getResourceStatus(let d), .listAvailableModels(let d): return d?.replyTo
        case .configureProvider(let d): return d.replyTo
        case .configureFunctions(let d): return d.replyTo
        case .configureSafety(let d): return d.replyTo
        case .loadModel(let d), .unloadModel(let d): return d.replyTo
        default: return nil
        }
    }
}
