/// What a local runtime (Ollama) offers beyond chat: loading and unloading models, which are
/// loaded now, which it has, and their context length. The agent answers `load_model`,
/// `unload_model`, `get_resource_status` and `list_available_models` through it; a provider that
/// does not conform answers them with `unsupported`.
public protocol LocalModelManaging: Sendable {
    /// Loads `model` and keeps it loaded for `keepAlive` when idle (`nil`: the runtime's default).
    /// Unknown model → `model_unavailable`; runtime down → `provider_error`.
    func load(model: String, keepAlive: Duration?) async throws(ProviderCallError) -> LoadedModel

    /// Unloads `model`; the memory it occupied when the runtime reported it (else `nil`).
    func unload(model: String) async throws(ProviderCallError) -> Int?

    /// The models loaded now.
    func loadedModels() async throws(ProviderCallError) -> [LoadedModel]

    /// The models the runtime has (loaded or not).
    func availableModels() async throws(ProviderCallError) -> [LocalModel]

    /// The model's context length as the runtime reports it (`nil`: it does not say).
    func contextLength(model: String) async throws(ProviderCallError) -> Int?
}
