import Common

/// A JSON value read from an upstream's answer by ``ResponseJSONParser`` (the house's
/// ``JSONTreeParser``) for the adapters' fast paths: the house's ordered JSON value.
typealias ResponseJSON = OrderedJSON

extension OrderedJSON {
    /// What the slow paths read with `as? Int ?? 0` from a member holding a token count: `.some(n)`
    /// for an integer, `.some(nil)` for a missing or null member, `nil` (not sure: leave the answer
    /// to the slow path) for anything else.
    static func count(_ value: ResponseJSON?) -> Int?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .integer(let count)?: return .some(count)
        default: return nil
        }
    }
}

/// Upstream answers are read in place by the house's scanner into ordered objects.
typealias ResponseJSONParser = JSONTreeParser<ResponseJSON>
