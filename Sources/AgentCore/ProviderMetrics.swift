public import Common

/// What an agent counts about the calls it made: overall and per model.
/// A value type: the owner serialises access.
public struct ProviderMetrics: Sendable {
    /// One finished call (or an admission rejection, which has no latency or tokens).
    public struct Call: Sendable, Hashable {
        public var model: String
        public var succeeded: Bool
        /// `error_type` of a failure (`timeout`, `rate_limited`, ...).
        public var errorType: String?
        public var latency: Duration?
        public var promptTokens: Int
        public var completionTokens: Int
        /// Time spent generating the completion tokens when the upstream reports it (Ollama's
        /// `eval_duration`); else the call's latency is used for tokens per second.
        public var generationTime: Duration?

        public init(
            model: String, succeeded: Bool, errorType: String? = nil, latency: Duration? = nil, promptTokens: Int = 0,
            completionTokens: Int = 0,
            generationTime: Duration? = nil
        ) {
            self.generationTime = generationTime
            self.model = model
            self.succeeded = succeeded
            self.errorType = errorType
            self.latency = latency
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
        }
    }

    /// Aggregates of a set of calls.
    public struct Totals: Sendable {
        public private(set) var total = 0
        public private(set) var successful = 0
        public private(set) var failed = 0
        public private(set) var promptTokens = 0
        public private(set) var completionTokens = 0
        public private(set) var costUSD = 0.0
        public private(set) var failuresByType: [String: Int] = [:]
        public private(set) var latency = LatencyHistogram()
        /// Completion tokens of successful calls and the time spent generating them.
        public private(set) var generatedTokens = 0
        public private(set) var generationTime: Duration = .zero
        /// The last model load (`load_model`, or a load the runtime reported), and how many.
        public private(set) var lastLoadTime: Duration?
        public private(set) var loads = 0

        /// Completion tokens per second of generation (`nil` before any measured success).
        public var tokensPerSecond: Double? {
            let seconds =
                Double(generationTime.components.seconds) + Double(generationTime.components.attoseconds) / 1e18
            return seconds > 0 ? Double(generatedTokens) / seconds : nil
        }

        mutating func addLoad(_ duration: Duration) {
            lastLoadTime = duration
            loads += 1
        }

        /// Successful / total; 1 when nothing was recorded.
        public var successRate: Double { total == 0 ? 1 : Double(successful) / Double(total) }

        mutating func add(_ call: Call, cost: Double) {
            total += 1
            if call.succeeded {
                successful += 1
            } else {
                failed += 1
                failuresByType[call.errorType ?? "unknown", default: 0] += 1
            }
            promptTokens += call.promptTokens
            completionTokens += call.completionTokens
            costUSD += cost
            if let latency = call.latency { self.latency.record(latency) }
            if call.succeeded, call.completionTokens > 0, let time = call.generationTime ?? call.latency, time > .zero {
                generatedTokens += call.completionTokens
                generationTime += time
            }
        }
    }

    public private(set) var overall = Totals()
    public private(set) var byModel: [String: Totals] = [:]
    /// Requests answered again from the ledger instead of calling the provider twice.
    public private(set) var ledgerRepeats = 0
    /// Requests whose call reached the provider again because it was in flight when the previous
    /// owner of the partition stopped (crash, lost partition): bounded by the in-flight limit.
    public private(set) var providerRecalls = 0
    /// Requests refused at admission (never reached the provider).
    public private(set) var rejected = 0
    public var prices: PriceTable

    public init(prices: PriceTable = PriceTable()) {
        self.prices = prices
    }

    public mutating func record(_ call: Call) {
        let cost = prices.cost(
            model: call.model, promptTokens: call.promptTokens, completionTokens: call.completionTokens)
        overall.add(call, cost: cost)
        byModel[call.model, default: Totals()].add(call, cost: cost)
    }

    /// A model load that took `duration` (`load_model`).
    public mutating func recordLoad(model: String, duration: Duration) {
        overall.addLoad(duration)
        byModel[model, default: Totals()].addLoad(duration)
    }

    public mutating func recordLedgerRepeat() {
        ledgerRepeats += 1
    }

    public mutating func recordProviderRecall() {
        providerRecalls += 1
    }

    /// A refusal at admission: counted as a failed request of `model` and as rejected.
    public mutating func recordRejection(model: String, errorType: String) {
        rejected += 1
        record(Call(model: model, succeeded: false, errorType: errorType))
    }
}
