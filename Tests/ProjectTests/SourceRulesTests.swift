import Foundation
import Testing

/// House rules checked on the sources themselves.
@Suite("source rules")
struct SourceRulesTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    /// Every Swift file below `folder` (relative to the repository), with its lines.
    static func swiftFiles(in folder: String) throws -> [(path: String, lines: [Substring])] {
        let base = root.appendingPathComponent(folder)
        let names = try #require(FileManager.default.enumerator(atPath: base.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        return try names.sorted().map { name in
            let text = try String(contentsOf: base.appendingPathComponent(name), encoding: .utf8)
            return ("\(folder)/\(name)", text.split(separator: "\n", omittingEmptySubsequences: false))
        }
    }

    /// A log line's metadata keys come from `LogKey` (Sources/Common/LogKey.swift): no
    /// `metadata: ["key": …]` with a string literal key, on one line or spread over several.
    @Test("log metadata keys are LogKey's, never string literals")
    func logKeys() throws {
        let files = try Self.swiftFiles(in: "Sources")
        #expect(files.count > 50, "Sources/ was not scanned: \(files.count) files")
        var found: [String] = []
        for file in files {
            var inMetadata = false
            for (number, line) in file.lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                if line.contains(#"metadata: [""#) { found.append("\(file.path):\(number + 1): \(code)") }
                if inMetadata {
                    if code.hasPrefix("]") {
                        inMetadata = false
                        continue
                    }
                    if code.hasPrefix("\""), code.contains("\":") {
                        found.append("\(file.path):\(number + 1): \(code)")
                    }
                } else if line.hasSuffix("metadata: [") {
                    inMetadata = true
                }
            }
        }
        #expect(found.isEmpty, "metadata keys spelled outside LogKey:\n\(found.joined(separator: "\n"))")
    }

    /// No line of Swift longer than 120 columns (characters), in Sources/, Tests/ and Package.swift;
    /// `swift format` (`.swift-format`) breaks code, string literals are split by hand.
    @Test("every Swift line fits in 120 columns")
    func lineLength() throws {
        var files = try Self.swiftFiles(in: "Sources") + Self.swiftFiles(in: "Tests")
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        files.append(("Package.swift", manifest.split(separator: "\n", omittingEmptySubsequences: false)))
        #expect(files.count > 100, "the sources were not scanned: \(files.count) files")
        var long: [String] = []
        for file in files {
            for (number, line) in file.lines.enumerated() where line.count > 120 {
                long.append("\(file.path):\(number + 1): \(line.count) columns")
            }
        }
        #expect(long.isEmpty, "lines over 120 columns:\n\(long.joined(separator: "\n"))")
    }
}
