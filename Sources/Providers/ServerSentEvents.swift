/// An incremental parser of `text/event-stream` (WHATWG server-sent events): feed it bytes as they
/// arrive, take complete events out. Only `event` and `data` fields matter here; comments and
/// other fields are skipped.
struct ServerSentEvents {
    struct Event: Equatable {
        var event: String?
        var data: String
    }

    private var buffer: [UInt8] = []
    private var event: String?
    private var data: [String] = []

    /// Adds `bytes` and returns the events they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        var lineStart = 0
        var index = 0
        while index < buffer.count {
            let byte = buffer[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                index += 1
                continue
            }
            // "\r\n" is one line end; a lone "\r" at the end of the buffer may be half of one.
            if byte == UInt8(ascii: "\r") {
                if index + 1 == buffer.count { break }
                let line = String(decoding: buffer[lineStart..<index], as: UTF8.self)
                index += buffer[index + 1] == UInt8(ascii: "\n") ? 2 : 1
                lineStart = index
                if let complete = take(line) { events.append(complete) }
                continue
            }
            let line = String(decoding: buffer[lineStart..<index], as: UTF8.self)
            index += 1
            lineStart = index
            if let complete = take(line) { events.append(complete) }
        }
        buffer.removeFirst(lineStart)
        return events
    }

    private mutating func take(_ line: String) -> Event? {
        if line.isEmpty {
            defer {
                event = nil
                data = []
            }
            return data.isEmpty && event == nil ? nil : Event(event: event, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
