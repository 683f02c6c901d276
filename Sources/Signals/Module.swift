// The wire protocol: the `Signals` module.
//
// It owns the signal envelope, every signal type, strict decoding with errors naming
// the field, and the fast encoders and parsers of the hot path (docs/signals.md). Pure values.
