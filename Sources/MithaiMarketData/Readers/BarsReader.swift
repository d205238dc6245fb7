import MithaiEngine

/// Reads OHLCV bar files (plain or gzip). Layouts:
/// - a header naming `open`, `high`, `low`, `close` (any case) with `date`/`time`/`datetime`/
///   `timestamp`/`timestamp_utc` columns or an unnamed first column; optional `volume`,
///   `openinterest`/`open_interest`, `trades`; `adj close` and other columns are ignored.
///   Rows may carry one field more than the header when the date column holds `date,time`
///   (backtrader's minute files);
/// - NSE intraday without header: `SYMBOL,YYYYMMDD,HH:MM,open,high,low,close,volume`;
/// - NSE daily without header, all quoted: `"ddMMyy",open,high,low,close,value,quantity,trades`.
/// Dates `YYYY-MM-DD`, `YYYYMMDD`, `ddMMyy`; times `HH:MM[:SS[.f…]]`; epoch numbers accepted.
/// Times are civil times in `tz` (default Asia/Kolkata for the NSE layouts, else UTC).
/// Prices become ticks (tick inferred from the decimals unless given), volumes lots (lot 1
/// unless the data has decimals or one is given). Bars must be in time order (a file in
/// reverse order is reversed).
struct BarsReader {
    enum Layout: Equatable {
        case header
        case nseIntraday
        case nseDaily
    }

    struct Columns {
        var date: Int
        var time: Int?
        var splitDateTime = false
        var open: Int, high: Int, low: Int, close: Int
        var volume: Int?
        var openInterest: Int?
        var trades: Int?
        var symbol: Int?
    }

    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    /// The layout of a file from its first lines, or nil when it is not a bar file.
    static func detect(_ lines: [String]) -> Layout? {
        guard let first = lines.first else { return nil }
        let f = first.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " \"\t\u{FEFF}").lowercased() }
        if f.contains("open") && f.contains("high") && f.contains("low") && f.contains("close") { return .header }
        if f.count == 8, f[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "&" }),
           f[1].count == 8, Int(f[1]) != nil, f[2].count == 5, f[2].dropFirst(2).first == ":",
           f[3...].allSatisfy({ Double($0) != nil })
        {
            return .nseIntraday
        }
        if f.count == 8, f[0].count == 6, Int(f[0]) != nil, first.hasPrefix("\""), f[1...].allSatisfy({ Double($0) != nil }) {
            return .nseDaily
        }
        return nil
    }

    static func columns(_ header: [String], rowWidth: Int) -> Columns? {
        let h = header.map { $0.lowercased() }
        func find(_ names: [String]) -> Int? {
            for n in names { if let i = h.firstIndex(of: n) { return i } }
            return nil
        }
        guard var open = find(["open"]), var high = find(["high"]), var low = find(["low"]), var close = find(["close"]) else { return nil }
        var date = find(["date", "datetime", "timestamp", "timestamp_utc", "time"]) ?? (h.first == "" ? 0 : nil)
        var time: Int? = nil
        if let d = find(["date"]), let t = find(["time"]) { date = d; time = t }
        guard let date else { return nil }
        var volume = find(["volume", "vol"])
        var oi = find(["openinterest", "open_interest", "oi"])
        var trades = find(["trades", "count", "num_trades"])
        var split = false
        if rowWidth == header.count + 1 && time == nil {
            // `Date` holds "date,time": every later column shifts right by one.
            split = true
            func shift(_ i: Int) -> Int { i > date ? i + 1 : i }
            open = shift(open); high = shift(high); low = shift(low); close = shift(close)
            volume = volume.map(shift); oi = oi.map(shift); trades = trades.map(shift)
            time = date + 1
        }
        return Columns(date: date, time: time, splitDateTime: split, open: open, high: high, low: low, close: close,
                       volume: volume, openInterest: oi, trades: trades, symbol: find(["symbol", "instrument", "ticker"]))
    }

    func read() throws -> DatasetBuilder {
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name)
        var text: [[String]] = []
        var lineNumbers: [Int] = []
        var fields = FieldSplitter()
        var firstLines: [String] = []
        // Bar files are small: read them whole (as strings), then convert.
        while let line = try lines.next() {
            if line.isEmpty { continue }
            if firstLines.count < 3 { firstLines.append(line.string) }
            fields.split(line)
            text.append((0..<fields.count).map { fields[$0].trimmed().string })
            lineNumbers.append(lines.lineNumber)
            if text.count % 65_536 == 0, let isCancelled = control.isCancelled, isCancelled() { throw CancellationError() }
        }
        guard let layout = BarsReader.detect(firstLines) else {
            throw DataError(file: name, line: 1, "not a bar file: expected a header with open/high/low/close, or an NSE layout")
        }
        var c: Columns
        var rows = text[...]
        var numbers = lineNumbers[...]
        var symbol = options.symbol
        var defaultZone = "UTC"
        switch layout {
        case .header:
            let header = text[0]
            guard let cols = BarsReader.columns(header, rowWidth: text.count > 1 ? text[1].count : header.count) else {
                throw DataError(file: name, line: lineNumbers[0], "the header needs a date or time column besides open, high, low, close")
            }
            c = cols
            rows = text.dropFirst()
            numbers = lineNumbers.dropFirst()
            if cols.symbol != nil, symbol == nil, let r = rows.first { symbol = r[cols.symbol!] }
        case .nseIntraday:
            c = Columns(date: 1, time: 2, open: 3, high: 4, low: 5, close: 6, volume: 7, symbol: 0)
            defaultZone = "Asia/Kolkata"
            if symbol == nil, let r = rows.first { symbol = r[0] }
        case .nseDaily:
            c = Columns(date: 0, time: nil, open: 1, high: 2, low: 3, close: 4, volume: 6, trades: 7)
            defaultZone = "Asia/Kolkata"
        }
        let width = rows.first?.count ?? 0
        var prices = StepInference()
        var sizes = StepInference()
        for r in rows.prefix(50_000) where r.count == width {
            for k in [c.open, c.high, c.low, c.close] { if let d = ExactDecimal(r[k]) { prices.observe(d) } }
            // Volumes printed from floats (218102.59507500002) say nothing about the lot.
            if let v = c.volume, let d = ExactDecimal(r[v]), d.normalized().scale <= 8 { sizes.observe(d) }
        }
        let tick = options.tick ?? prices.step ?? .one
        let lot = options.lot ?? sizes.step ?? .one
        let zone = options.timeZone ?? defaultZone
        let instrument = Instrument(symbol: symbol ?? "", venue: layout == .header ? "" : "NSE", tickSize: tick, lotSize: lot,
                                    currency: layout == .header ? "" : "INR", timeZone: zone)
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        let parser = TimeParser(clock: try CivilTime(zone: zone, file: name))
        let priceScaler = StepScaler(tick)
        let lotScaler = StepScaler(lot)
        let inferred = options.tick == nil
        var bars: [Bar] = []
        bars.reserveCapacity(rows.count)
        var inconsistent = 0
        var skipped = 0
        var rounded = 0
        var malformed = SkippedRows()
        for (r, line) in zip(rows, numbers) {
          do {
            func fail(_ message: String) -> DataError { DataError(file: name, line: line, message) }
            guard r.count == width else { throw fail("expected \(width) columns, found \(r.count)") }
            if let sc = c.symbol, let symbol, layout == .header, r[sc] != symbol { skipped += 1; continue }
            let dateText = r[c.date]
            var time: Nanos?
            let value = Array(dateText.utf8)
            try value.withUnsafeBufferPointer { dateBytes in
                if let tc = c.time {
                    guard let d = TimeParser.date(dateBytes) else { throw fail("cannot read the date '\(dateText)'") }
                    let tt = Array(r[tc].utf8)
                    guard let t = tt.withUnsafeBufferPointer({ TimeParser.timeOfDay($0) }) else { throw fail("cannot read the time '\(r[tc])'") }
                    time = parser.clock.utc(year: d.0, month: d.1, day: d.2, nanosOfDay: t)
                } else if layout == .nseDaily {
                    guard let d = TimeParser.date(dateBytes, ddMMyy: true) else { throw fail("cannot read the date '\(dateText)' (ddMMyy)") }
                    time = parser.clock.utc(year: d.0, month: d.1, day: d.2, nanosOfDay: 0)
                } else {
                    time = parser.any(dateBytes)
                }
            }
            guard let time else { throw fail("cannot read the date/time '\(dateText)'") }
            func px(_ k: Int, _ what: String) throws -> Ticks {
                guard let d = ExactDecimal(r[k]) else { throw fail("\(what) '\(r[k])' is not a decimal number") }
                guard let t = priceScaler.units(d) else {
                    throw fail("\(what) \(d) is not a whole multiple of \(tick)\(inferred ? " (the tick was inferred from the first rows: pass it explicitly)" : "")")
                }
                return t
            }
            var volume: Lots = 0
            if let v = c.volume, !r[v].isEmpty {
                guard let d = ExactDecimal(r[v]) else { throw fail("volume '\(r[v])' is not a decimal number") }
                if let l = lotScaler.units(d) {
                    volume = l
                } else if let l = roundedMultiple(d, of: lot) {
                    // Bar volume is a statistic, not a book quantity: a float artifact is rounded
                    // (half-even) to the lot and counted. Prices are never rounded.
                    volume = l
                    rounded += 1
                } else {
                    throw fail("volume \(d) does not fit 64-bit lots of \(lot): pass a coarser lot")
                }
            }
            var bar = Bar(time: time, open: try px(c.open, "open"), high: try px(c.high, "high"), low: try px(c.low, "low"),
                          close: try px(c.close, "close"), volume: volume)
            if let t = c.trades, let n = Int64(r[t]) { bar.trades = n }
            if let o = c.openInterest, let d = ExactDecimal(r[o]), let l = lotScaler.units(d) { bar.openInterest = l }
            if !bar.isConsistent { inconsistent += 1 }
            bars.append(bar)
          } catch let error as DataError where options.skipMalformedRows {
            malformed.record(error)
          }
        }
        if let note = malformed.note { builder.notes.append(note) }
        if rounded > 0 { builder.notes.append("\(rounded) bar volume(s) with more decimals than the lot \(lot) rounded to it (float artifacts in the file)") }
        if bars.count > 1 && bars.first!.time > bars.last!.time {
            bars.reverse()
            builder.notes.append("bars were in reverse time order: reversed")
        }
        for k in bars.indices.dropFirst() where bars[k].time < bars[k - 1].time {
            throw DataError(file: name, "bars are not in time order (bar \(k + 1) is earlier than the one before)")
        }
        if inconsistent > 0 { builder.notes.append("\(inconsistent) bar(s) whose high/low do not bound open and close") }
        if skipped > 0 { builder.notes.append("\(skipped) bar(s) for other symbols skipped (kept \(symbol ?? ""))") }
        builder.bars = bars
        return builder
    }
}

/// `value / step` rounded half-even, or nil on overflow.
func roundedMultiple(_ value: ExactDecimal, of step: ExactDecimal) -> Int64? {
    guard step.mantissa > 0 else { return nil }
    let s = max(value.scale, step.scale)
    let a = Int128(value.mantissa) * Int128(ExactDecimal.powerOfTen(Int(s - value.scale)))
    let b = Int128(step.mantissa) * Int128(ExactDecimal.powerOfTen(Int(s - step.scale)))
    var (q, r) = a.quotientAndRemainder(dividingBy: b)
    let twice = r.magnitude * 2
    if twice > b.magnitude || (twice == b.magnitude && q % 2 != 0) { q += a < 0 ? -1 : 1 }
    return Int64(exactly: q)
}
