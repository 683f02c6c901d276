// `kafka-bench`: the `KafkaBenchmark` module.
//
// It owns the benchmark suites (kafka, agent, adapters, scale, latency,
// ledger) and their tables; each compares against the raw Kafka pass-through measured in the same
// run (docs/benchmarks.md).
