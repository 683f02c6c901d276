extension Duration {
    /// In milliseconds, as a `Double` (for signals' `*_ms` fields).
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
