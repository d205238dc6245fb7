import Foundation
import MithaiLanguage
import MithaiEngine
import MithaiMarketData

/// A file `export` wrote. Its digest covers the bytes written (exports hold no wall-clock
/// value, so the same session writes the same bytes), not the path.
final class ExportObject: WorkspaceObject {
    let kind = "export"
    let path: String
    let format: String
    let rows: Int
    let sha256: String

    init(path: String, format: String, rows: Int, sha256: String) {
        self.path = path
        self.format = format
        self.rows = rows
        self.sha256 = sha256
    }

    var summary: String { "export \(path): \(Renderer.grouped(rows)) rows, \(format)" }
    var display: String { "wrote \(path): \(Renderer.grouped(rows)) rows (\(format))" }
    var canonical: String { "\(format)|\(rows)|\(sha256)" }
}

/// `export`: tables, run parts, L2 logs and datasets to files for pandas, polars, DuckDB,
/// hftbacktest. Rows stream through `OutputFile` (MithaiMarketData owns file writing); the
/// whole file is never one string.
enum ExportCommand {
    static let runParts = ["fills", "orders", "equity", "stats", "markouts", "l2"]
    static let dataParts = ["trades", "quotes", "events", "bars", "l2"]

    static let spec = CommandSpec(
        "export", category: "tables",
        summary: "writes a table, a run's fills/orders/equity/stats, an L2 log or a dataset (.npz) to a file",
        parameters: [
            Parameter("what", .positional, .value, variadic: true,
                      "a table (or pipe one in), RUN PART (\(runParts.joined(separator: " "))), DATA PART (\(dataParts.joined(separator: " "))), or DATA for .npz"),
            Parameter("file", .keyword("to"), .path, required: true, "the file: .csv, .json, .jsonl, or .npz (hftbacktest events)"),
            Parameter("format", .option, .choice(["csv", "json", "jsonl", "npz"]), default: "from the file's extension", "the file's format"),
            Parameter("levels", .option, .integer, default: "5", "L2 log: price levels per side"),
            Parameter("every", .option, .duration, default: "every change", "L2 log: one snapshot per interval instead of one per change"),
        ],
        examples: ["export fills(r1) to out/fills.csv", "export fills r1 to out/fills.jsonl", "stats r1 r2 | export to out/stats.jsonl",
                   "export btc l2 to out/btc-l2.csv levels=10 every=1s", "export r1 equity to out/equity.json",
                   "export btc to out/btc.npz"],
        details: """
        CSV is RFC 4180 (CRLF line ends, quoted fields, a header row); numbers are exact \
        decimals or shortest round-trip doubles. Every timestamp column is written in ISO 8601 with \
        its zone's offset, followed by NAME_ns, the same instant as integer nanoseconds since the \
        Unix epoch. JSON is one array of row objects; JSONL one object per line. The L2 log has \
        columns time, time_ns, bid_px_1, bid_sz_1, ask_px_1, ask_sz_1, ... (receive time; empty \
        cells where a side has fewer levels). The file appears only when complete.
        """,
        takesInput: true, handler: { ctx in try run(&ctx) })

    enum Target {
        case table(Table, label: String)
        case l2(DatasetObject, window: Range<Int>?, label: String)
        case dataset(DatasetObject)
    }

    static func run(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let path = (try ctx.path("file")! as NSString).expandingTildeInPath
        let ext = (path as NSString).pathExtension.lowercased()
        let format = try ctx.choice("format") ?? (["csv", "json", "jsonl", "npz"].contains(ext) ? ext : "")
        guard !format.isEmpty else {
            throw .at(ctx.range("file"), "cannot tell the format from '.\(ext)'", notes: ["name the file .csv, .json, .jsonl or .npz, or give format="])
        }
        let target = try resolve(&ctx)
        switch (target, format) {
        case (.dataset(let d), "npz"):
            return try exportNpz(d, path: path, ctx: &ctx)
        case (.dataset(let d), _):
            throw .at(ctx.range("what"), "which part of \(d.name)? \(dataParts.joined(separator: ", "))",
                      notes: ["export \(d.name) trades to FILE.csv, or export \(d.name) to FILE.npz for hftbacktest"])
        case (_, "npz"):
            throw .at(ctx.range("file"), ".npz holds a dataset's events (hftbacktest's format): export DATA to FILE.npz")
        case (.table(let t, let label), _):
            return try exportTable(t, label: label, path: path, format: format, ctx: &ctx)
        case (.l2(let d, let window, let label), _):
            return try exportL2(d, window: window, label: label, path: path, format: format, ctx: &ctx)
        }
    }

    static func resolve(_ ctx: inout CommandContext) throws(WorkbenchError) -> Target {
        let what = ctx.exprs("what")
        if let input = ctx.input {
            guard what.isEmpty else { throw .at(ctx.range("what"), "export takes either a piped table or WHAT, not both") }
            guard case .table(let t) = input else { throw .at(ctx.verbRange, "export needs a table, got \(input.kindName)") }
            return .table(t, label: "table")
        }
        guard let first = what.first else {
            throw .at(ctx.verbRange, "export what? give a table, RUN PART, DATA PART, or pipe a table in", notes: ["usage: \(spec.synopsis)"])
        }
        if what.count > 2 { throw .at(what[2].range, "export takes one table, or an object and one part") }
        var objectExpr = first
        var part: (String, SourceRange)?
        if what.count == 2 {
            // `export r1 fills` or `export fills r1` (part first, as in the founding design).
            if case .name(let w, let r) = what[0], (runParts + dataParts).contains(w), ctx.workspace[w] == nil {
                objectExpr = what[1]
                part = (w, r)
            } else {
                part = (try CommandContext.word(of: what[1]), what[1].range)
            }
        } else if case .member(let base, let name, let nameRange, _) = first, (runParts + dataParts).contains(name) {
            objectExpr = base
            part = (name, nameRange)
        }
        if case .name(let n, let r) = objectExpr, ctx.workspace[n] == nil {
            let known = BacktestCommands.allRuns(ctx.workspace).map(\.name) + DataCommands.allDatasets(ctx.workspace).map(\.name)
            throw .at(r, "no value named '\(n)'", suggestions: Suggest.names(for: n, among: known))
        }
        let value = try ctx.session.evaluate(objectExpr, in: &ctx.workspace)
        let label = ctx.session.currentSource?.slice(ctx.range("what")) ?? "table"
        switch value {
        case .table(let t):
            if let part { throw .at(part.1, "'\(part.0)' follows a run or a dataset, not a table") }
            return .table(t, label: label)
        case .object(let o):
            if let r = o.as(RunObject.self) {
                guard let (p, pr) = part else {
                    throw .at(objectExpr.range, "which part of run \(r.name)? \(runParts.joined(separator: ", "))", notes: ["e.g. export \(r.name) fills to out/fills.csv"])
                }
                switch p {
                case "fills": return .table(BacktestCommands.fills(r), label: label)
                case "orders": return .table(BacktestCommands.orders(r), label: label)
                case "equity": return .table(BacktestCommands.equity(r), label: label)
                case "stats": return .table(statsTable(r), label: label)
                case "markouts":
                    guard case .table(let t) = try BacktestCommands.markoutsTable(r, horizons: [100 * Time.millisecond, Time.second, 10 * Time.second]) else { throw .internal("markouts") }
                    return .table(t, label: label)
                case "l2":
                    let from = r.configurationText.first { $0.0 == "from" }.flatMap { Int64($0.1) } ?? 0
                    let to = r.configurationText.first { $0.0 == "to" }.flatMap { Int64($0.1) } ?? Int64.max
                    let lo = r.data.dataset.eventCount(upTo: from - 1), hi = r.data.dataset.eventCount(upTo: to)
                    return .l2(r.data, window: lo..<hi, label: label)
                default:
                    throw .at(pr, "a run has no part '\(p)'", suggestions: Suggest.names(for: p, among: runParts), notes: ["parts: " + runParts.joined(separator: " ")])
                }
            }
            if let d = o.as(DatasetObject.self) {
                guard let (p, pr) = part else { return .dataset(d) }
                switch p {
                case "trades": return .table(TableFunctions.trades(d, session: ctx.session), label: label)
                case "quotes": return .table(try TableFunctions.quotes(d, session: ctx.session), label: label)
                case "events": return .table(TableFunctions.events(d), label: label)
                case "bars": return .table(TableFunctions.bars(d), label: label)
                case "l2": return .l2(d, window: nil, label: label)
                default:
                    throw .at(pr, "a dataset has no part '\(p)'", suggestions: Suggest.names(for: p, among: dataParts), notes: ["parts: " + dataParts.joined(separator: " ")])
                }
            }
            throw .at(objectExpr.range, "cannot export \(value.kindName)")
        default:
            throw .at(objectExpr.range, "cannot export \(value.kindName); export writes tables, run parts and datasets")
        }
    }

    /// A run's statistics as a table with numeric values (the `stats` command shows text).
    static func statsTable(_ r: RunObject) -> Table {
        let rows = BacktestCommands.statisticsRows(r)
        return Table([Column("stat", .text(rows.map(\.0))), Column("text", .text(rows.map(\.1))), Column("value", .real(rows.map(\.2)))])
    }

    // MARK: - Writers

    /// Writes rows one by one through `OutputFile`; the caller supplies each row's cells, as
    /// CSV field text (quoted here when needed) or as JSON values (`json` is true).
    final class RowWriter {
        let file: OutputFile
        let format: String
        let keys: [String]
        var rows = 0
        var json: Bool { format != "csv" }

        init(path: String, format: String, names: [String]) throws(WorkbenchError) {
            do { file = try OutputFile(path: path) } catch { throw .failed("\(error)") }
            self.format = format
            keys = names.map { Renderer.jsonString($0) + ":" }
            if format == "csv" { try put(names.map(ExportCommand.csvField).joined(separator: ",") + "\r\n") }
            if format == "json" { try put("[") }
        }

        func put(_ s: String) throws(WorkbenchError) {
            do { try file.write(s) } catch { throw .failed("\(error)") }
        }

        /// The bytes of the row being written (reused).
        private var line: [UInt8] = []
        private lazy var keyBytes: [[UInt8]] = keys.map { Array($0.utf8) }

        func row(_ cells: [String]) throws(WorkbenchError) {
            line.removeAll(keepingCapacity: true)
            switch format {
            case "csv":
                for (i, c) in cells.enumerated() {
                    if i > 0 { line.append(44) }
                    if c.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) {
                        line.append(contentsOf: ExportCommand.csvField(c).utf8)
                    } else {
                        line.append(contentsOf: c.utf8)
                    }
                }
                line.append(13); line.append(10)
            default:
                if format == "json" { line.append(contentsOf: rows == 0 ? [10] : [44, 10]) }
                line.append(123)
                for (i, c) in cells.enumerated() {
                    if i > 0 { line.append(44) }
                    line.append(contentsOf: keyBytes[i])
                    line.append(contentsOf: c.utf8)
                }
                line.append(125)
                if format == "jsonl" { line.append(10) }
            }
            do { try file.write(bytes: line) } catch { throw .failed("\(error)") }
            rows += 1
        }

        func finish() throws(WorkbenchError) -> String {
            if format == "json" { try put(rows == 0 ? "]\n" : "\n]\n") }
            do { return try file.finish() } catch { throw .failed("\(error)") }
        }
    }

    /// RFC 4180 quoting, looking at UTF-8 bytes (the Character scan of `Renderer.csvField`
    /// dominated the time of large exports).
    static func csvField(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `mantissa × 10^-scale` as `DecimalLiteral.format` writes it (all `scale` decimals kept),
    /// without intermediate strings.
    static func decimalText(_ mantissa: Int64, _ scale: Int) -> String {
        guard scale > 0, scale <= 18 else { return DecimalLiteral.format(mantissa: mantissa, scale: scale) }
        var m = mantissa.magnitude
        var digits = 0
        var t = m
        repeat { digits += 1; t /= 10 } while t > 0
        let whole = max(digits - scale, 1)
        let length = (mantissa < 0 ? 1 : 0) + whole + 1 + scale
        return String(unsafeUninitializedCapacity: length) { buf in
            var i = length - 1
            for _ in 0..<scale { buf[i] = UInt8(48 + m % 10); m /= 10; i -= 1 }
            buf[i] = 46; i -= 1
            for _ in 0..<whole { buf[i] = UInt8(48 + m % 10); m /= 10; i -= 1 }
            if mantissa < 0 { buf[0] = 45 }
            return length
        }
    }

    /// ISO 8601 text of instants exactly as `Format.isoTimestamp` writes it, without Foundation
    /// formatting per cell: the zone's offset is looked up once per 15 minutes of data (offsets
    /// change at whole quarter hours of UTC). Makes CSV exports of timestamps ~10x faster.
    struct ISOTimestamps {
        let zone: String
        private var bucket = Int64.min
        private var offset: Int64 = 0

        init(zone: String) { self.zone = zone }

        mutating func text(_ ns: Int64) -> String {
            var off: Int64 = 0
            if zone != "UTC" {
                let quarter: Int64 = 900_000_000_000
                let b = ns >= 0 ? ns / quarter : (ns - quarter + 1) / quarter
                if b != bucket { bucket = b; offset = Int64(Format.utcOffset(ns, zone: zone)) }
                off = offset
            }
            let dayNs: Int64 = 86_400_000_000_000
            let local = ns &+ off * 1_000_000_000
            let day = local >= 0 ? local / dayNs : (local - dayNs + 1) / dayNs
            let date = CivilDate(daysSinceEpoch: day)
            guard (0...9999).contains(date.year) else { return Format.isoTimestamp(ns, zone: zone) }
            let tod = local - day * dayNs
            return String(unsafeUninitializedCapacity: 40) { buf in
                var i = 0
                func digits(_ v: Int64, _ n: Int) {
                    var x = v
                    var k = n - 1
                    while k >= 0 { buf[i + k] = UInt8(48 + x % 10); x /= 10; k -= 1 }
                    i += n
                }
                func byte(_ b: UInt8) { buf[i] = b; i += 1 }
                digits(Int64(date.year), 4); byte(45); digits(Int64(date.month), 2); byte(45); digits(Int64(date.day), 2)
                byte(84)
                let frac = tod % 1_000_000_000, secs = tod / 1_000_000_000
                digits(secs / 3600, 2); byte(58); digits(secs / 60 % 60, 2); byte(58); digits(secs % 60, 2)
                if frac != 0 {
                    var f = frac, n = 9
                    while n > 3 && f % 1000 == 0 { f /= 1000; n -= 3 }
                    byte(46)
                    digits(f, n)
                }
                if off == 0 { byte(90) } else {
                    byte(off < 0 ? 45 : 43)
                    let o = abs(off)
                    digits(o / 3600, 2); byte(58); digits(o % 3600 / 60, 2)
                }
                return i
            }
        }
    }

    /// Column names with `NAME_ns` after every timestamp column.
    static func exportNames(_ t: Table) -> [String] {
        t.columns.flatMap { c -> [String] in
            if case .timestamp = c.data { return [c.name, c.name + "_ns"] }
            return [c.name]
        }
    }

    /// The cells of a table's rows, as CSV fields or JSON values.
    struct TableCells {
        let table: Table
        let json: Bool
        var iso: [ISOTimestamps?]

        init(_ table: Table, json: Bool) {
            self.table = table
            self.json = json
            iso = table.columns.map { if case .timestamp(_, let z) = $0.data { ISOTimestamps(zone: z) } else { nil } }
        }

        mutating func row(_ r: Int) -> [String] {
            var out: [String] = []
            out.reserveCapacity(table.columns.count + 2)
            for (i, c) in table.columns.enumerated() {
                switch c.data {
                case .timestamp(let v, _):
                    if v[r] == Column.null { out.append(json ? "null" : ""); out.append(json ? "null" : ""); continue }
                    let text = iso[i]!.text(v[r])
                    out.append(json ? "\"" + text + "\"" : text)
                    out.append(String(v[r]))
                case .real(let v) where json && !v[r].isFinite:
                    out.append("null")
                case .decimal(let v, let scale):
                    out.append(v[r] == Column.null ? (json ? "null" : "") : ExportCommand.decimalText(v[r], scale))
                case .int, .real, .duration:
                    let text = c.exactCell(r)
                    out.append(json && text.isEmpty ? "null" : text)
                case .bool:
                    out.append(c.exactCell(r))
                case .text(let v):
                    out.append(json ? Renderer.jsonString(v[r]) : v[r])
                }
            }
            return out
        }
    }

    static func exportTable(_ t: Table, label: String, path: String, format: String, ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let writer = try RowWriter(path: path, format: format, names: exportNames(t))
        let session = ctx.session
        var cells = TableCells(t, json: writer.json)
        for r in 0..<t.rowCount {
            if r & 0xFFF == 0 {
                do { try session.checkpoint("export \(label)", fraction: Double(r) / Double(max(1, t.rowCount))) } catch {
                    writer.file.cancel()
                    throw error
                }
            }
            try writer.row(cells.row(r))
        }
        let hash = try writer.finish()
        session.recordArtifact(kind: "export", path: path)
        return .object(ObjectRef(ExportObject(path: path, format: format, rows: writer.rows, sha256: hash)))
    }

    static func exportL2(_ d: DatasetObject, window: Range<Int>?, label: String, path: String, format: String,
                         ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let levels = try ctx.integer("levels") ?? 5
        guard (1...1000).contains(levels) else { throw .at(ctx.range("levels"), "levels must be 1...1000") }
        var every: Nanos?
        if let v = try ctx.value("every") {
            guard case .duration(let e) = v, e > 0 else { throw .at(ctx.range("every"), "every is a positive duration, e.g. 1s") }
            every = e
        }
        guard d.dataset.eventCount > 0 else { throw .at(ctx.range("what"), "\(d.name) has no events (bars only?): no book to log") }
        if let window, window.isEmpty { throw .at(ctx.range("what"), "no events in the run's trading window: no book to log") }
        var names = ["time", "time_ns"]
        for i in 1...levels { names += ["bid_px_\(i)", "bid_sz_\(i)", "ask_px_\(i)", "ask_sz_\(i)"] }
        let writer = try RowWriter(path: path, format: format, names: names)
        let session = ctx.session, zone = d.zone, json = writer.json
        var clock = ISOTimestamps(zone: zone)
        func px(_ t: Ticks) -> String { decimalText(d.priceMantissa(t), d.priceScale) }
        func sz(_ l: Lots) -> String { decimalText(d.quantityMantissa(l), d.quantityScale) }
        do {
            // Intervals fall on the local clock of the data's zone (1h on the hour in Kolkata too).
            let first = d.dataset.withEvents { $0[window?.lowerBound ?? 0].localTime }
            let phase = Int64(Format.utcOffset(first, zone: zone)) * 1_000_000_000
            try d.dataset.forEachL2Snapshot(levels: levels, every: every, phase: phase, range: window,
                                            progress: { f in try session.checkpoint("export \(label)", fraction: f) }) { row in
                let iso = clock.text(row.time)
                var cells: [String] = [json ? "\"" + iso + "\"" : iso, String(row.time)]
                for i in 0..<levels {
                    for level in [i < row.bids.count ? row.bids[i] : nil, i < row.asks.count ? row.asks[i] : nil] {
                        if let level {
                            cells.append(px(level.price))
                            cells.append(sz(level.quantity))
                        } else {
                            cells.append(json ? "null" : "")
                            cells.append(json ? "null" : "")
                        }
                    }
                }
                try writer.row(cells)
                return true
            }
        } catch let e as WorkbenchError {
            writer.file.cancel()
            throw e
        } catch {
            writer.file.cancel()
            throw .failed("\(error)")
        }
        let hash = try writer.finish()
        session.recordArtifact(kind: "export", path: path)
        return .object(ObjectRef(ExportObject(path: path, format: format, rows: writer.rows, sha256: hash)))
    }

    static func exportNpz(_ d: DatasetObject, path: String, ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        guard d.dataset.eventCount > 0 else { throw .at(ctx.range("what"), "\(d.name) has no events (bars only?): nothing for hftbacktest") }
        do { try OutputFile.makeFolders((path as NSString).deletingLastPathComponent) } catch { throw .failed("\(error)") }
        let rows: Int
        let session = ctx.session
        do {
            rows = try NpzWriter.write(d.dataset, to: path) { f in try session.checkpoint("export \(d.name) to .npz", fraction: f) }
        } catch let e as WorkbenchError {
            throw e
        } catch {
            throw .failed("\(error)")
        }
        // Digest the uncompressed events: compressed bytes may differ between zlib versions.
        let hash: String
        do { hash = try NpzWriter.dataDigest(ofNpz: path) } catch { throw .failed("\(error)") }
        ctx.session.recordArtifact(kind: "export", path: path)
        return .object(ObjectRef(ExportObject(path: path, format: "npz", rows: rows, sha256: hash)))
    }
}
