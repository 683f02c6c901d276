/// One line of the agent benchmark's table.
struct AgentResultRow: Sendable {
    var scenario: String
    /// Provider latency label (`0 ms`, `200 ms`), empty for the raw pass-through.
    var provider: String
    /// Timed requests.
    var requests: Int
    /// Average request value size in bytes.
    var size: Int
    /// Requests per second, end to end (first timed answer read → last timed answer read).
    var rate: Double?
    /// Requests per second between the 10th and 90th percentile answer.
    var steadyRate: Double?
    /// Process CPU time (user + system) per request over the timed window, in microseconds.
    var cpuMicroseconds: Double?
    /// The broker's CPU time per request over the same window, in microseconds.
    var brokerMicroseconds: Double?
    /// Most provider calls in progress at once, and the agent's highest reported `in_flight`.
    var peakCalls: Int?
    var peakAgentInFlight: Int?
    /// Resident memory with the agent warmed up and idle, and when it reported its highest in_flight (bytes).
    var residentIdle: Int?
    var residentPeak: Int?
    /// (memory in use at the highest in_flight − idle RSS) / that in_flight, in bytes: RSS after
    /// freed heap is given back, at both ends.
    var bytesPerInFlight: Double?
    /// The same from the RSS as read (its high-water mark includes buffers already freed).
    var residentBytesPerInFlight: Double?

    init(scenario: String, provider: String, requests: Int, size: Int, answers: AnswerCollector.Outcome) {
        self.scenario = scenario
        self.provider = provider
        self.requests = requests
        self.size = size
        let seconds = answers.elapsed.seconds
        rate = seconds > 0 ? Double(answers.answers) / seconds : nil
        steadyRate = answers.steadyRate
        cpuMicroseconds = answers.answers > 0 ? answers.cpu.seconds * 1e6 / Double(answers.answers) : nil
        brokerMicroseconds = answers.answers > 0 ? answers.brokerCPU.map { $0 * 1e6 / Double(answers.answers) } : nil
    }
}

extension AgentResultRow {
    /// The row of an agent scenario; `memory`: with the RSS figures (idle, at the highest
    /// in_flight, per in-flight request).
    init(_ outcome: AgentScenario.Outcome, memory: Bool = true) {
        self.init(
            scenario: "agent", provider: outcome.setup.label, requests: outcome.setup.requests,
            size: outcome.requestBytes, answers: outcome.answers)
        peakCalls = outcome.peakCalls
        peakAgentInFlight = outcome.peakAgentInFlight?.inFlight
        guard memory else { return }
        residentIdle = outcome.residentIdle
        // Memory per request the agent holds: RSS when it reported its highest in_flight.
        if let idle = outcome.residentIdle, let peak = outcome.peakAgentInFlight, peak.inFlight > 0 {
            residentPeak = peak.residentBytes
            residentBytesPerInFlight = Double(peak.residentBytes - idle) / Double(peak.inFlight)
            bytesPerInFlight = Double((peak.liveBytes ?? peak.residentBytes) - idle) / Double(peak.inFlight)
        }
    }
}
