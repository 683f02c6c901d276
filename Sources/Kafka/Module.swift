// Async Swift over librdkafka: the `Kafka` module.
//
// It owns every librdkafka handle (the only module importing CRdKafka,
// internally): `KafkaProducer`, `KafkaConsumer` (one `messages` sequence, rebalance callbacks,
// read-to-end and by-time lookups), `KafkaAdmin`, `EmbeddedKafkaCluster`, typed configuration with a
// passthrough dictionary, the in-flight window and latency profiles. Knows nothing of signals.
