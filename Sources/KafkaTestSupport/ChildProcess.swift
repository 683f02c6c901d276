import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process spawned with a clean signal state.
///
/// Foundation's `Process` started from a Swift concurrency thread inherits that thread's blocked
/// signals (SIGTERM, SIGINT, ...), so the child would ignore a polite stop. This spawns with
/// `posix_spawn`, an empty signal mask and default dispositions, and stops with SIGTERM, then
/// SIGKILL after a grace period. Tests use it for brokers and, later, for agent processes they
/// kill on purpose.
public final class ChildProcess: Sendable {
    public let pid: Int32
    private let exitStatus = Mutex<Int32?>(nil)
    /// Children started and not reaped yet, for ``killAll()``.
    private static let unreaped = Mutex<Set<Int32>>([])

    /// SIGKILLs every child process started here that has not been seen to exit — for a signal
    /// handler that must not leave agents or servers running when the parent is interrupted.
    public static func killAll() {
        for pid in unreaped.withLock({ $0 }) { kill(pid, SIGKILL) }
    }

    /// Starts `executable` with `arguments`; stdout and stderr go to `logFile` (appended) or nowhere.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, logFile: String? = nil)
        throws
    {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let output = logFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        let environmentEntries = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environmentEntries.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw TansuError("could not start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        Self.unreaped.withLock { _ = $0.insert(child) }
    }

    /// Whether the process is still running (reaps it when it has exited).
    public var isRunning: Bool {
        exitStatus.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid {
                status = raw
                Self.unreaped.withLock { _ = $0.remove(pid) }
                return false
            }
            return reaped == 0
        }
    }

    /// The exit code once the process has exited normally; `nil` while it runs or when a signal
    /// ended it (see ``terminatingSignal``).
    public var exitCode: Int32? {
        guard !isRunning, let raw = exitStatus.withLock({ $0 }) else { return nil }
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : nil
    }

    /// The signal that ended the process, if one did.
    public var terminatingSignal: Int32? {
        guard !isRunning, let raw = exitStatus.withLock({ $0 }) else { return nil }
        let signal = raw & 0x7F
        return signal != 0 && signal != 0x7F ? signal : nil
    }

    /// User + system CPU time the running process has used so far (from `/proc/<pid>/stat`);
    /// `nil` once it has exited or where `/proc` is not there.
    public var cpuSeconds: Double? {
        guard isRunning, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14 and stime 15 (1-based).
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends `signal` (e.g. SIGKILL to simulate a crash).
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns once it is gone.
    /// Like ``stop(grace:)``, but suspends between checks instead of blocking its thread (for
    /// async code on the cooperative pool). Cancelled, it goes straight to SIGKILL.
    public func terminate(grace: Duration = .seconds(5)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard isRunning else { return }
        kill(pid, SIGKILL)
        while isRunning {
            if Task.isCancelled { await Task.yield() } else { try? await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns once it is gone.
    public func stop(grace: Duration = .seconds(5)) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { usleep(5_000) }
        }
    }
}
