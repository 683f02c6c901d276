import Common
import Foundation

extension SplitMix64 {
    /// Standard normal (Box–Muller), for the fake upstream's normal and log-normal latencies.
    mutating func gaussian() -> Double {
        let u1 = max(nextUnit(), .leastNonzeroMagnitude)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
