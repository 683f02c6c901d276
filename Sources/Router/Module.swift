// The router's pure core: the `Router` module.
//
// It owns the provider registry built from `provider_status`, routing
// strategies and policy, and the fallback decisions after retryable errors. No Kafka; may import
// Signals and Common only.
