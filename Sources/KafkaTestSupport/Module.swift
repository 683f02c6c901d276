// Helpers for tests and benchmarks: the `KafkaTestSupport` module.
//
// It owns the Tansu broker on a free loopback port, agent OS
// processes on topics of their own, their latest `provider_status`, a paced load and topic readers
// that re-read offsets Tansu skipped. Never linked into a shipped executable.
