import Signals

/// One literal JSON example per signal type (the same shapes as docs/signals.md).
enum SignalExamples {
    static let providerRequest = #"""
    {"type": "provider_request", "id": "6f1c2a7e-0b7d-4c1e-9a51-2f0e0d8b9c11", "source": "client/batch-7",
     "time": "2026-11-27T02:00:00.000Z",
     "data": {"request_id": "req-42", "model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 256,
              "messages": [{"role": "system", "content": "You are terse."},
                           {"role": "user", "content": "Name three prime numbers."}],
              "top_p": 0.9, "stop": ["\n\n"], "stream": false, "expires_at": "2026-11-27T02:00:30Z",
              "partition_key": "conversation-9", "reply_to": "llm.responses.batch-7",
              "metadata": {"job": "nightly", "attempt": 1}}}
    """#

    static let featureCheck = #"""
    {"type": "feature_check", "id": "e2", "source": "router/1", "time": "2026-11-27T02:00:00Z",
     "data": {"feature": "vision", "request_id": "fc-1"}}
    """#

    static let getProviderStatus = #"""
    {"type": "get_provider_status", "id": "e3", "source": "router/1", "time": "2026-11-27T02:00:00Z",
     "data": {"request_id": "st-1"}}
    """#

    static let providerResponse = #"""
    {"type": "provider_response", "id": "e4", "source": "agent/openai/host-1", "time": "2026-11-27T02:00:01.250Z",
     "data": {"request_id": "req-42", "response": "2, 3, 5.", "provider": "openai", "model": "gpt-4o-mini",
              "latency_ms": 812.5, "usage": {"prompt_tokens": 21, "completion_tokens": 6, "total_tokens": 27},
              "finish_reason": "stop", "attempt": 1, "cost_usd": 0.0000068, "instance": "host-1",
              "metadata": {"job": "nightly", "attempt": 1}}}
    """#

    static let providerError = #"""
    {"type": "provider_error", "id": "e5", "source": "agent/openai/host-1", "time": "2026-11-27T02:00:00.020Z",
     "data": {"request_id": "req-43", "error_type": "rate_limited", "error": "rate limit of 100 requests per 1000 ms reached",
              "retryable": true, "retry_after_ms": 350, "provider": "openai", "model": "gpt-4o-mini"}}
    """#

    static let providerStatus = #"""
    {"type": "provider_status", "id": "e6", "source": "agent/openai/host-1", "time": "2026-11-27T02:00:05Z",
     "data": {"provider": "openai", "instance": "host-1", "status": "healthy",
              "circuit_breaker": {"state": "closed", "failure_count": 0},
              "rate_limiter": {"limit": 50, "window_ms": 1000, "current_count": 12, "provider_limit": 100},
              "metrics": {"total_requests": 1520, "success_rate": 0.993, "successful_requests": 1509,
                          "failed_requests": 11, "in_flight": 37, "average_latency_ms": 640.2, "p99_latency_ms": 2210},
              "models": ["gpt-4o", "gpt-4o-mini"], "features": ["streaming", "function_calling", "vision"],
              "request_id": "st-1"}}
    """#

    static let featureCheckResult = #"""
    {"type": "feature_check_result", "data": {"feature": "vision", "supported": true, "provider": "anthropic",
     "request_id": "fc-1", "detail": "claude-3-5-sonnet"}}
    """#

    static let configureFunctions = #"""
    {"type": "configure_functions", "source": "ops/console",
     "data": {"request_id": "cf-1", "tool_choice": "auto",
              "functions": [{"name": "get_weather", "description": "Current weather for a city",
                             "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                            "required": ["city"]}}]}}
    """#

    static let functionsConfigured = #"""
    {"type": "functions_configured", "data": {"provider": "openai", "functions": ["get_weather"], "request_id": "cf-1",
     "instance": "host-1"}}
    """#

    static let streamRequest = #"""
    {"type": "stream_request", "data": {"request_id": "req-50", "model": "gpt-4o", "stream": true,
     "messages": [{"role": "user", "content": "Tell me a story."}]}}
    """#

    static let streamChunk = #"""
    {"type": "stream_chunk", "data": {"request_id": "req-50", "index": 0, "delta": "Once upon", "done": false,
     "provider": "openai", "model": "gpt-4o"}}
    """#

    static let configureSafety = #"""
    {"type": "configure_safety", "data": {"request_id": "cs-1", "level": "strict",
     "blocked_categories": ["violence", "self_harm"], "system_prompt": "Refuse unsafe requests.", "max_tokens_cap": 2048}}
    """#

    static let safetyConfigured = #"""
    {"type": "safety_configured", "data": {"provider": "anthropic", "level": "strict",
     "blocked_categories": ["violence", "self_harm"], "max_tokens_cap": 2048, "request_id": "cs-1"}}
    """#

    static let visionRequest = #"""
    {"type": "vision_request", "data": {"request_id": "req-60", "model": "claude-3-5-sonnet", "max_tokens": 300,
     "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}}]}]}}
    """#

    static let loadModel = #"""
    {"type": "load_model", "data": {"model": "llama3.2:3b", "keep_alive_s": 600, "request_id": "lm-1"}}
    """#

    static let modelLoaded = #"""
    {"type": "model_loaded", "data": {"provider": "local", "model": "llama3.2:3b", "duration_ms": 2350,
     "memory_bytes": 2147483648, "request_id": "lm-1"}}
    """#

    static let unloadModel = #"""
    {"type": "unload_model", "data": {"model": "llama3.2:3b", "request_id": "um-1"}}
    """#

    static let modelUnloaded = #"""
    {"type": "model_unloaded", "data": {"provider": "local", "model": "llama3.2:3b", "memory_bytes": 2147483648,
     "request_id": "um-1"}}
    """#

    static let getResourceStatus = #"""
    {"type": "get_resource_status", "data": {"request_id": "rs-1"}}
    """#

    static let resourceStatus = #"""
    {"type": "resource_status", "data": {"provider": "local", "loaded_models": ["llama3.2:3b"],
     "memory_total_bytes": 17179869184, "memory_used_bytes": 6442450944, "cpu_percent": 37.5, "in_flight": 2,
     "request_id": "rs-1"}}
    """#

    static let listAvailableModels = #"""
    {"type": "list_available_models"}
    """#

    static let availableModels = #"""
    {"type": "available_models", "data": {"provider": "local", "models": [
        {"name": "llama3.2:3b", "loaded": true, "size_bytes": 2019393189, "family": "llama", "context_length": 131072},
        {"name": "qwen2.5:7b", "loaded": false}]}}
    """#

    static let all: [SignalType: String] = [
        .providerRequest: providerRequest, .featureCheck: featureCheck, .getProviderStatus: getProviderStatus,
        .providerResponse: providerResponse, .providerError: providerError, .providerStatus: providerStatus,
        .featureCheckResult: featureCheckResult, .configureFunctions: configureFunctions,
        .functionsConfigured: functionsConfigured, .streamRequest: streamRequest, .streamChunk: streamChunk,
        .configureSafety: configureSafety, .safetyConfigured: safetyConfigured, .visionRequest: visionRequest,
        .loadModel: loadModel, .modelLoaded: modelLoaded, .unloadModel: unloadModel, .modelUnloaded: modelUnloaded,
        .getResourceStatus: getResourceStatus, .resourceStatus: resourceStatus,
        .listAvailableModels: listAvailableModels, .availableModels: availableModels,
    ]
}
