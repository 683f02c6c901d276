import ArgumentParser
import Foundation
import Kafka
import Logging
import Synchronization

private let loggingBootstrapped = Mutex(false)

/// Options every command that talks to a broker takes.
struct KafkaOptions: ParsableArguments {
    @Option(
        name: .customLong("bootstrap"),
        help: "Bootstrap servers, host:port[,host:port...]. Default: $KAFKA_BOOTSTRAP, else 127.0.0.1:9092."
    )
    var bootstrapOption: String?

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("Any librdkafka property, key=value (repeatable).", valueName: "key=value"))
    var properties: [String] = []

    @Option(name: .long, help: "Seconds to wait for the broker before giving up.")
    var connectTimeout: Int = 10

    /// The bootstrap servers: the option, else `$KAFKA_BOOTSTRAP`, else the default (as the
    /// agents and routers resolve theirs, without a file).
    var bootstrap: String {
        ConnectionSettings(
            bootstrap: bootstrapOption, topicPrefix: nil, properties: [:], file: nil,
            environment: ProcessInfo.processInfo.environment
        ).bootstrap
    }

    func configuration() throws -> KafkaConfiguration {
        var passthrough: [String: String] = [:]
        for entry in properties {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("-X expects key=value, got '\(entry)'")
            }
            passthrough[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return KafkaConfiguration(bootstrapServers: bootstrap, properties: passthrough)
    }

    var connectDuration: Duration { .seconds(connectTimeout) }
}

struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    @Option(name: .long, help: "Log format: text (the default) or json (one object per line, dotted keys).")
    var logFormat: String = "text"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
        guard ["text", "json"].contains(logFormat) else {
            throw ValidationError("--log-format must be text or json; got '\(logFormat)'")
        }
    }

    /// Installs the stderr log handler (once per process) and returns a logger at the chosen level.
    func bootstrap(label: String) -> Logger {
        let first = loggingBootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            if logFormat == "json" {
                LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
            } else {
                LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
            }
        }
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return logger
    }
}

/// Writes a line to standard output and flushes it, so pipes and scripts see it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Milliseconds with one decimal.
func formatMilliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
    return String(format: "%.1f ms", milliseconds)
}
