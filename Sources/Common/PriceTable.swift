/// USD prices per million tokens, per model (from configuration).
public struct PriceTable: Sendable, Hashable, Codable {
    public struct Price: Sendable, Hashable, Codable {
        public var inputPerMillion: Double
        public var outputPerMillion: Double

        public init(inputPerMillion: Double, outputPerMillion: Double) {
            self.inputPerMillion = inputPerMillion
            self.outputPerMillion = outputPerMillion
        }

        enum CodingKeys: String, CodingKey {
            case inputPerMillion = "input_per_million"
            case outputPerMillion = "output_per_million"
        }
    }

    /// Keyed by model name or name prefix (`gpt-4o` prices `gpt-4o-2024-08-06` unless that has its own entry).
    public var prices: [String: Price]

    public init(_ prices: [String: Price] = [:]) {
        self.prices = prices
    }

    /// The exact entry, else the longest matching prefix; `nil` for an unpriced model.
    public func price(for model: String) -> Price? {
        if let exact = prices[model] { return exact }
        return prices.filter { model.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
    }

    /// Cost of one call in USD; 0 for an unpriced model.
    public func cost(model: String, promptTokens: Int, completionTokens: Int) -> Double {
        guard let price = price(for: model) else { return 0 }
        return (Double(promptTokens) * price.inputPerMillion + Double(completionTokens) * price.outputPerMillion)
            / 1_000_000
    }
}

extension PriceTable {
    /// Every model name non-empty, every price >= 0 USD: `prices.<model>.input_per_million`.
    public func validate() throws(InvalidSetting) {
        for (model, price) in prices.sorted(by: { $0.key < $1.key }) {
            guard !model.isEmpty else { throw InvalidSetting(["prices"], "a model name must not be empty") }
            try SettingRule.nonNegative(price.inputPerMillion, at: ["prices", .name(model), "input_per_million"])
            try SettingRule.nonNegative(price.outputPerMillion, at: ["prices", .name(model), "output_per_million"])
        }
    }
}
