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
         "data": {"request_id": "req-43", "error_type": "rate_limited",
          "error": "rate limit of 100 requests per 1000 ms reached",
                  "retryable": true, "retry_after_ms": 350, "provider": "openai", "model": "gpt-4o-mini"}}
        """#

    static let providerStatus = #"""
        {"type": "provider_status", "id": "e6", "source": "agent/openai/host-1", "time": "2026-11-27T02:00:05Z",
         "data": {"provider": "openai", "instance": "host-1", "status": "healthy",
                  "circuit_breaker": {"state": "closed", "failure_count": 0},
                  "rate_limiter": {"limit": 50, "window_ms": 1000, "current_count": 12, "provider_limit": 100},
                  "metrics": {"total_requests": 1520, "success_rate": 0.993, "successful_requests": 1509,
                              "failed_requests": 11, "in_flight": 37, "average_latency_ms": 640.2,
                               "p99_latency_ms": 2210},
                  "models": ["gpt-4o", "gpt-4o-mini"], "features": ["streaming", "function_calling", "vision"],
                  "request_id": "st-1"}}
        """#

    static let featureCheckResult = #"""
        {"type": "feature_check_result", "data": {"feature": "vision", "supported": true, "provider": "anthropic",
         "request_id": "fc-1", "detail": "claude-3-5-sonnet"}}
        """#

    static let configureProvider = #"""
        {"type": "configure_provider", "id": "c1", "source": "ops/console", "time": "2026-11-27T02:10:00Z",
         "data": {"request_id": "cfg-1", "reply_to": "ops.answers",
                  "rate_limit": {"strategy": "sliding_window", "requests_per_window": 600, "tokens_per_window": 90000,
                                 "window_ms": 60000},
                  "circuit_breaker": {"consecutive_failures": 5, "failure_rate_threshold": 0.5, "minimum_requests": 20,
                                      "rate_window_size": 50, "open_timeout_ms": 30000, "half_open_max_probes": 1,
                                      "half_open_successes_to_close": 2,
                                      "counted_failures": ["upstream_5xx", "timeout", "connection"]},
                  "prices": {"gpt-4o": {"input_per_million": 2.5, "output_per_million": 10},
                             "gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6}},
                  "models": ["gpt-4o", "gpt-4o-mini"], "default_model": "gpt-4o", "max_concurrent_calls": 512}}
        """#

    static let providerConfigured = #"""
        {"type": "provider_configured", "id": "c2", "source": "agent/openai/host-1", "time": "2026-11-27T02:10:00.040Z",
         "data": {"provider": "openai", "instance": "host-1", "request_id": "cfg-1", "version": 7,
                  "applied": ["circuit_breaker", "default_model", "max_concurrent_calls", "models", "prices",
                   "rate_limit"]}}
        """#

    /// `provider_status` with every optional member (not in `all`: the seed's status stays the
    /// example of its type).
    static let providerStatusFull = #"""
        {"type": "provider_status", "id": "e7", "source": "agent/openai/host-1", "time": "2026-11-27T02:00:05Z",
         "data": {"provider": "openai", "instance": "host-1", "status": "degraded",
                  "circuit_breaker": {"state": "half_open", "failure_count": 0, "retry_after_ms": 0, "transitions": 2,
                                      "recent_transitions": [
                                          {"at": "2026-11-27T01:59:30.120Z", "from": "closed", "to": "open",
                                           "reason": "5 consecutive failures (last: upstream_5xx)"},
                                          {"at": "2026-11-27T02:00:00.125Z", "from": "open", "to": "half_open",
                                           "reason": "open timeout of 30 s elapsed"}]},
                  "rate_limiter": {"limit": 300, "window_ms": 60000, "current_count": 41, "provider_limit": 600,
                                   "tokens_limit": 45000, "provider_tokens_limit": 90000, "share": 0.5,
                                   "strategy": "sliding_window"},
                  "metrics": {"total_requests": 1520, "success_rate": 0.98, "successful_requests": 1490,
                              "failed_requests": 30, "in_flight": 12, "average_latency_ms": 640.2,
                               "p50_latency_ms": 512,
                              "p90_latency_ms": 1450.5, "p99_latency_ms": 2210, "max_latency_ms": 4020.75,
                              "total_tokens": 98000, "prompt_tokens": 61000, "completion_tokens": 37000,
                              "total_cost_usd": 0.5225, "rejected_requests": 14, "ledger_repeats": 3,
                               "provider_recalls": 1,
                              "errors_by_type": {"rate_limited": 10, "timeout": 4, "provider_error": 16}},
                  "model_metrics": {
                      "gpt-4o": {"total_requests": 520, "success_rate": 0.97, "successful_requests": 505,
                                 "failed_requests": 15, "p50_latency_ms": 700, "p90_latency_ms": 1800,
                                 "p99_latency_ms": 2600, "max_latency_ms": 4020.75, "prompt_tokens": 21000,
                                 "completion_tokens": 13000, "total_tokens": 34000, "total_cost_usd": 0.1825,
                                 "errors_by_type": {"timeout": 4, "provider_error": 11}},
                      "gpt-4o-mini": {"total_requests": 1000, "success_rate": 0.985}},
                  "owned_partitions": [0, 2, 5], "config_version": 7, "uptime_ms": 86400000,
                  "models": ["gpt-4o", "gpt-4o-mini"], "features": ["streaming", "function_calling", "vision"]}}
        """#

    static let configureFunctions = #"""
        {"type": "configure_functions", "source": "ops/console",
         "data": {"request_id": "cf-1", "tool_choice": "auto",
                  "functions": [{"name": "get_weather", "description": "Current weather for a city",
                                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                "required": ["city"]}}]}}
        """#

    static let functionsConfigured = #"""
        {"type": "functions_configured", "data": {"provider": "openai", "functions": ["get_weather"],
         "request_id": "cf-1",
         "instance": "host-1"}}
        """#

    static let streamRequest = #"""
        {"type": "stream_request", "data": {"request_id": "req-50", "model": "gpt-4o", "stream": true,
         "messages": [{"role": "user", "content": "Tell me a story."}]}}
        """#

    static let streamChunk = #"""
        {"type": "stream_chunk", "data": {"request_id": "req-50", "index": 0, "delta": "Once upon", "done": false,
         "provider": "openai", "model": "gpt-4o", "run": "5d0c7b9e-31a4-4f52-9a3e-0c6f1d2e8b47"}}
        """#

    static let configureSafety = #"""
        {"type": "configure_safety", "data": {"request_id": "cs-1", "level": "strict",
         "blocked_categories": ["violence", "self_harm"], "system_prompt": "Refuse unsafe requests.",
          "max_tokens_cap": 2048}}
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
            {"name": "llama3.2:3b", "loaded": true, "size_bytes": 2019393189, "family": "llama",
             "context_length": 131072},
            {"name": "qwen2.5:7b", "loaded": false}]}}
        """#

    static let all: [SignalType: String] = [
        .providerRequest: providerRequest, .featureCheck: featureCheck, .getProviderStatus: getProviderStatus,
        .providerResponse: providerResponse, .providerError: providerError, .providerStatus: providerStatus,
        .featureCheckResult: featureCheckResult, .configureProvider: configureProvider,
        .providerConfigured: providerConfigured, .configureFunctions: configureFunctions,
        .functionsConfigured: functionsConfigured, .streamRequest: streamRequest, .streamChunk: streamChunk,
        .configureSafety: configureSafety, .safetyConfigured: safetyConfigured, .visionRequest: visionRequest,
        .loadModel: loadModel, .modelLoaded: modelLoaded, .unloadModel: unloadModel, .modelUnloaded: modelUnloaded,
        .getResourceStatus: getResourceStatus, .resourceStatus: resourceStatus,
        .listAvailableModels: listAvailableModels, .availableModels: availableModels,
    ]
}
