import Foundation
public import MithaiLanguage

/// Saved sessions: plain scripts where each statement is followed by a `#=` comment holding
/// its result's summary and digest, so a script checks itself when replayed with `--verify`.
///
///     load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn
///     #= dataset amzn: 57,515 events ... [sha256:3f9a0c1d2e4b5a69]
public enum ScriptFile {
    /// A recorded result: the summary for people and the digest prefix to compare.
    public struct Expectation: Sendable, Equatable {
        public var summary: String
        public var digest: String
    }

    /// Expectations by statement index, from the `#=` lines after each statement.
    public static func expectations(in source: Source, statements: [Statement]) -> [Int: Expectation] {
        var out: [Int: Expectation] = [:]
        var offset = 0
        let bytes = source.bytes
        var starts = statements.map(\.range.lower)
        starts.append(Int.max)
        var statementIndex = -1
        while offset < bytes.count {
            var end = offset
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            while statementIndex + 1 < statements.count && starts[statementIndex + 1] < end { statementIndex += 1 }
            let line = String(decoding: bytes[offset..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#="), statementIndex >= 0, statements[statementIndex].range.upper <= offset,
               let e = parse(annotation: line) {
                out[statementIndex] = e
            }
            offset = end + 1
        }
        return out
    }

    /// `#= SUMMARY [sha256:HEX]` -> expectation.
    static func parse(annotation line: String) -> Expectation? {
        guard let open = line.range(of: "[sha256:", options: .backwards), line.hasSuffix("]") else { return nil }
        let hex = line[open.upperBound..<line.index(before: line.endIndex)]
        guard hex.count >= 8, hex.allSatisfy(\.isHexDigit) else { return nil }
        let summary = line[line.index(line.startIndex, offsetBy: 2)..<open.lowerBound].trimmingCharacters(in: .whitespaces)
        return Expectation(summary: summary, digest: String(hex).lowercased())
    }

    /// The text of a saved session: successful statements (not dot-commands), each followed
    /// by its `#=` line.
    public static func render(_ records: [Session.Record], name: String, savedAt: String) -> String {
        let kept = records.filter { $0.ok && !$0.isDotCommand }
        var out = "# Mithai session '\(name)', saved \(savedAt), \(kept.count) statement\(kept.count == 1 ? "" : "s").\n"
        out += "# Replay and check every result: mithai Sessions/\(name).mithai --verify\n\n"
        for r in kept {
            out += r.text + "\n"
            let summary = r.summary.replacingOccurrences(of: "\n", with: " ")
            if let d = r.digest { out += "#= \(summary) [sha256:\(d)]\n" }
        }
        return out
    }
}
