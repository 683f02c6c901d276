import Foundation

/// The wall clock in milliseconds since the epoch: what message timestamps, journal records and
/// deadlines on the wire are measured in. Code that decides by time takes a clock function and
/// defaults to this one, so tests can pass their own.
public enum WallClock {
    public static func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
