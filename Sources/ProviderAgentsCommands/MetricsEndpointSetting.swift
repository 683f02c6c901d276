import ArgumentParser
import Common
import Logging
import Metrics
import ServiceLifecycle
import Telemetry

/// `--metrics-listen HOST:PORT` (or a section's `metrics_listen`), checked: the process's
/// Prometheus registry, reported into by everything in it (the process's `MetricsSystem` is
/// bootstrapped with it), and the endpoint that serves it.
struct MetricsEndpointSetting {
    let host: String
    let port: Int
    let telemetry: Telemetry

    /// `nil` when no address is given; an error naming `option` when it is not host:port.
    init?(listen: String?, option: String) throws {
        guard let listen else { return nil }
        do {
            (host, port) = try GatewayCommand.address(listen)
        } catch {
            throw ValidationError("\(option) / metrics_listen: \(error.message)")
        }
        telemetry = Telemetry()
        MetricsSystem.bootstrap(telemetry.factory)
    }

    func service(logger: Logger, ready: @escaping @Sendable () -> Bool) -> MetricsEndpoint {
        MetricsEndpoint(host: host, port: port, telemetry: telemetry, logger: logger, ready: ready)
    }

    /// The endpoint as a member of the process's service group.
    func member(logger: Logger, ready: @escaping @Sendable () -> Bool) -> ServiceGroupConfiguration.ServiceConfiguration
    {
        .init(service: service(logger: logger, ready: ready), serviceName: "metrics")
    }

    /// Where the process's parts report: the endpoint's registry, or the process's `MetricsSystem`.
    static func factory(_ setting: MetricsEndpointSetting?) -> any MetricsFactory {
        setting?.telemetry.factory ?? MetricsSystem.factory
    }
}
