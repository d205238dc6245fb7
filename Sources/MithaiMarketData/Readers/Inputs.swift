public import MithaiEngine

/// What the caller knows about the data; anything nil is taken from the file or inferred.
public struct ReadOptions: Sendable, Hashable {
    /// Symbol to keep (files with several symbols) or to name the instrument.
    public var symbol: String?
    /// IANA time zone for local wall-clock times in the file (e.g. `Asia/Kolkata`).
    public var timeZone: String?
    /// Tick size; inferred from the data's decimals when nil.
    public var tick: ExactDecimal?
    /// Lot size; inferred from the data's decimals when nil.
    public var lot: ExactDecimal?
    /// Tick CSV and bar files only: skip rows that cannot be read (wrong column count, bad
    /// number or time) instead of failing; the count and first line numbers go to the notes.
    /// Every other reader is always strict.
    public var skipMalformedRows: Bool

    public init(symbol: String? = nil, timeZone: String? = nil, tick: ExactDecimal? = nil, lot: ExactDecimal? = nil,
                skipMalformedRows: Bool = false)
    {
        self.symbol = symbol
        self.timeZone = timeZone
        self.tick = tick
        self.lot = lot
        self.skipMalformedRows = skipMalformedRows
    }
}

/// Kinds of compression recognised by their magic bytes.
enum Compression {
    case none, gzip, zip

    static func detect(_ head: [UInt8]) -> Compression {
        if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return .gzip }
        if ZipArchive.looksLikeZip(head) { return .zip }
        return .none
    }
}

/// Opens `file` as a text stream: gzip is inflated, a zip's single (or first matching) member is
/// opened, anything else is read as is. Returns the stream and the name for error messages.
func openText(_ file: InputFile, member predicate: ((String) -> Bool)? = nil) throws -> (any ByteStream, String) {
    let head = try file.head(4)
    switch Compression.detect(head) {
    case .gzip:
        return (try InflateStream(FileRangeStream(file), name: file.path, format: .gzip), file.path)
    case .zip:
        let archive = try ZipArchive(file)
        let candidates = archive.members.filter { !$0.name.hasSuffix("/") && (predicate?($0.name) ?? true) }
        guard let member = candidates.first else {
            throw DataError(file: file.path, "zip archive holds no suitable member (members: \(archive.members.map(\.name).joined(separator: ", ")))")
        }
        return (try archive.open(member), "\(file.path)/\(member.name)")
    case .none:
        return (FileRangeStream(file), file.path)
    }
}

/// The fraction of `stream`'s underlying file consumed.
func fraction(_ p: (done: Int64, total: Int64)) -> Double {
    p.total > 0 ? Double(p.done) / Double(p.total) : 0
}

/// Parses a decimal or throws a located error.
@inline(__always)
func decimal(_ b: Bytes, _ what: @autoclosure () -> String, _ lines: LineReader) throws -> ExactDecimal {
    guard let d = ExactDecimal.parse(b) else { throw lines.error("\(what()) '\(b.string)' is not a decimal number") }
    return d
}

/// Converts a decimal to ticks or lots or throws a located error naming the step and its origin.
@inline(__always)
func units(_ d: ExactDecimal, _ scaler: StepScaler, _ what: @autoclosure () -> String, inferred: Bool,
           _ lines: LineReader) throws -> Int64
{
    guard let u = scaler.units(d) else {
        let hint = inferred ? " (the step was inferred from the first lines: pass it explicitly)" : ""
        throw lines.error("\(what()) \(d) is not a whole multiple of \(scaler.step)\(hint)")
    }
    return u
}

/// Counts rows skipped under `ReadOptions.skipMalformedRows` and remembers the first few.
struct SkippedRows {
    private(set) var count = 0
    private(set) var first: [String] = []

    mutating func record(_ error: DataError) {
        count += 1
        if first.count < 5 { first.append("line \(error.line): \(error.message)") }
    }

    var note: String? {
        count == 0 ? nil : "\(count) malformed row(s) skipped (\(first.joined(separator: "; "))\(count > first.count ? "; …" : ""))"
    }
}
