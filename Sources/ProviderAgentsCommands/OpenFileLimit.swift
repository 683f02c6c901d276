#if canImport(Glibc)
    import Glibc
#endif

/// The process's open-file limit. Every HTTP/1.1 call in flight holds a socket, so an agent
/// with thousands of calls in flight needs more than the usual soft limit of 1,024: the soft
/// limit is raised to the hard one at start (what servers commonly do).
public enum OpenFileLimit {
    /// Raises the soft limit to the hard limit; returns the limit now in force (`nil`: unknown).
    @discardableResult
    public static func raiseToHardLimit() -> Int? {
        #if canImport(Glibc)
            var limit = rlimit()
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            guard getrlimit(resource, &limit) == 0 else { return nil }
            if limit.rlim_cur < limit.rlim_max {
                var raised = limit
                raised.rlim_cur = limit.rlim_max
                if setrlimit(resource, &raised) == 0 { return Int(clamping: raised.rlim_cur) }
            }
            return Int(clamping: limit.rlim_cur)
        #else
            return nil
        #endif
    }
}
