/// Turns source text into tokens. Never throws: problems become diagnostics, and
/// `isIncomplete` says the text ended inside a construct (an open string or a trailing `\`),
/// so an interactive shell can ask for the next line instead of reporting an error.
///
/// Market literals are recognised here: `09:30`, `10:31:05.250`, `2024-08-08`,
/// `2024-08-08T09:30:00`, `250us`, `1m`, `2.5bp`, `10x`, `2%`, `1_000_000`, and file paths
/// (`Datasets/x.gz`, `./a`, `~/b`, `c.csv`).
public struct Lexer {
    public private(set) var tokens: [Token] = []
    public private(set) var diagnostics: [Diagnostic] = []
    public private(set) var isIncomplete = false

    private let bytes: [UInt8]
    private var i = 0
    private var sawSpace = true
    private var atStatementStart = true

    /// File extensions that make a bare word without a slash a path (`load trades.csv`).
    public static let pathExtensions: Set<String> = [
        "csv", "gz", "zip", "npz", "npy", "txt", "mithai", "md", "html", "png", "svg", "pdf",
        "json", "jsonl", "tex", "db", "sqlite", "parquet", "bin", "dat", "tsv", "log", "zst", "bz2", "xz",
    ]

    public init(_ source: Source) {
        bytes = source.bytes
        run()
    }

    public static func tokenize(_ source: Source) -> Lexer { Lexer(source) }

    /// A path that starts with `/`, `.` or `~` needs a separator before it (`a/b` divides).
    private var pathMayStart: Bool {
        sawSpace || [.assign, .leftParen, .comma, .leftBracket].contains(tokens.last?.kind ?? .newline)
    }

    private func peek(_ k: Int = 0) -> UInt8 { i + k < bytes.count ? bytes[i + k] : 0 }

    private mutating func emit(_ kind: TokenKind, from start: Int) {
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        tokens.append(Token(kind, text, SourceRange(start, i), spaceBefore: sawSpace))
        sawSpace = false
        atStatementStart = kind == .semicolon || kind == .newline
    }

    private mutating func run() {
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case 32, 9, 13:
                i += 1; sawSpace = true
            case 10:
                let start = i; i += 1
                emit(.newline, from: start); sawSpace = true
            case UInt8(ascii: "#"):
                while i < bytes.count && bytes[i] != 10 { i += 1 }
                sawSpace = true
            case UInt8(ascii: "\\"):
                // A backslash before the end of a line joins the next line.
                var j = i + 1
                while j < bytes.count && (bytes[j] == 32 || bytes[j] == 9 || bytes[j] == 13) { j += 1 }
                if j >= bytes.count { isIncomplete = true; i = j; break }
                if bytes[j] == 10 { i = j + 1; sawSpace = true; break }
                diagnostics.append(Diagnostic("a '\\' continues a line only at its end", at: SourceRange(i, i + 1)))
                i += 1
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                lexString(quote: c)
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !lexPath() { lexNumberLike() }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                if !lexPath() { lexIdentifier() }
            case UInt8(ascii: "."):
                // `.save` at the start of a statement, or as a word after white space (`help .save`);
                // member access (`r1.sharpe`) has no space before the dot.
                if (atStatementStart || sawSpace) && isLetter(peek(1)) {
                    let start = i; i += 1
                    let statementStart = atStatementStart
                    while i < bytes.count && isIdentifierByte(bytes[i]) { i += 1 }
                    emit(.dotCommand, from: start)
                    // A dot-command takes plain words (quotes group) up to the end of the line,
                    // an unquoted ';' or a comment; they are not tokens of the language.
                    if statementStart { skipDotCommandWords() }
                } else if !(pathMayStart && lexPath()) {
                    let start = i
                    if peek(1) == UInt8(ascii: ".") { i += 2; emit(.dotDot, from: start) } else { i += 1; emit(.dot, from: start) }
                }
            case UInt8(ascii: "/"), UInt8(ascii: "~"):
                // `px/qty` divides; `/data/x.csv` after white space, `=`, `(` or `,` is a path.
                if !(pathMayStart && lexPath()) {
                    let start = i; i += 1
                    if c == UInt8(ascii: "/") { emit(.slash, from: start) } else {
                        diagnostics.append(Diagnostic("unexpected character '~'", at: SourceRange(start, i)))
                    }
                }
            default:
                lexOperator()
            }
        }
        tokens.append(Token(.eof, "", SourceRange(bytes.count, bytes.count), spaceBefore: true))
    }

    private mutating func skipDotCommandWords() {
        var quote: UInt8 = 0
        var previous: UInt8 = 32
        while i < bytes.count && bytes[i] != 10 {
            let b = bytes[i]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || (b == UInt8(ascii: "'") && (previous == 32 || previous == 9)) {
                quote = b
            } else if b == UInt8(ascii: ";") || (b == UInt8(ascii: "#") && (previous == 32 || previous == 9)) {
                break
            }
            previous = b
            i += 1
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: "#") {
            while i < bytes.count && bytes[i] != 10 { i += 1 }
        }
        sawSpace = true
    }

    private mutating func lexOperator() {
        let start = i
        let c = bytes[i], n = peek(1)
        func two(_ a: Character, _ b: Character) -> Bool { c == UInt8(ascii: a.unicodeScalars.first!) && n == UInt8(ascii: b.unicodeScalars.first!) }
        let kind: TokenKind?
        if two("=", "=") { kind = .equalEqual; i += 2 }
        else if two("!", "=") || two("<", ">") { kind = .notEqual; i += 2 }
        else if two("<", "=") { kind = .lessEqual; i += 2 }
        else if two(">", "=") { kind = .greaterEqual; i += 2 }
        else if two("&", "&") { kind = .andAnd; i += 2 }
        else if two("|", "|") { kind = .orOr; i += 2 }
        else {
            i += 1
            switch c {
            case UInt8(ascii: "|"): kind = .pipe
            case UInt8(ascii: ";"): kind = .semicolon
            case UInt8(ascii: ","): kind = .comma
            case UInt8(ascii: ":"): kind = .colon
            case UInt8(ascii: "("): kind = .leftParen
            case UInt8(ascii: ")"): kind = .rightParen
            case UInt8(ascii: "["): kind = .leftBracket
            case UInt8(ascii: "]"): kind = .rightBracket
            case UInt8(ascii: "="): kind = .assign
            case UInt8(ascii: "<"): kind = .less
            case UInt8(ascii: ">"): kind = .greater
            case UInt8(ascii: "+"): kind = .plus
            case UInt8(ascii: "-"): kind = .minus
            case UInt8(ascii: "*"): kind = .star
            case UInt8(ascii: "%"): kind = .modulo
            case UInt8(ascii: "@"): kind = .at
            case UInt8(ascii: "!"): kind = .bang
            default: kind = nil
            }
        }
        if let kind { emit(kind, from: start); return }
        // Skip the whole UTF-8 sequence of an unexpected character.
        while i < bytes.count && bytes[i] & 0xC0 == 0x80 { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        diagnostics.append(Diagnostic("unexpected character '\(text)'", at: SourceRange(start, i)))
        sawSpace = true
    }

    private mutating func lexString(quote: UInt8) {
        let start = i
        i += 1
        while i < bytes.count && bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count { i += 2 } else { i += 1 }
        }
        if i >= bytes.count {
            isIncomplete = true
            diagnostics.append(Diagnostic("unterminated string", at: SourceRange(start, i)))
            emit(.string, from: start)
            return
        }
        i += 1
        emit(.string, from: start)
    }

    private mutating func lexIdentifier() {
        let start = i
        while i < bytes.count && isIdentifierByte(bytes[i]) { i += 1 }
        emit(.identifier, from: start)
    }

    /// Digits first: a date, timestamp, time, or a number with an optional unit suffix.
    private mutating func lexNumberLike() {
        let start = i
        if !sawSpace, i >= 2, bytes[i - 1] == UInt8(ascii: "-") || bytes[i - 1] == UInt8(ascii: ":"),
           isIdentifierByte(bytes[i - 2]) {
            var q = i
            while q < bytes.count && isIdentifierByte(bytes[q]) { q += 1 }
            if bytes[i..<q].contains(where: isLetter) {
                i = q
                emit(.identifier, from: start)
                return
            }
        }
        if let end = matchDate(at: i) {
            i = end
            if peek() == UInt8(ascii: "T"), let tEnd = matchTime(at: i + 1, zoneMayFollow: true) {
                i = tEnd
                lexZoneSuffix()
                emit(.timestamp, from: start)
            } else {
                emit(.date, from: start)
            }
            return
        }
        if let end = matchTime(at: i) {
            i = end
            emit(.time, from: start)
            return
        }
        while isDigit(peek()) || (peek() == UInt8(ascii: "_") && isDigit(peek(1))) { i += 1 }
        if peek() == UInt8(ascii: ".") && isDigit(peek(1)) {
            i += 1
            while isDigit(peek()) || (peek() == UInt8(ascii: "_") && isDigit(peek(1))) { i += 1 }
        }
        // IPv4 addresses such as `127.0.0.1` (`serve host=...`) are one word.
        if peek() == UInt8(ascii: "."), isDigit(peek(1)), bytes[start..<i].contains(UInt8(ascii: ".")) {
            while isDigit(peek()) || (peek() == UInt8(ascii: ".") && isDigit(peek(1))) { i += 1 }
            emit(.identifier, from: start)
            return
        }
        if (peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E")),
           isDigit(peek(1)) || ((peek(1) == UInt8(ascii: "-") || peek(1) == UInt8(ascii: "+")) && isDigit(peek(2))) {
            i += 2
            while isDigit(peek()) { i += 1 }
        }
        if peek() == UInt8(ascii: "%") { i += 1; emit(.percent, from: start); return }
        // Dimensions such as `1200x700` are one word.
        if peek() == UInt8(ascii: "x"), isDigit(peek(1)) {
            i += 1
            while isDigit(peek()) { i += 1 }
            emit(.identifier, from: start)
            return
        }
        let unitStart = i
        while isLetter(peek()) || peek() == 0xC2 || peek() == 0xB5 { i += 1 }
        let unit = String(decoding: bytes[unitStart..<i], as: UTF8.self)
        switch unit {
        case "": emit(.number, from: start)
        case "ns", "us", "µs", "ms", "s", "m", "min", "h", "d": emit(.duration, from: start)
        case "bp", "bps": emit(.basisPoints, from: start)
        case "x": emit(.speed, from: start)
        default:
            diagnostics.append(Diagnostic(
                "unknown unit '\(unit)' after a number",
                at: SourceRange(unitStart, i),
                suggestions: Suggest.names(for: unit, among: ["ns", "us", "ms", "s", "m", "h", "d", "bp", "x"]),
                notes: ["units: ns us ms s m h d (durations), bp (basis points), x (speed), % (percent)"]))
            tokens.append(Token(.number, String(decoding: bytes[start..<unitStart], as: UTF8.self),
                                SourceRange(start, i), spaceBefore: sawSpace))
            sawSpace = false
            atStatementStart = false
        }
    }

    private mutating func lexZoneSuffix() {
        if peek() == UInt8(ascii: "Z") { i += 1; return }
        if (peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-")), isDigit(peek(1)), isDigit(peek(2)),
           peek(3) == UInt8(ascii: ":"), isDigit(peek(4)), isDigit(peek(5)) {
            i += 6
        }
    }

    /// `YYYY-MM-DD` starting at `p`; returns the end offset.
    private func matchDate(at p: Int) -> Int? {
        func d(_ k: Int) -> Bool { p + k < bytes.count && isDigit(bytes[p + k]) }
        func ch(_ k: Int, _ c: Character) -> Bool { p + k < bytes.count && bytes[p + k] == UInt8(ascii: c.unicodeScalars.first!) }
        guard d(0), d(1), d(2), d(3), ch(4, "-"), d(5), d(6), ch(7, "-"), d(8), d(9) else { return nil }
        if d(10) { return nil }
        return p + 10
    }

    /// `H:MM`, `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff...` starting at `p`.
    private func matchTime(at p: Int, zoneMayFollow: Bool = false) -> Int? {
        var q = p
        guard q < bytes.count, isDigit(bytes[q]) else { return nil }
        q += 1
        if q < bytes.count && isDigit(bytes[q]) { q += 1 }
        guard q + 2 < bytes.count, bytes[q] == UInt8(ascii: ":"), isDigit(bytes[q + 1]), isDigit(bytes[q + 2]) else { return nil }
        q += 3
        if q + 2 < bytes.count, bytes[q] == UInt8(ascii: ":"), isDigit(bytes[q + 1]), isDigit(bytes[q + 2]) {
            q += 3
            if q + 1 < bytes.count, bytes[q] == UInt8(ascii: "."), isDigit(bytes[q + 1]) {
                q += 1
                while q < bytes.count && isDigit(bytes[q]) { q += 1 }
            }
        }
        if q < bytes.count && isIdentifierByte(bytes[q]) && !(zoneMayFollow && bytes[q] == UInt8(ascii: "Z")) { return nil }
        return q
    }

    /// A file path at `i`: starts with `/x`, `./`, `../`, `~/`; or a word with a slash whose last
    /// component has an extension or that ends in a slash; or a word ending in a known extension.
    private mutating func lexPath() -> Bool {
        var q = i
        while q < bytes.count && isPathByte(bytes[q]) { q += 1 }
        guard q > i else { return false }
        let word = String(decoding: bytes[i..<q], as: UTF8.self)
        guard Lexer.looksLikePath(word) else { return false }
        let start = i
        i = q
        emit(.path, from: start)
        return true
    }

    /// Whether a bare word should be read as a file path.
    public static func looksLikePath(_ word: String) -> Bool {
        let hasSlash = word.contains("/")
        if word.hasPrefix("./") || word.hasPrefix("../") || word.hasPrefix("~/") || word == "~" || word == "." || word == ".." && false {
            return true
        }
        if word.hasPrefix("/") {
            guard let second = word.utf8.dropFirst().first else { return false }
            return second == UInt8(ascii: ".") || second == UInt8(ascii: "_") || (second | 0x20 >= UInt8(ascii: "a") && second | 0x20 <= UInt8(ascii: "z"))
        }
        if word.hasPrefix(".") || word.hasPrefix("+") || word.hasPrefix("-") { return false }
        let last = word.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if hasSlash && word.hasSuffix("/") { return true }
        guard let dot = last.lastIndex(of: ".") else { return false }
        let ext = last[last.index(after: dot)...]
        guard !ext.isEmpty, !last[..<dot].isEmpty else { return false }
        if hasSlash { return ext.allSatisfy { $0.isLetter || $0.isNumber } && ext.contains(where: \.isLetter) }
        return pathExtensions.contains(ext.lowercased())
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
@inline(__always) func isIdentifierByte(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) || c == 95 }
@inline(__always) func isPathByte(_ c: UInt8) -> Bool {
    isIdentifierByte(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "/") || c == UInt8(ascii: "-")
        || c == UInt8(ascii: "~") || c == UInt8(ascii: "+") || c >= 0x80
}
