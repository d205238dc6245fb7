/// A piece of source text with a name (file path, `<stdin>`, `<command line>`) and the line
/// number of its first line in that origin. Ranges index the text's UTF-8 bytes.
public struct Source: Sendable, Equatable {
    public let text: String
    public let name: String
    /// Line number (1-based) of the text's first line within `name`.
    public let firstLine: Int
    /// UTF-8 bytes of `text`; lexer and diagnostics work on these.
    public let bytes: [UInt8]

    public init(_ text: String, name: String = "<input>", firstLine: Int = 1) {
        self.text = text
        self.name = name
        self.firstLine = firstLine
        self.bytes = Array(text.utf8)
    }

    /// The text covered by a range.
    public func slice(_ range: SourceRange) -> String {
        let lo = max(0, min(range.lower, bytes.count)), hi = max(lo, min(range.upper, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }

    /// 0-based line index and the byte range of that line, for a byte offset.
    public func line(containing offset: Int) -> (index: Int, start: Int, end: Int) {
        var index = 0, start = 0
        var i = 0
        let limit = min(offset, bytes.count)
        while i < limit {
            if bytes[i] == 10 { index += 1; start = i + 1 }
            i += 1
        }
        var end = start
        while end < bytes.count && bytes[end] != 10 { end += 1 }
        return (index, start, end)
    }
}

/// A half-open range of UTF-8 byte offsets into a `Source`.
public struct SourceRange: Sendable, Hashable, CustomStringConvertible {
    public var lower: Int
    public var upper: Int
    public init(_ lower: Int, _ upper: Int) { self.lower = lower; self.upper = max(lower, upper) }
    public static let empty = SourceRange(0, 0)
    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(Swift.min(lower, other.lower), Swift.max(upper, other.upper))
    }
    public var isEmpty: Bool { lower == upper }
    public var description: String { "\(lower)..<\(upper)" }
}
