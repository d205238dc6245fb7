import MithaiEngine

typealias Bytes = UnsafeBufferPointer<UInt8>

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes as a String (for error messages and names).
    var string: String { String(decoding: self, as: UTF8.self) }

    /// A sub-range.
    @inline(__always) func slice(_ from: Int, _ to: Int) -> Bytes {
        Bytes(start: baseAddress.map { $0 + from }, count: to - from)
    }

    /// Equal to an ASCII literal.
    @inline(__always) func equals(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for i in 0..<count where self[i] != p[i] { return false }
        return true
    }

    /// Without surrounding ASCII spaces and tabs.
    func trimmed() -> Bytes {
        var a = 0
        var b = count
        while a < b && (self[a] == 32 || self[a] == 9) { a += 1 }
        while b > a && (self[b - 1] == 32 || self[b - 1] == 9) { b -= 1 }
        return slice(a, b)
    }

    /// Without one pair of surrounding double quotes.
    func unquoted() -> Bytes {
        count >= 2 && self[0] == 34 && self[count - 1] == 34 ? slice(1, count - 1) : self
    }
}

/// Parses a decimal integer (optional sign); nil on anything else or overflow.
@inline(__always)
func parseInt64(_ b: Bytes) -> Int64? {
    var i = 0
    let n = b.count
    guard n > 0 else { return nil }
    var negative = false
    if b[0] == 45 { negative = true; i = 1 } else if b[0] == 43 { i = 1 }
    guard i < n else { return nil }
    var v: Int64 = 0
    while i < n {
        let d = b[i] &- 48
        guard d < 10 else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int64(d))
        if o1 || o2 { return nil }
        v = s
        i += 1
    }
    return negative ? -v : v
}

/// Splits a line into fields by a one-byte delimiter, reusing its storage between lines.
/// Fields may be double-quoted (quotes removed, delimiters inside quotes kept; `""` inside a
/// quoted field is not unescaped — none of the supported formats use it).
struct FieldSplitter {
    private(set) var starts: ContiguousArray<Int32> = []
    private(set) var ends: ContiguousArray<Int32> = []
    private var line = Bytes(start: nil, count: 0)
    let delimiter: UInt8

    init(delimiter: UInt8 = 44) { self.delimiter = delimiter }

    var count: Int { starts.count }

    mutating func split(_ line: Bytes) {
        self.line = line
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var i = 0
        let n = line.count
        while true {
            if i < n && line[i] == 34 {  // quoted
                let s = i + 1
                var j = s
                while j < n && line[j] != 34 { j += 1 }
                starts.append(Int32(s))
                ends.append(Int32(j))
                i = j + 1
                while i < n && line[i] != delimiter { i += 1 }
            } else {
                let s = i
                while i < n && line[i] != delimiter { i += 1 }
                starts.append(Int32(s))
                ends.append(Int32(i))
            }
            if i >= n { break }
            i += 1  // skip the delimiter
            if i == n { starts.append(Int32(n)); ends.append(Int32(n)); break }  // trailing empty field
        }
    }

    @inline(__always) subscript(_ k: Int) -> Bytes {
        line.slice(Int(starts[k]), Int(ends[k]))
    }
}

/// Converts exact decimals to integer units of a step (ticks or lots), without rounding.
struct StepScaler {
    let step: ExactDecimal
    private let unitMantissa: Bool

    init(_ step: ExactDecimal) {
        self.step = step
        unitMantissa = step.mantissa == 1
    }

    /// `value / step` when it is a whole number, else nil.
    @inline(__always)
    func units(_ value: ExactDecimal) -> Int64? {
        if unitMantissa {
            let diff = Int(step.scale) - Int(value.scale)
            if diff >= 0 {
                let (m, o) = value.mantissa.multipliedReportingOverflow(by: ExactDecimal.powerOfTen(diff))
                return o ? nil : m
            }
            let p = ExactDecimal.powerOfTen(-diff)
            return value.mantissa % p == 0 ? value.mantissa / p : nil
        }
        return value.multiple(of: step)
    }
}

/// Infers a decimal step (10^-k) from sample values: the finest precision seen, either as
/// written (files that print every value with the step's decimals) or normalised (feeds that
/// pad with zeros, e.g. Binance's "61800.20" for a 0.1 tick).
struct StepInference {
    private(set) var maxScale: Int8 = -1
    private(set) var samples = 0
    var normalize = true

    init(normalize: Bool = true) { self.normalize = normalize }

    mutating func observe(_ value: ExactDecimal) {
        let n = normalize ? value.normalized() : value
        if (n.mantissa != 0 || !normalize) && n.scale > maxScale { maxScale = n.scale }
        samples += 1
    }

    /// The inferred step, or nil when no non-zero value was seen.
    var step: ExactDecimal? {
        maxScale < 0 ? nil : ExactDecimal(mantissa: 1, scale: maxScale)
    }
}

/// A small zero-copy JSON scanner for the known message shapes of exchange feeds: walks an
/// object's keys, returns raw string contents (escapes are not decoded: the fields read never
/// contain any) and skips values it is not asked about.
struct JSONCursor {
    let bytes: Bytes
    var i: Int

    init(_ bytes: Bytes, at i: Int = 0) {
        self.bytes = bytes
        self.i = i
    }

    @inline(__always) mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 10 || c == 13 { i += 1 } else { return }
        }
    }

    @inline(__always) mutating func peek() -> UInt8? {
        skipSpace()
        return i < bytes.count ? bytes[i] : nil
    }

    @inline(__always) mutating func consume(_ c: UInt8) -> Bool {
        skipSpace()
        if i < bytes.count && bytes[i] == c { i += 1; return true }
        return false
    }

    /// A string's raw contents (without quotes).
    mutating func string() -> Bytes? {
        guard consume(34) else { return nil }
        let s = i
        while i < bytes.count {
            let c = bytes[i]
            if c == 92 { i += 2; continue }
            if c == 34 { i += 1; return bytes.slice(s, i - 1) }
            i += 1
        }
        return nil
    }

    /// A scalar (number, true, false, null) as raw bytes, or a string's contents.
    mutating func scalar() -> Bytes? {
        skipSpace()
        guard i < bytes.count else { return nil }
        if bytes[i] == 34 { return string() }
        let s = i
        while i < bytes.count {
            let c = bytes[i]
            if c == 44 || c == 125 || c == 93 || c == 32 || c == 10 || c == 13 || c == 9 { break }
            i += 1
        }
        return i > s ? bytes.slice(s, i) : nil
    }

    /// Skips one value of any kind.
    mutating func skipValue() -> Bool {
        skipSpace()
        guard i < bytes.count else { return false }
        let c = bytes[i]
        if c == 34 { return string() != nil }
        if c == 123 || c == 91 {
            var depth = 0
            while i < bytes.count {
                let d = bytes[i]
                if d == 34 { if string() == nil { return false }; continue }
                if d == 123 || d == 91 { depth += 1 } else if d == 125 || d == 93 {
                    depth -= 1
                    if depth == 0 { i += 1; return true }
                }
                i += 1
            }
            return false
        }
        return scalar() != nil
    }

    /// Iterates an object's members: `body(key, &cursor)` must consume the value (or return
    /// false to have it skipped). Returns false on malformed input.
    mutating func object(_ body: (Bytes, inout JSONCursor) -> Bool) -> Bool {
        guard consume(123) else { return false }
        if consume(125) { return true }
        while true {
            guard let key = string(), consume(58) else { return false }
            let before = i
            if !body(key, &self) {
                i = before
                if !skipValue() { return false }
            }
            if consume(44) { continue }
            return consume(125)
        }
    }

    /// Iterates an array's elements: `body(&cursor)` must consume each element.
    mutating func array(_ body: (inout JSONCursor) -> Bool) -> Bool {
        guard consume(91) else { return false }
        if consume(93) { return true }
        while true {
            if !body(&self) { return false }
            if consume(44) { continue }
            return consume(93)
        }
    }
}
