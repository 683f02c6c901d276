// Batch jobs' rules: the `Batch` module.
//
// It owns what a batch job is and how it may change (`BatchJob`, a plain value with the OpenAI
// batch object's shape), the checks of an input file's lines (`BatchInput`), and reading an
// upload's `multipart/form-data` body (`MultipartForm`). Pure: no Kafka, no HTTP; the gateway and
// the batch runner are its shell (docs/batch.md). Imports Foundation only.
