import Foundation
import MithaiLanguage
import MithaiEngine

/// Technical indicators in queries and chart overlays: `sma(close, 20)`, `bbands(close, 20, 2)`,
/// `rsi(close, 14)`, `vwap(px, qty, session)`, ... Each is a *column* function: it reads a
/// whole column of the table in row order (after `where` in a projection; the whole table in a
/// condition or inside an aggregate) and gives one value per row, computed in one pass by
/// `MithaiEngine.Indicators`. Values during the warm-up are empty (missing), never zero; rows
/// whose inputs are empty give empty values and are skipped by the indicator.
///
/// Multi-output indicators: `bbands(x, n, k)` and `macd(x, fast, slow, signal)` written as a
/// column of their own expand to three columns (`bb_upper bb_middle bb_lower`, `macd
/// macd_signal macd_hist`; a label `b: bbands(...)` gives `b_upper b_middle b_lower`). Inside
/// an expression or a condition, use one output by name: `bbands_upper(...)`, `macd_hist(...)`.
/// Formulas, warm-up and references: docs/INDICATORS.md.
enum IndicatorFunctions {
    /// Name -> (usage, summary, whether it belongs under the price or in a panel of its own).
    static let catalog: [(name: String, usage: String, summary: String, oscillator: Bool)] = [
        ("sma", "sma(x, n)", "simple moving average of the last n rows", false),
        ("ema", "ema(x, n)", "exponential moving average, α = 2/(n+1), seeded with the SMA", false),
        ("wma", "wma(x, n)", "linearly weighted moving average (weights 1..n)", false),
        ("bbands", "bbands(x, n=20, k=2)", "Bollinger bands: three columns upper, middle, lower", false),
        ("bbands_upper", "bbands_upper(x, n, k)", "upper Bollinger band: SMA + k·σ", false),
        ("bbands_middle", "bbands_middle(x, n, k)", "middle Bollinger band: the SMA", false),
        ("bbands_lower", "bbands_lower(x, n, k)", "lower Bollinger band: SMA − k·σ", false),
        ("vwap", "vwap(px, qty, session|N|DURATION)", "running VWAP: per session (local day), or over the last N rows or a time window", false),
        ("microprice", "microprice([bid, bid_qty, ask, ask_qty])", "size-weighted mid of the top of book", false),
        ("stddev", "stddev(x, n)", "population standard deviation of the last n rows", true),
        ("zscore", "zscore(x, n)", "(x − SMA) / σ over the last n rows", true),
        ("rvol", "rvol(x, n)", "realised volatility: √Σ r² of the last n log returns", true),
        ("rsi", "rsi(x, n=14)", "Wilder's relative strength index, 0..100", true),
        ("macd", "macd(x, fast=12, slow=26, signal=9)", "MACD: three columns line, signal, histogram", true),
        ("macd_line", "macd_line(x, fast, slow, signal)", "MACD line: EMA(fast) − EMA(slow)", true),
        ("macd_signal", "macd_signal(x, fast, slow, signal)", "MACD signal: EMA(signal) of the line", true),
        ("macd_hist", "macd_hist(x, fast, slow, signal)", "MACD histogram: line − signal", true),
        ("atr", "atr(n=14) or atr(high, low, close, n)", "Wilder's average true range on bars", true),
        ("tfi", "tfi([side, qty,] N|DURATION)", "trade-flow imbalance (buy − sell)/(buy + sell) over a window", true),
        ("imbalance", "imbalance([bid_qty, ask_qty])", "top-of-book imbalance (bid − ask)/(bid + ask)", true),
    ]

    static let names: Set<String> = Set(catalog.map(\.name))

    static func isOscillator(_ name: String) -> Bool { catalog.first { $0.name == name }?.oscillator ?? false }

    /// Whether `e` is an indicator call (`vwap` only with its third argument: with two it is
    /// the aggregate).
    static func isIndicator(_ e: Expr) -> Bool {
        guard case .call(let name, _, let args, _) = e, names.contains(name) else { return false }
        return name != "vwap" || args.count == 3
    }

    /// Output names of a multi-output indicator written as a column, or nil.
    static func expansion(_ e: Expr, label: String?) -> [String]? {
        guard case .call(let name, _, _, _) = e else { return nil }
        switch name {
        case "bbands": return ["upper", "middle", "lower"].map { (label ?? "bb") + "_" + $0 }
        case "macd": let l = label ?? "macd"; return [l, l + "_signal", l + "_hist"]
        default: return nil
        }
    }

    /// Default column name: `sma_close_20`, `rsi_close_14`, `vwap_px_qty_session`.
    static func defaultName(_ e: Expr, source: Source?) -> String? {
        guard isIndicator(e), case .call(let name, _, let args, _) = e else { return nil }
        var parts = [name]
        for a in args {
            switch a.value {
            case .name(let n, _): parts.append(n)
            case .literal(.number(let n), _): parts.append(n.description.replacingOccurrences(of: ".", with: "_"))
            case .literal(.duration(let d), _): parts.append(Format.duration(d).replacingOccurrences(of: ".", with: "_"))
            default: break
            }
        }
        return parts.joined(separator: "_")
    }

    // MARK: - Evaluation over a table

    /// Computes the indicator `e` over every row of `t`: one array per output, NaN = empty.
    static func compute(_ e: Expr, over t: Table, session: Session, ws: inout Workspace) throws(WorkbenchError) -> [[Double]] {
        guard case .call(let name, let nameRange, let args, _) = e else { throw .internal("not an indicator") }
        for a in args where a.label != nil {
            throw .at(a.labelRange ?? a.range, "\(name) takes positional arguments: \(usage(name))")
        }
        func column(_ i: Int) throws(WorkbenchError) -> [Double] {
            try doubles(args[i].value, t, session: session, ws: &ws, function: name)
        }
        func named(_ candidates: [String]) throws(WorkbenchError) -> [Double] {
            guard let c = candidates.lazy.compactMap({ t.column(named: $0) }).first, let (v, _) = PlotCommand.numbers(c) else {
                throw .at(nameRange, "\(name) without arguments needs a column \(candidates.joined(separator: " or ")) in the table",
                          notes: ["columns: " + t.columnNames.joined(separator: " "), "usage: " + usage(name)])
            }
            return v
        }
        func count(_ i: Int, default d: Int? = nil) throws(WorkbenchError) -> Int {
            guard i < args.count else {
                if let d { return d }
                throw .at(nameRange, "\(name) needs a window: \(usage(name))")
            }
            var ev = Evaluator(session: session)
            let v = try ev.evaluate(args[i].value, in: &ws)
            guard case .number(let n) = v, let k = n.integer, k >= 1, k <= 10_000_000 else {
                throw .at(args[i].range, "\(name) needs a whole number of rows >= 1 here, got \(v.display.isEmpty ? v.kindName : v.display)",
                          notes: ["usage: " + usage(name)])
            }
            return Int(k)
        }
        func real(_ i: Int, default d: Double) throws(WorkbenchError) -> Double {
            guard i < args.count else { return d }
            var ev = Evaluator(session: session)
            let v = try ev.evaluate(args[i].value, in: &ws)
            guard case .number(let n) = v else { throw .at(args[i].range, "\(name) needs a number here, got \(v.kindName)") }
            return n.double
        }
        func arity(_ allowed: ClosedRange<Int>) throws(WorkbenchError) {
            guard allowed.contains(args.count) else {
                throw .at(nameRange, "\(name) takes \(allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)") argument\(allowed.upperBound == 1 ? "" : "s"), got \(args.count)",
                          notes: ["usage: " + usage(name)])
            }
        }
        /// A window that is a row count or a duration.
        enum Window { case rows(Int), time(Int64) }
        func window(_ i: Int) throws(WorkbenchError) -> Window {
            var ev = Evaluator(session: session)
            let v = try ev.evaluate(args[i].value, in: &ws)
            if case .duration(let d) = v {
                guard d > 0 else { throw .at(args[i].range, "a time window must be positive") }
                return .time(d)
            }
            guard case .number(let n) = v, let k = n.integer, k >= 1 else {
                throw .at(args[i].range, "\(name) needs a window: a number of rows or a duration such as 5m", notes: ["usage: " + usage(name)])
            }
            return .rows(Int(k))
        }
        func times(_ r: SourceRange) throws(WorkbenchError) -> [Int64] {
            guard let tc = QueryEngine.timeColumn(t), case .timestamp(let ts, _) = tc.data else {
                throw .at(r, "a time window needs a timestamp column in the table", notes: ["columns: " + t.columnNames.joined(separator: " ")])
            }
            return ts
        }
        let skip = Indicators.skippingMissing
        switch name {
        case "sma", "ema", "wma", "stddev", "zscore", "rvol", "rsi":
            try arity(name == "rsi" ? 1...2 : 2...2)
            let x = try column(0), n = try count(1, default: 14)
            return skip([x]) { c -> [[Double]] in
                switch name {
                case "sma": [Indicators.sma(c[0], n)]
                case "ema": [Indicators.ema(c[0], n)]
                case "wma": [Indicators.wma(c[0], n)]
                case "stddev": [Indicators.stddev(c[0], n)]
                case "zscore": [Indicators.zscore(c[0], n)]
                case "rvol": [Indicators.rvol(c[0], n)]
                default: [Indicators.rsi(c[0], n)]
                }
            }
        case "bbands", "bbands_upper", "bbands_middle", "bbands_lower":
            try arity(1...3)
            let x = try column(0), n = try count(1, default: 20), k = try real(2, default: 2)
            let b = skip([x]) { c in let r = Indicators.bbands(c[0], n, k); return [r.upper, r.middle, r.lower] }
            switch name {
            case "bbands_upper": return [b[0]]
            case "bbands_middle": return [b[1]]
            case "bbands_lower": return [b[2]]
            default: return b
            }
        case "macd", "macd_line", "macd_signal", "macd_hist":
            try arity(1...4)
            let x = try column(0)
            let fast = try count(1, default: 12), slow = try count(2, default: 26), signal = try count(3, default: 9)
            guard fast < slow else { throw .at(args.count > 2 ? args[1].range.union(args[2].range) : nameRange, "macd's fast period must be shorter than the slow one") }
            let m = skip([x]) { c in let r = Indicators.macd(c[0], fast: fast, slow: slow, signal: signal); return [r.line, r.signal, r.histogram] }
            switch name {
            case "macd_line": return [m[0]]
            case "macd_signal": return [m[1]]
            case "macd_hist": return [m[2]]
            default: return m
            }
        case "atr":
            try arity(0...4)
            guard args.count <= 1 || args.count == 4 else { throw .at(nameRange, "usage: \(usage(name))") }
            let explicit = args.count == 4
            let h = explicit ? try column(0) : try named(["high", "h"])
            let l = explicit ? try column(1) : try named(["low", "l"])
            let c = explicit ? try column(2) : try named(["close", "c"])
            let n = try count(explicit ? 3 : 0, default: 14)
            return skip([h, l, c]) { v in [Indicators.atr(high: v[0], low: v[1], close: v[2], n)] }
        case "vwap":
            try arity(3...3)
            let p = try column(0), q = try column(1)
            if case .name("session", let r) = args[2].value, t.column(named: "session") == nil, ws["session"] == nil {
                let ts = try times(r)
                let zone: String = { if case .timestamp(_, let z)? = QueryEngine.timeColumn(t)?.data { z } else { "UTC" } }()
                let day: [Double] = ts.map { Double(localDay($0, zone)) }
                return skip([p, q, day]) { v in [Indicators.vwap(price: v[0], volume: v[1], session: v[2].map { Int64($0) })] }
            }
            switch try window(2) {
            case .rows(let n): return skip([p, q]) { v in [Indicators.vwap(price: v[0], volume: v[1], n)] }
            case .time(let w):
                let ts = try times(args[2].range).map(Double.init)
                return skip([p, q, ts]) { v in [Indicators.vwap(price: v[0], volume: v[1], time: v[2].map { Int64($0) }, window: w)] }
            }
        case "tfi":
            try arity(1...3)
            guard args.count != 2 else { throw .at(nameRange, "usage: \(usage(name))") }
            let sign: [Double]
            let q: [Double]
            if args.count == 3 {
                sign = try signs(args[0].value, t, session: session, ws: &ws)
                q = try column(1)
            } else {
                guard let s = t.column(named: "side") else {
                    throw .at(nameRange, "tfi(WINDOW) needs side and qty columns (trades); otherwise tfi(side, qty, WINDOW)",
                              notes: ["columns: " + t.columnNames.joined(separator: " ")])
                }
                sign = signs(s)
                q = try named(["qty", "volume", "vol"])
            }
            switch try window(args.count - 1) {
            case .rows(let n): return skip([sign, q]) { v in [Indicators.tradeFlowImbalance(sign: v[0], quantity: v[1], n)] }
            case .time(let w):
                let ts = try times(args[args.count - 1].range).map(Double.init)
                return skip([sign, q, ts]) { v in [Indicators.tradeFlowImbalance(sign: v[0], quantity: v[1], time: v[2].map { Int64($0) }, window: w)] }
            }
        case "imbalance":
            try arity(0...2)
            guard args.count != 1 else { throw .at(nameRange, "usage: \(usage(name))") }
            let b = args.isEmpty ? try named(["bid_qty"]) : try column(0)
            let a = args.isEmpty ? try named(["ask_qty"]) : try column(1)
            return [Indicators.imbalance(bidSize: b, askSize: a)]
        case "microprice":
            try arity(0...4)
            guard args.isEmpty || args.count == 4 else { throw .at(nameRange, "usage: \(usage(name))") }
            let bid = args.isEmpty ? try named(["bid"]) : try column(0)
            let bq = args.isEmpty ? try named(["bid_qty"]) : try column(1)
            let ask = args.isEmpty ? try named(["ask"]) : try column(2)
            let aq = args.isEmpty ? try named(["ask_qty"]) : try column(3)
            return [Indicators.microprice(bid: bid, bidSize: bq, ask: ask, askSize: aq)]
        default:
            throw .at(nameRange, "unknown indicator '\(name)'")
        }
    }

    /// `help indicators` (all) or `help NAME` (one).
    static func help(_ topic: String) -> String {
        let rows = topic == "indicators" ? catalog : catalog.filter { $0.name == topic }
        let width = rows.map(\.usage.count).max() ?? 0
        var out = topic == "indicators" ? "Indicators: column functions in queries (select ts, sma(close, 20) from bars) and chart overlays\n(plot bars as candles with sma(close,20), rsi(close,14)). Warm-up rows are empty, never zero.\n\n" : ""
        for r in rows {
            out += "  " + r.usage.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + r.summary
                + (r.oscillator ? " (own panel)" : "") + "\n"
        }
        out += "\nFormulas, warm-up and references: docs/INDICATORS.md\n"
        return out
    }

    static func usage(_ name: String) -> String { catalog.first { $0.name == name }?.usage ?? name }

    /// Days since the epoch in the zone's wall-clock time (the session of a session VWAP).
    static func localDay(_ ns: Int64, _ zone: String) -> Int64 {
        let local = ns + Int64(Format.utcOffset(ns, zone: zone)) * 1_000_000_000
        let day: Int64 = 86_400_000_000_000
        return local >= 0 ? local / day : (local - day + 1) / day
    }

    /// An expression's value on every row of `t`, as doubles (empty -> NaN).
    static func doubles(_ e: Expr, _ t: Table, session: Session, ws: inout Workspace, function: String) throws(WorkbenchError) -> [Double] {
        // A plain column is read directly.
        if case .name(let n, _) = e, let c = t.column(named: n), let (v, _) = PlotCommand.numbers(c) {
            if case .timestamp = c.data {} else { return v }
        }
        let f = try QueryEngine.compile(e, t, session: session, ws: &ws)
        var out = [Double](repeating: .nan, count: t.rowCount)
        let cancel = session.cancellation
        for r in 0..<t.rowCount {
            if r & 0xFFFF == 0 && cancel.isCancelled { throw .cancelled }
            switch try f(r) {
            case .number(let n): out[r] = n.double
            case .duration(let d): out[r] = Double(d)
            case .none: break
            case let other: throw .at(e.range, "\(function) needs numbers, got \(other.kindName)")
            }
        }
        return out
    }

    /// Aggressor sides as +1 buy, −1 sell, 0 unknown.
    static func signs(_ c: Column) -> [Double] {
        switch c.data {
        case .text(let s): return s.map { $0 == "buy" || $0 == "b" || $0 == "B" ? 1 : $0 == "sell" || $0 == "s" || $0 == "S" ? -1 : 0 }
        default: return (PlotCommand.numbers(c)?.values ?? []).map { $0.isNaN ? 0 : $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        }
    }

    static func signs(_ e: Expr, _ t: Table, session: Session, ws: inout Workspace) throws(WorkbenchError) -> [Double] {
        if case .name(let n, _) = e, let c = t.column(named: n) { return signs(c) }
        let f = try QueryEngine.compile(e, t, session: session, ws: &ws)
        var out = [Double](repeating: 0, count: t.rowCount)
        for r in 0..<t.rowCount {
            switch try f(r) {
            case .string(let s): out[r] = s == "buy" ? 1 : s == "sell" ? -1 : 0
            case .number(let n): out[r] = n.double > 0 ? 1 : n.double < 0 ? -1 : 0
            default: break
            }
        }
        return out
    }

    /// A row function over a computed indicator column.
    static func rowFunction(_ e: Expr, _ t: Table, session: Session, ws: inout Workspace) throws(WorkbenchError) -> QueryEngine.RowFn {
        let outputs = try compute(e, over: t, session: session, ws: &ws)
        guard outputs.count == 1 else {
            guard case .call(let name, let nameRange, _, _) = e else { throw .internal("indicator") }
            let parts = name == "bbands" ? "bbands_upper, bbands_middle or bbands_lower" : "macd_line, macd_signal or macd_hist"
            throw .at(nameRange, "\(name) gives three columns: write it as a column of its own, or use \(parts) inside an expression")
        }
        let v = outputs[0]
        return { row in v[row].isNaN ? .none : .number(.real(v[row])) }
    }
}
