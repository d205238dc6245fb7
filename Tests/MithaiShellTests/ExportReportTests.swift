import Foundation
import MithaiLanguage
import MithaiWorkbench
import Testing

/// Python, when installed: the exports must load in its csv and json modules and agree with
/// the run store (SQLite) to the last digit.
enum Python {
    static let path: String? = {
        for p in ["/usr/bin/python3", "/usr/local/bin/python3"] + ((ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" })
        where FileManager.default.isExecutableFile(atPath: p) { return p }
        return nil
    }()

    static func run(_ script: String, arguments: [String], in folder: URL) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["-c", script] + arguments
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

final class ExportSink: OutputSink {
    var text = ""
    func write(_ s: String, to stream: OutputStreamKind) { text += s }
}

/// A small RFC 4180 reader (quoted fields, doubled quotes, CRLF), to read exports back in Swift.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = ""
    var quoted = false, i = text.unicodeScalars.startIndex
    let s = text.unicodeScalars
    while i < s.endIndex {
        let c = s[i]
        if quoted {
            if c == "\"" {
                let n = s.index(after: i)
                if n < s.endIndex && s[n] == "\"" { field.unicodeScalars.append("\""); i = n } else { quoted = false }
            } else { field.unicodeScalars.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { row.append(field); field = "" }
        else if c == "\r" {}
        else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
        else { field.unicodeScalars.append(c) }
        i = s.index(after: i)
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

@Suite(.serialized) struct ExportReportTests {
    static let btc = Paths.packageRoot.appendingPathComponent("Datasets/binance/binance-usdm-btcusdt_20240808.gz").path

    static let session = """
    load \(btc) as btc
    strategy tight = grid half_spread=20 step=10 levels=20 qty=0.1 max_position=5
    backtest tight on btc maker=-0.5bp taker=7bp
    export fills(r1) to out/fills.csv
    export r1 fills to out/fills.jsonl
    export r1.equity to out/equity.csv
    export r1 orders to out/orders.json
    stats r1 | export to out/stats.csv
    set | export to out/settings.csv
    set | export to out/settings.jsonl
    export btc l2 to out/l2.csv levels=3 every=1s
    export btc l2 to out/l2.jsonl levels=3 every=1s
    export btc to out/btc.npz

    """

    /// Python reads every export back with csv and json (exact decimals) and compares it with the
    /// run store; numpy loads the .npz when it is installed.
    static let pythonCheck = #"""
    import csv, json, sqlite3, sys, re, datetime
    from decimal import Decimal
    db = sqlite3.connect(sys.argv[1])
    run_id, tick, lot = db.execute("select id, tick_size, lot_size from runs where name='r1' order by id desc").fetchone()
    tick, lot = Decimal(tick), Decimal(lot)
    store = db.execute("select exch_ts, local_ts, order_id, side, price_ticks, qty_lots, maker, fee from fills where run_id=? order by seq", (run_id,)).fetchall()
    def iso_ns(text):
        m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", text)
        assert m, text
        zone = "+00:00" if m.group(3) == "Z" else m.group(3)
        whole = datetime.datetime.fromisoformat(m.group(1) + zone)
        return int(whole.timestamp()) * 10**9 + int((m.group(2) or "0").ljust(9, "0"))
    with open("out/fills.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    lines = [json.loads(l, parse_float=Decimal) for l in open("out/fills.jsonl")]
    assert len(rows) == len(store) == len(lines) > 0, (len(rows), len(store), len(lines))
    for r, j, s in zip(rows, lines, store):
        exch, local, oid, side, px, qty, maker, fee = s
        assert int(r["ts_ns"]) == exch == j["ts_ns"] == iso_ns(r["ts"]) == iso_ns(j["ts"]), (r, s)
        assert int(r["local_ts_ns"]) == local == iso_ns(r["local_ts"])
        assert int(r["order_id"]) == oid == j["order_id"]
        assert r["side"] == j["side"] == {1: "buy", -1: "sell"}[side]
        assert Decimal(r["px"]) == px * tick == j["px"], (r["px"], px)
        assert Decimal(r["qty"]) == qty * lot == j["qty"]
        assert (r["maker"] == "true") == bool(maker) == j["maker"]
        assert float(r["fee"]) == fee == float(j["fee"]), (r["fee"], fee)
    eq = db.execute("select ts, position_lots, equity from equity where run_id=? order by seq", (run_id,)).fetchall()
    with open("out/equity.csv", newline="") as f:
        erows = list(csv.DictReader(f))
    assert len(erows) == len(eq)
    for r, (ts, pos, equity) in zip(erows, eq):
        assert int(r["ts_ns"]) == ts == iso_ns(r["ts"])
        assert Decimal(r["position"]) == pos * lot
        assert float(r["equity"]) == equity
    stats = dict(db.execute("select name, value from run_stats where run_id=? order by seq", (run_id,)).fetchall())
    with open("out/stats.csv", newline="") as f:
        srows = list(csv.DictReader(f))
    assert [r["stat"] for r in srows] == list(stats.keys())
    orders = json.load(open("out/orders.json"), parse_float=Decimal)
    assert len(orders) == db.execute("select count(*) from orders where run_id=?", (run_id,)).fetchone()[0]
    with open("out/settings.csv", newline="") as f:
        settings = list(csv.DictReader(f))
    assert settings == [json.loads(l) for l in open("out/settings.jsonl")], "csv and jsonl of the settings differ"
    assert any("," in r["meaning"] for r in settings), "no quoted field exercised"
    with open("out/l2.csv", newline="") as f:
        l2 = list(csv.DictReader(f))
    l2j = [json.loads(l, parse_float=Decimal) for l in open("out/l2.jsonl")]
    assert list(l2[0].keys())[:6] == ["time", "time_ns", "bid_px_1", "bid_sz_1", "ask_px_1", "ask_sz_1"]
    assert len(l2) == len(l2j) > 300
    for r, j in zip(l2, l2j):
        assert int(r["time_ns"]) == j["time_ns"] == iso_ns(r["time"]) and int(r["time_ns"]) % 10**9 == 0
        assert Decimal(r["bid_px_1"]) == j["bid_px_1"] < Decimal(r["ask_px_1"]) == j["ask_px_1"]
    try:
        import numpy
    except ImportError:
        print("numpy is not installed: the .npz was not loaded in numpy")
    else:
        data = numpy.load("out/btc.npz")["data"]
        assert data.dtype.names == ("ev", "exch_ts", "local_ts", "px", "qty", "order_id", "ival", "fval"), data.dtype
        assert len(data) > 598000 and (data["local_ts"] > 0).all()
        print("numpy loaded", len(data), "rows")
    print("ok", len(rows), "fills", len(erows), "equity rows", len(l2), "l2 rows")
    """#

    @Test(.enabled(if: Python.path != nil, "python3 is not installed: the csv/json read-back in Python is skipped (the Swift read-back still runs)"))
    func exportsLoadInPythonAndMatchTheStore() throws {
        let home = try Paths.temporaryFolder("export")
        defer { try? FileManager.default.removeItem(at: home) }
        let script = home.appendingPathComponent("export.mithai")
        try ExportReportTests.session.write(to: script, atomically: true, encoding: .utf8)
        let db = home.appendingPathComponent("journal.sqlite").path
        let r = try mithai([script.path, "--db", db], in: home)
        #expect(r.status == 0, "\(r.stderr)")
        let py = try Python.run(ExportReportTests.pythonCheck, arguments: [db], in: home)
        #expect(py.status == 0, "python read-back failed:\n\(py.stderr)\n\(py.stdout)")
        #expect(py.stdout.contains("ok 1"), "\(py.stdout)")
    }

    /// The same exports read back in Swift and compared with the tables they came from.
    @Test func exportsReadBackInSwiftEqualTheirTables() throws {
        let home = try Paths.temporaryFolder("export-swift")
        defer { try? FileManager.default.removeItem(at: home) }
        let sink = ExportSink()
        let s = Session(options: SessionOptions(mode: .script, home: home.path), output: sink)
        let out = home.appendingPathComponent("out").path
        let text = ExportReportTests.session.replacingOccurrences(of: " out/", with: " \(out)/") + """
        f = fills(r1)
        d = depth(btc, at=23:58, levels=3)
        load \(out)/btc.npz as back tick=0.1 lot=0.001 cache=off
        a = trades(btc)
        b = trades(back)
        da = depth(btc, levels=20)
        db = depth(back, levels=20)

        """
        let result = s.run(Source(text))
        #expect(result.failure == nil, "\(sink.text)")
        guard case .table(let f) = try #require(s.workspace["f"]) else { Issue.record("f is not a table"); return }
        // CSV: every cell exact, with a _ns column after each timestamp.
        let rows = parseCSV(try String(contentsOfFile: "\(out)/fills.csv", encoding: .utf8))
        #expect(rows.count == f.rowCount + 1)
        var expectedHeader: [String] = []
        for c in f.columns {
            expectedHeader.append(c.name)
            if case .timestamp = c.data { expectedHeader.append(c.name + "_ns") }
        }
        #expect(rows[0] == expectedHeader)
        for r in 0..<f.rowCount {
            var cells: [String] = []
            for c in f.columns {
                cells.append(c.exactCell(r))
                if case .timestamp(let v, _) = c.data { cells.append(String(v[r])) }
            }
            #expect(rows[r + 1] == cells, "row \(r)")
        }
        // JSONL: one object per row with the same values.
        let lines = try String(contentsOfFile: "\(out)/fills.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == f.rowCount)
        guard case .timestamp(let ts, _) = f.column(named: "ts")!.data else { Issue.record("ts"); return }
        for (r, line) in lines.enumerated() {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((o["ts_ns"] as? NSNumber)?.int64Value == ts[r])
            #expect((o["px"] as? NSNumber)?.doubleValue == Double(f.column(named: "px")!.exactCell(r)))
            #expect(o["side"] as? String == f.column(named: "side")!.exactCell(r))
        }
        // The L2 log at 23:58:00 equals the book at that instant.
        guard case .table(let d) = try #require(s.workspace["d"]) else { Issue.record("d"); return }
        let l2 = parseCSV(try String(contentsOfFile: "\(out)/l2.csv", encoding: .utf8))
        let header = l2[0]
        let row = try #require(l2.first { $0[0] == "2024-08-08T23:58:00Z" })
        for level in 0..<3 {
            #expect(row[header.firstIndex(of: "bid_px_\(level + 1)")!] == d.column(named: "bid")!.exactCell(level))
            #expect(row[header.firstIndex(of: "bid_sz_\(level + 1)")!] == d.column(named: "bid_qty")!.exactCell(level))
            #expect(row[header.firstIndex(of: "ask_px_\(level + 1)")!] == d.column(named: "ask")!.exactCell(level))
            #expect(row[header.firstIndex(of: "ask_sz_\(level + 1)")!] == d.column(named: "ask_qty")!.exactCell(level))
        }
        // The .npz round trip: the same trades and the same final book.
        #expect(s.workspace["a"] == s.workspace["b"])
        #expect(s.workspace["da"] == s.workspace["db"])
        #expect(s.workspace["a"].map { if case .table(let t) = $0 { t.rowCount > 20_000 } else { false } } == true)
    }

    /// Times across daylight-saving changes and in half-hour zones are written exactly as the
    /// shell's ISO 8601 formatter writes them, with their integer nanoseconds beside them.
    @Test(arguments: ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"])
    func timestampsInEveryZoneMatchTheFormatter(_ zone: String) throws {
        let home = try Paths.temporaryFolder("export-zones")
        defer { try? FileManager.default.removeItem(at: home) }
        // Every 7 minutes and 1.25 s through 2024 (DST changes in March/April and Oct/Nov), plus
        // instants with 3, 6 and 9 fraction digits and one missing value.
        var ns: [Int64] = stride(from: Int64(1_704_067_200_000_000_000), to: 1_735_689_600_000_000_000, by: 421_250_000_000).map { $0 }
        ns += [1_710_054_000_123_000_000, 1_710_054_000_123_456_000, 1_710_054_000_123_456_789, Int64.min]
        let sink = ExportSink()
        let s = Session(options: SessionOptions(mode: .script, home: home.path), output: sink)
        s.workspace.define("t", .table(Table([Column("ts", .timestamp(ns, zone: zone)), Column("label", .text(ns.map { _ in "a,\"b\"\nc" }))])))
        let path = home.appendingPathComponent("t.csv").path
        #expect(s.run(Source("t | export to \(path)\nt | export to \(path).jsonl")).failure == nil, "\(sink.text)")
        let rows = parseCSV(try String(contentsOfFile: path, encoding: .utf8))
        #expect(rows.count == ns.count + 1)
        for (i, v) in ns.enumerated() {
            let expected = v == Int64.min ? ["", "", "a,\"b\"\nc"] : [Format.isoTimestamp(v, zone: zone), String(v), "a,\"b\"\nc"]
            #expect(rows[i + 1] == expected)
        }
        let lines = try String(contentsOfFile: path + ".jsonl", encoding: .utf8).split(separator: "\n")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        #expect(last["ts"] is NSNull && last["ts_ns"] is NSNull && last["label"] as? String == "a,\"b\"\nc")
    }

    @Test func verifyExplainsFilesThatAreNotReports() throws {
        let home = try Paths.temporaryFolder("verify-usage")
        defer { try? FileManager.default.removeItem(at: home) }
        try "just notes\n".write(to: home.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let plain = try mithai(["verify", "notes.txt", "--no-journal"], in: home)
        #expect(plain.status == 65 && plain.stderr.contains("notes.txt holds no report record"), "\(plain.stderr)")
        let missing = try mithai(["verify", "nowhere.md", "--no-journal"], in: home)
        #expect(missing.status == 66 && missing.stderr.contains("cannot read nowhere.md"), "\(missing.stderr)")
        // A notebook without a report record is replayed with its digests.
        try "# n\n\n```mithai\nx = 6 * 7\n#= 42 [sha256:0000000000000000]\n```\n".write(to: home.appendingPathComponent("n.md"), atomically: true, encoding: .utf8)
        let wrong = try mithai(["verify", "n.md", "--no-journal"], in: home)
        #expect(wrong.status == 1 && wrong.stderr.contains("n.md:4: verify failed: `x = 6 * 7`"), "\(wrong.stderr)")
    }

    @Test func failedExportsLeaveNoFileAndExplain() throws {
        let home = try Paths.temporaryFolder("export-errors")
        defer { try? FileManager.default.removeItem(at: home) }
        let sink = ExportSink()
        let s = Session(options: SessionOptions(mode: .script, home: home.path), output: sink)
        let out = home.appendingPathComponent("x.txt").path
        #expect(s.run(Source("set | export to \(out)")).failure == .dataError)
        #expect(sink.text.contains("cannot tell the format from '.txt'"))
        #expect(s.run(Source("set | export to \(out).npz")).failure == .dataError)
        #expect(sink.text.contains(".npz holds a dataset's events"))
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".npz"))
    }

    /// A saved session on the bundled data: reports in three formats, a notebook, and
    /// `mithai verify` passing, then failing with the data file named once it changes.
    @Test func reportsVerifyAndFailWhenTheDataChanges() throws {
        let home = try Paths.temporaryFolder("report")
        defer { try? FileManager.default.removeItem(at: home) }
        let data = home.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ExportReportTests.btc, toPath: data.appendingPathComponent("btc.gz").path)
        let script = """
        load data/btc.gz as btc cache=off
        strategy tight = grid half_spread=20 step=10 levels=20 qty=0.1 max_position=5
        strategy wide = grid half_spread=60 step=20 levels=10 qty=0.1 max_position=2
        backtest tight on btc bin=1m
        backtest wide on btc bin=1m
        .save study
        report r1 r2 to out/study.md
        report r1 to out/r1.html theme=dark
        report r1 r2 to out/study.tex
        .save study-notebook notebook

        """
        let r = try mithai(["--no-journal"], stdin: script, in: home)
        #expect(r.status == 0, "\(r.stderr)")
        let md = try String(contentsOf: home.appendingPathComponent("out/study.md"), encoding: .utf8)
        for part in ["## Parameters", "## Data", "data/btc.gz", "0ad7b3a0f5cff220761ea890cfd6e3c15f6899edc7f94637ec915043d7a72251",
                     "## Statistics", "| sharpe |", "## Figures", "Equity and drawdown", "## Session script", "backtest tight on btc bin=1m"] {
            #expect(md.contains(part), "the Markdown report lacks \(part)")
        }
        let tex = try String(contentsOf: home.appendingPathComponent("out/study-stats.tex"), encoding: .utf8)
        #expect(tex.hasPrefix("\\begin{tabular}{lll}") && tex.contains("\\toprule") && tex.contains("pnl\\_net"))
        let doc = try String(contentsOf: home.appendingPathComponent("out/study.tex"), encoding: .utf8)
        #expect(doc.contains("\\documentclass") && doc.contains("\\begin{tabular}") && doc.contains("\\end{document}"))
        let html = try String(contentsOf: home.appendingPathComponent("out/r1.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<table>"))
        if r.stderr.contains("gnuplot is not installed") {
            #expect(!html.contains("<img"))
        } else {
            // Self-contained: every image inline, none by file name.
            #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count == 6)
            #expect(!html.contains("src=\"out/") && !html.contains(".png\""))
            #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("out/study-pnl.png").path))
            #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("out/study-r2-markouts.png").path))
        }
        let notebook = try String(contentsOf: home.appendingPathComponent("Sessions/study-notebook.md"), encoding: .utf8)
        #expect(notebook.contains("```mithai\nbacktest tight on btc bin=1m\n#= run r1"))
        #expect(notebook.contains("```text\nr1: grid tight on btc"))

        for report in ["out/study.md", "out/r1.html", "out/study.tex"] {
            let v = try mithai(["verify", report, "--no-journal"], in: home)
            #expect(v.status == 0, "\(report): \(v.stderr)")
            #expect(v.stderr.contains("verified \(report): data files unchanged"), "\(v.stderr)")
        }
        let nb = try mithai(["Sessions/study-notebook.md", "--verify", "--no-journal"], in: home)
        #expect(nb.status == 0 && nb.stderr.contains("reproduced"), "\(nb.stderr)")
        let saved = try mithai(["Sessions/study.mithai", "--verify", "--no-journal"], in: home)
        #expect(saved.status == 0, "\(saved.stderr)")

        // A number edited by hand is caught.
        let edited = home.appendingPathComponent("out/edited.md")
        let sharpeLine = try #require(md.split(separator: "\n").first { $0.hasPrefix("| sharpe |") })
        try md.replacingOccurrences(of: String(sharpeLine), with: "| sharpe | 9.99 | 9.99 |")
            .write(to: edited, atomically: true, encoding: .utf8)
        let e = try mithai(["verify", "out/edited.md", "--no-journal"], in: home)
        #expect(e.status == 1 && e.stderr.contains("| sharpe | 9.99 | 9.99 |"), "\(e.stderr)")

        // The data file changes: verify fails and names it.
        let handle = try FileHandle(forWritingTo: data.appendingPathComponent("btc.gz"))
        handle.seekToEndOfFile()
        handle.write(Data([0]))
        try handle.close()
        let changed = try mithai(["verify", "out/study.md", "--no-journal"], in: home)
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("the data file data/btc.gz (dataset btc) has changed since the report was made"), "\(changed.stderr)")
        #expect(changed.stderr.contains("recorded: sha256:0ad7b3a0f5cff220"))
    }
}
