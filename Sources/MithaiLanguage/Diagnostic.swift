/// A problem found in the user's text, tied to the exact span it is about.
/// Rendered once, as the offending line with a caret under the span:
///
///     mithai> select avg(pxx) by 1m from trades(btc)
///                        ^^^
///     error: unknown column 'pxx'; did you mean 'px'?
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    /// Names offered as "did you mean" (best first).
    public var suggestions: [String]
    /// Extra lines printed after the message (e.g. the valid choices).
    public var notes: [String]

    public init(_ message: String, at range: SourceRange, severity: Severity = .error,
                suggestions: [String] = [], notes: [String] = []) {
        self.message = message
        self.range = range
        self.severity = severity
        self.suggestions = suggestions
        self.notes = notes
    }

    public var description: String { "\(severity.rawValue): \(fullMessage)" }

    /// Message with the did-you-mean clause.
    public var fullMessage: String {
        guard !suggestions.isEmpty else { return message }
        let quoted = suggestions.prefix(3).map { "'\($0)'" }
        return message + "; did you mean " + quoted.joined(separator: " or ") + "?"
    }

    /// Renders the diagnostic under the source line it points at.
    /// - Parameters:
    ///   - prompt: the prompt the user saw before the line (so the caret lines up), or nil to
    ///     print a `name:line:column:` header instead (scripts and files).
    public func render(in source: Source, prompt: String? = nil) -> String {
        let (lineIndex, start, end) = source.line(containing: range.lower)
        let lineText = String(decoding: source.bytes[start..<end], as: UTF8.self)
        let column = displayWidth(source.bytes[start..<min(max(range.lower, start), end)])
        let spanEnd = min(max(range.upper, range.lower), end)
        let width = max(1, displayWidth(source.bytes[min(range.lower, end)..<max(min(range.lower, end), spanEnd)]))
        var out = ""
        let lead: String
        if let prompt {
            lead = String(repeating: " ", count: prompt.count)
            out += prompt + lineText + "\n"
        } else {
            let lineNumber = source.firstLine + lineIndex
            out += "\(source.name):\(lineNumber):\(column + 1): \(severity.rawValue): \(fullMessage)\n"
            lead = "    "
            out += lead + lineText + "\n"
        }
        out += lead + String(repeating: " ", count: column) + String(repeating: "^", count: width) + "\n"
        if prompt != nil { out += "\(severity.rawValue): \(fullMessage)\n" }
        for note in notes { out += "  " + note + "\n" }
        return out
    }
}

/// Columns a run of UTF-8 bytes takes on screen (one per scalar; tabs count as one).
func displayWidth(_ bytes: ArraySlice<UInt8>) -> Int {
    var n = 0
    for b in bytes where b & 0xC0 != 0x80 { n += 1 }
    return n
}

/// "Did you mean": the candidates closest to `name` by edit distance, best first.
public enum Suggest {
    public static func names(for name: String, among candidates: some Sequence<String>, limit: Int = 3) -> [String] {
        let target = Array(name.lowercased().unicodeScalars)
        var scored: [(Int, String)] = []
        for candidate in candidates {
            let c = Array(candidate.lowercased().unicodeScalars)
            let d = distance(target, c)
            let threshold = max(1, min(3, (max(target.count, c.count) + 2) / 3))
            let prefix = c.count > target.count && target.count >= 2 && c.starts(with: target)
            if d <= threshold || prefix { scored.append((prefix ? min(d, 1) : d, candidate)) }
        }
        scored.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var seen = Set<String>()
        return scored.compactMap { seen.insert($0.1).inserted ? $0.1 : nil }.prefix(limit).map { $0 }
    }

    /// Optimal string alignment distance (Levenshtein with transpositions).
    public static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                cur[j] = v
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
