/// A benchmark step that could not complete (a stream ended early, a count does not add up, ...).
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
