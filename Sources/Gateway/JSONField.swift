import Foundation
import Signals

/// Reading the members of a request body decoded as a `JSONValue`, each failure a 400 naming the
/// member (`temperature`, `messages[0].role`), for both API shapes.
enum JSONField {
    /// The members of a body that must be one JSON object.
    static func object(_ body: [UInt8]) throws(GatewayError) -> [String: JSONValue] {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw .invalid("the request body is not valid JSON: \(reason(error))")
        }
        guard case .object(let members) = root else {
            throw .invalid("the request body must be a JSON object, got \(root.shortDescription)")
        }
        return members
    }

    /// An optional member that must be an object.
    static func object(_ value: JSONValue?, _ name: String) throws(GatewayError) -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .object(let fields)?: return fields
        case let other?: throw .invalid("'\(name)' must be an object, got \(other.shortDescription)", param: name)
        }
    }

    static func string(_ value: JSONValue?, _ name: String, required: Bool = false) throws(GatewayError)
        -> String?
    {
        switch value {
        case nil, .null?:
            if required { throw .invalid("you must provide a \(name) parameter", param: name) }
            return nil
        case .string(let text)?: return text
        case let other?: throw .invalid("'\(name)' must be a string, got \(other.shortDescription)", param: name)
        }
    }

    static func number(_ value: JSONValue?, _ name: String, in range: ClosedRange<Double>) throws(GatewayError)
        -> Double?
    {
        let number: Double
        switch value {
        case nil, .null?: return nil
        case .integer(let integer)?: number = Double(integer)
        case .number(let double)?: number = double
        case let other?: throw .invalid("'\(name)' must be a number, got \(other.shortDescription)", param: name)
        }
        guard range.contains(number) else {
            throw .invalid(
                "'\(name)' must be between \(range.lowerBound) and \(range.upperBound), got \(number)", param: name)
        }
        return number
    }

    static func integer(_ value: JSONValue?, _ name: String) throws(GatewayError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .integer(let integer)?:
            guard integer >= 1 else { throw .invalid("'\(name)' must be at least 1, got \(integer)", param: name) }
            return integer
        case let other?: throw .invalid("'\(name)' must be an integer, got \(other.shortDescription)", param: name)
        }
    }

    static func bool(_ value: JSONValue?, _ name: String) throws(GatewayError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw .invalid("'\(name)' must be a boolean, got \(other.shortDescription)", param: name)
        }
    }

    static func stopList(_ value: JSONValue?) throws(GatewayError) -> [String]? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return [text]
        case .array(let values)?:
            guard values.count <= 4 else { throw .invalid("'stop' may hold at most 4 sequences", param: "stop") }
            var stops: [String] = []
            for (index, value) in values.enumerated() {
                guard case .string(let text) = value else {
                    throw .invalid(
                        "'stop[\(index)]' must be a string, got \(value.shortDescription)", param: "stop[\(index)]")
                }
                stops.append(text)
            }
            return stops
        case let other?:
            throw .invalid(
                "'stop' must be a string or an array of strings, got \(other.shortDescription)", param: "stop")
        }
    }

    static func toolChoice(_ value: JSONValue?) throws(GatewayError) -> JSONValue? {
        switch value {
        case nil, .null?: return nil
        case .string(let mode)? where ["auto", "none", "required"].contains(mode): return value
        case .object(let fields)? where fields["type"] == .string("function"):
            guard case .object(let function)? = fields["function"], case .string(let name)? = function["name"],
                !name.isEmpty
            else {
                throw .invalid("'tool_choice.function.name' must be a non-empty string", param: "tool_choice")
            }
            return value
        case let other?:
            throw .invalid(
                "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", ...}, got "
                    + other.shortDescription,
                param: "tool_choice")
        }
    }

    /// Each element of the array at `name` decoded as `T`, the error naming `name[i].field`.
    static func decodeList<T: Decodable>(_ value: JSONValue?, _ name: String, as type: T.Type)
        throws(GatewayError) -> [T]?
    {
        switch value {
        case nil, .null?: return nil
        case .array(let elements)?:
            var decoded: [T] = []
            decoded.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                do {
                    let data = try JSONEncoder().encode(element)
                    decoded.append(try JSONDecoder().decode(T.self, from: data))
                } catch let error as SignalDecodingError {
                    let path = error.path.isEmpty ? "" : ".\(error.path)"
                    throw .invalid(
                        "'\(name)[\(index)]\(path)': \(Self.detail(error))", param: "\(name)[\(index)]\(path)")
                } catch let error as DecodingError {
                    let (path, detail) = Self.describe(error)
                    let field = "\(name)[\(index)]" + (path.isEmpty ? "" : ".\(path)")
                    throw .invalid("'\(field)': \(detail)", param: field)
                } catch {
                    throw .invalid("'\(name)[\(index)]': \(error)", param: "\(name)[\(index)]")
                }
            }
            return decoded
        case let other?:
            throw .invalid("'\(name)' must be an array, got \(other.shortDescription)", param: name)
        }
    }

    /// A decoding error's message without its path (the caller writes the whole path).
    static func detail(_ error: SignalDecodingError) -> String {
        let prefix = "\(error.path): "
        return error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
    }

    /// The path (`content[0].type`) and what is wrong.
    static func describe(_ error: DecodingError) -> (path: String, detail: String) {
        func render(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = render(context.codingPath)
            return (parent.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)", "is required")
        case .typeMismatch(let type, let context):
            return (render(context.codingPath), "expected \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            return (render(context.codingPath), "expected \(Self.typeName(type)), got null")
        case .dataCorrupted(let context):
            return (render(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }

    static func reason(_ error: any Error) -> String {
        if let decoding = error as? DecodingError, case .dataCorrupted(let context) = decoding {
            return (context.underlyingError.map { "\($0)" } ?? context.debugDescription)
        }
        return "\(error)"
    }
}
