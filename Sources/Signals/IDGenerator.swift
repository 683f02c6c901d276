import Common
import Synchronization

/// SplitMix64 over an atomic counter: fast, thread-safe 64-bit random numbers for identifiers
/// (not for secrets). Seeded once from the system's random source.
enum IDGenerator {
    private static let state = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    static func next() -> UInt64 {
        let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
        var z = state.wrappingAdd(gamma, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
