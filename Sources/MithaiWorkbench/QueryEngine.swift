import Foundation
public import MithaiLanguage

/// Runs `select COLS [by KEYS] from TABLE [where CONDS]` and `| where CONDS` over tables.
///
/// Expressions are compiled once per query into closures that read cells by column index, so
/// evaluation does no name lookups per row. Semantics:
/// - `where` conditions are ANDed (commas mean AND), evaluated per row.
/// - Without `by` and without aggregates: one output row per input row (projection).
/// - With aggregates (`count sum avg min max first last med dev pct vwap wavg ohlc`) and no
///   `by`: one row. With `by`: one row per distinct key, keys ascending.
/// - A duration key (`by 1m`) buckets the table's time column: the key is the bucket start
///   `floor(ts / d) × d`, named after the time column.
/// - `dev` is the population standard deviation; `med` the median (mean of the middle two);
///   `pct(x, p)` the p-th percentile by linear interpolation; `wavg(w, x)` = Σw·x / Σw;
///   `vwap(px, qty)` = Σpx·qty / Σqty; `ohlc(x)` gives open high low close columns.
public enum QueryEngine {
    public static let aggregateNames = ["count", "sum", "avg", "min", "max", "first", "last", "med", "dev", "pct", "vwap", "wavg", "ohlc"]

    typealias RowFn = (Int) throws(WorkbenchError) -> Value
    typealias AggFn = ([Int]) throws(WorkbenchError) -> [Value]

    static func table(_ v: Value, range: SourceRange) throws(WorkbenchError) -> Table {
        guard case .table(let t) = v else { throw .at(range, "expected a table, got \(v.kindName)") }
        return t
    }

    public static func filter(_ input: Value, conditions: [Expr], range: SourceRange, session: Session,
                              in ws: inout Workspace) throws(WorkbenchError) -> Value {
        let t = try table(input, range: range)
        return .table(t.gather(try matchingRows(t, conditions, session: session, ws: &ws)))
    }

    static func matchingRows(_ t: Table, _ conditions: [Expr], session: Session, ws: inout Workspace) throws(WorkbenchError) -> [Int] {
        var fns: [RowFn] = []
        for c in conditions { fns.append(try compile(c, t, session: session, ws: &ws)) }
        var rows: [Int] = []
        rows.reserveCapacity(t.rowCount)
        let cancel = session.cancellation
        outer: for r in 0..<t.rowCount {
            if r & 0xFFFF == 0 && cancel.isCancelled { throw .cancelled }
            for (i, f) in fns.enumerated() {
                let v = try f(r)
                // An empty value (a comparison with a missing cell, an indicator's warm-up)
                // does not match, as NULL in SQL.
                if case .none = v { continue outer }
                guard case .bool(let b) = v else {
                    throw .at(conditions[i].range, "a condition must be true or false, got \(v.kindName)")
                }
                if !b { continue outer }
            }
            rows.append(r)
        }
        return rows
    }

    public static func run(_ q: MithaiLanguage.Query, input: Value?, session: Session, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        try run(q, input: input, session: session, in: &ws, sourceGiven: false)
    }

    static func run(_ q: MithaiLanguage.Query, input: Value?, session: Session, in ws: inout Workspace, sourceGiven: Bool) throws(WorkbenchError) -> Value {
        let sourceValue: Value
        if sourceGiven, let input {
            sourceValue = input
        } else if let s = q.source {
            if input != nil { throw .at(s.range, "a query in a pipe takes its table from the left; drop 'from'") }
            sourceValue = try session.evaluate(s, in: &ws)
        } else if let input {
            sourceValue = input
        } else {
            throw .at(q.range, "a query needs a table: select ... from TABLE", notes: ["or pipe one in: TABLE | select ..."])
        }
        let t = try table(sourceValue, range: q.source?.range ?? q.range)
        let rows = q.conditions.isEmpty ? Array(0..<t.rowCount) : try matchingRows(t, q.conditions, session: session, ws: &ws)
        let hasAggregate = q.columns.contains { containsAggregate($0.expr) }
        if q.by.isEmpty && !hasAggregate {
            if q.columns.isEmpty { return .table(t.gather(rows)) }
            var columns: [Column] = []
            // Indicators read whole columns: they see the rows that pass 'where', in order.
            if q.columns.contains(where: { containsIndicator($0.expr) }) && rows.count != t.rowCount {
                var narrowed = q
                narrowed.conditions = []
                return try run(narrowed, input: .table(t.gather(rows)), session: session, in: &ws, sourceGiven: true)
            }
            for c in q.columns {
                if IndicatorFunctions.isIndicator(c.expr), let names = IndicatorFunctions.expansion(c.expr, label: c.label) {
                    for (name, values) in zip(names, try IndicatorFunctions.compute(c.expr, over: t, session: session, ws: &ws)) {
                        var n = name, k = 2
                        while columns.contains(where: { $0.name == n }) { n = "\(name)\(k)"; k += 1 }
                        columns.append(Column(n, .real(rows.map { values[$0] })))
                    }
                    continue
                }
                let f = try compile(c.expr, t, session: session, ws: &ws)
                var values: [Value] = []
                values.reserveCapacity(rows.count)
                for r in rows { values.append(try f(r)) }
                columns.append(makeColumn(uniqueName(c, columns), values, zone: ws.settings.timeZone))
            }
            return .table(Table(columns))
        }
        // Grouped: compute keys per row, group row indices.
        var keyFns: [(name: String, fn: RowFn)] = []
        for k in q.by {
            if case .literal(.duration(let d), let r) = k.expr {
                guard d > 0 else { throw .at(r, "a time bucket must be positive") }
                guard let tc = timeColumn(t), case .timestamp(let ts, let zone) = tc.data else {
                    throw .at(r, "'by \(Format.duration(d))' buckets time, but the table has no timestamp column",
                              notes: ["columns: " + t.columnNames.joined(separator: " ")])
                }
                // Buckets start on multiples of the duration in the column's wall-clock time
                // (a 1d bucket starts at local midnight).
                keyFns.append((k.label ?? tc.name, { (row: Int) throws(WorkbenchError) -> Value in
                    let offset = Int64(Format.utcOffset(ts[row], zone: zone)) * 1_000_000_000
                    let v = ts[row] + offset
                    let floorDiv = v >= 0 ? v / d : (v - d + 1) / d
                    return .timestamp(floorDiv * d - offset, zone: zone)
                }))
            } else {
                keyFns.append((k.label ?? defaultName(k.expr), try compile(k.expr, t, session: session, ws: &ws)))
            }
        }
        var groups: [[Value]: [Int]] = [:]
        var order: [[Value]] = []
        for r in rows {
            var key: [Value] = []
            for k in keyFns { key.append(try k.fn(r)) }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        order.sort { a, b in
            for (x, y) in zip(a, b) {
                let c = Evaluator.compare(x, y) ?? 0
                if c != 0 { return c < 0 }
            }
            return false
        }
        if keyFns.isEmpty && order.isEmpty { order = [[]]; groups[[]] = [] }
        var aggFns: [(names: [String], fn: AggFn)] = []
        let keyTexts = q.by.map { session.currentSource?.slice($0.expr.range) }
        // Keys named among the columns appear there, in the order written; the others lead.
        let columnTexts = Set(q.columns.compactMap { session.currentSource?.slice($0.expr.range) })
        let leadingKeys = keyFns.indices.filter { !columnTexts.contains(keyTexts[$0] ?? "\u{0}") }
        var outColumns: [(String, [Value])] = leadingKeys.map { (keyFns[$0].name, []) }
        for c in q.columns {
            // A column that repeats a key (`select side, count() by side`) is that key.
            if !containsAggregate(c.expr), let text = session.currentSource?.slice(c.expr.range),
               let k = keyTexts.firstIndex(where: { $0 == text }) {
                aggFns.append(([c.label ?? keyFns[k].name], { rows throws(WorkbenchError) in
                    guard let r = rows.first else { return [.none] }
                    return [try keyFns[k].fn(r)]
                }))
                outColumns.append((c.label ?? keyFns[k].name, []))
                continue
            }
            guard containsAggregate(c.expr) else {
                throw .at(c.expr.range, "'\(session.currentSource?.slice(c.expr.range) ?? "column")' needs an aggregate in a grouped query",
                          notes: ["for example: last \(session.currentSource?.slice(c.expr.range) ?? "px"), or add it to 'by'"])
            }
            let (names, fn) = try compileAggregate(c, t, session: session, ws: &ws)
            aggFns.append((names, fn))
            for n in names { outColumns.append((n, [])) }
        }
        for key in order {
            let members = groups[key] ?? []
            for (i, k) in leadingKeys.enumerated() { outColumns[i].1.append(key[k]) }
            var col = leadingKeys.count
            for a in aggFns {
                let vals = try a.fn(members)
                for v in vals { outColumns[col].1.append(v); col += 1 }
            }
        }
        var seen = Set<String>()
        let columns = outColumns.map { (name, values) -> Column in
            var n = name
            var k = 2
            while !seen.insert(n).inserted { n = "\(name)\(k)"; k += 1 }
            return makeColumn(n, values, zone: ws.settings.timeZone)
        }
        return .table(Table(columns))
    }

    static func timeColumn(_ t: Table) -> Column? {
        for name in ["ts", "time", "timestamp", "exch_ts"] {
            if let c = t.column(named: name), case .timestamp = c.data { return c }
        }
        return t.columns.first { if case .timestamp = $0.data { true } else { false } }
    }

    static func containsAggregate(_ e: Expr) -> Bool {
        switch e {
        case .call(let name, _, let args, _):
            if IndicatorFunctions.isIndicator(e) { return args.contains { containsAggregate($0.value) } }
            return aggregateNames.contains(name) && !(name == "min" || name == "max") || (name == "min" || name == "max") && args.count == 1
                || args.contains { containsAggregate($0.value) }
        case .name(let n, _): return n == "count"
        case .binary(_, let a, let b, _): return containsAggregate(a) || containsAggregate(b)
        case .unary(_, let a, _): return containsAggregate(a)
        default: return false
        }
    }

    /// Whether an indicator (a column function) appears in `e`.
    static func containsIndicator(_ e: Expr) -> Bool {
        switch e {
        case .call(_, _, let args, _): return IndicatorFunctions.isIndicator(e) || args.contains { containsIndicator($0.value) }
        case .binary(_, let a, let b, _): return containsIndicator(a) || containsIndicator(b)
        case .unary(_, let a, _): return containsIndicator(a)
        default: return false
        }
    }

    static func defaultName(_ e: Expr) -> String {
        if let n = IndicatorFunctions.defaultName(e, source: nil) { return n }
        if case .call(let name, _, let args, _) = e, args.count == 1, let n = IndicatorFunctions.defaultName(args[0].value, source: nil) {
            return name + "_" + n
        }
        switch e {
        case .name(let n, _): return n
        case .call(let name, _, let args, _):
            if let first = args.first, case .name(let a, _) = first.value { return name == "count" ? "count" : "\(name)_\(a)" }
            return name
        case .member(_, let name, _, _): return name
        default: return "value"
        }
    }

    static func uniqueName(_ c: MithaiLanguage.Query.Column, _ existing: [Column]) -> String {
        let base = c.label ?? defaultName(c.expr)
        var n = base, k = 2
        while existing.contains(where: { $0.name == n }) { n = "\(base)\(k)"; k += 1 }
        return n
    }

    // MARK: - Compilation of row expressions

    static func compile(_ e: Expr, _ t: Table, session: Session, ws: inout Workspace) throws(WorkbenchError) -> RowFn {
        switch e {
        case .name(let n, let r):
            if let c = t.column(named: n) { return { row in c.value(at: row) } }
            if let v = ws[n] { return { _ in v } }
            throw .at(r, "unknown column '\(n)'", suggestions: Suggest.names(for: n, among: t.columnNames + ws.names),
                      notes: ["columns: " + t.columnNames.joined(separator: " ")])
        case .binary(let op, let a, let b, let r):
            let fa = try compile(a, t, session: session, ws: &ws), fb = try compile(b, t, session: session, ws: &ws)
            let ar = a.range, br = b.range
            return { row throws(WorkbenchError) in
                let x = try fa(row)
                if op == .and, case .bool(false) = x { return .bool(false) }
                if op == .or, case .bool(true) = x { return .bool(true) }
                let y = try fb(row)
                if case .none = x { return op == .notEqual ? .bool(!isNone(y)) : op == .equal ? .bool(isNone(y)) : .none }
                if case .none = y { return op == .notEqual ? .bool(true) : op == .equal ? .bool(false) : .none }
                // A time of day compared with a timestamp means that time on the timestamp's day.
                if case .timestamp(let ts, let z) = x, case .time(let tod) = y {
                    return try Evaluator.apply(op, x, .timestamp(sameDay(ts, tod, z), zone: z), range: r, leftRange: ar, rightRange: br)
                }
                if case .time(let tod) = x, case .timestamp(let ts, let z) = y {
                    return try Evaluator.apply(op, .timestamp(sameDay(ts, tod, z), zone: z), y, range: r, leftRange: ar, rightRange: br)
                }
                return try Evaluator.apply(op, x, y, range: r, leftRange: ar, rightRange: br)
            }
        case .unary(let op, let a, let r):
            let fa = try compile(a, t, session: session, ws: &ws)
            return { row throws(WorkbenchError) in
                let v = try fa(row)
                switch (op, v) {
                case (.negate, .number(let n)): return .number(-n)
                case (.negate, .duration(let d)): return .duration(-d)
                case (.not, .bool(let b)): return .bool(!b)
                case (_, .none): return .none
                default: throw .at(r, "cannot apply '\(op.rawValue)' to \(v.kindName)")
                }
            }
        case .call(let name, let nameRange, let args, _):
            if IndicatorFunctions.isIndicator(e) { return try IndicatorFunctions.rowFunction(e, t, session: session, ws: &ws) }
            if aggregateNames.contains(name) && !((name == "min" || name == "max") && args.count > 1) {
                throw .at(nameRange, "'\(name)' is an aggregate: use it in 'select' (with or without 'by')")
            }
            var fns: [RowFn] = []
            for a in args { fns.append(try compile(a.value, t, session: session, ws: &ws)) }
            let s = session
            return { row throws(WorkbenchError) in
                var values: [Value] = []
                for f in fns { values.append(try f(row)) }
                var scratch = Workspace()
                return try Functions.scalar(name, values, range: nameRange, args: args, session: s, ws: &scratch)
            }
        case .member(let base, let name, let nameRange, _):
            // `x.y` inside a query is a workspace value's field.
            var ev = Evaluator(session: session)
            let v = try ev.evaluate(.member(base, name: name, nameRange: nameRange, e.range), in: &ws)
            return { _ in v }
        default:
            var ev = Evaluator(session: session)
            let v = try ev.evaluate(e, in: &ws)
            return { _ in v }
        }
    }

    static func isNone(_ v: Value) -> Bool { if case .none = v { true } else { false } }

    static func sameDay(_ ts: Int64, _ tod: Int64, _ zone: String) -> Int64 {
        let offset = Int64(Format.utcOffset(ts, zone: zone)) * 1_000_000_000
        let local = ts + offset
        let day = local >= 0 ? local / 86_400_000_000_000 : (local - 86_400_000_000_000 + 1) / 86_400_000_000_000
        return day * 86_400_000_000_000 + tod - offset
    }

    // MARK: - Aggregates

    static func compileAggregate(_ c: MithaiLanguage.Query.Column, _ t: Table, session: Session,
                                 ws: inout Workspace) throws(WorkbenchError) -> ([String], AggFn) {
        let e = c.expr
        if case .name("count", _) = e { return ([c.label ?? "count"], { rows in [.number(Number(rows.count))] }) }
        guard case .call(let name, let nameRange, let args, _) = e, aggregateNames.contains(name) else {
            // An expression over aggregates, e.g. `max px - min px`.
            if case .binary(let op, let a, let b, let r) = e {
                let (_, fa) = try compileAggregate(.init(label: nil, expr: a, range: a.range), t, session: session, ws: &ws)
                let (_, fb) = try compileAggregate(.init(label: nil, expr: b, range: b.range), t, session: session, ws: &ws)
                return ([c.label ?? "value"], { rows throws(WorkbenchError) in
                    let x = try fa(rows)[0], y = try fb(rows)[0]
                    if isNone(x) || isNone(y) { return [.none] }
                    return [try Evaluator.apply(op, x, y, range: r, leftRange: a.range, rightRange: b.range)]
                })
            }
            throw .at(e.range, "expected an aggregate such as 'last px' or 'count()'")
        }
        let label = c.label ?? defaultName(e)
        var fns: [RowFn] = []
        for a in args { fns.append(try compile(a.value, t, session: session, ws: &ws)) }
        func need(_ n: Int) throws(WorkbenchError) {
            guard fns.count == n else { throw .at(nameRange, "\(name) takes \(n) argument\(n == 1 ? "" : "s"), got \(fns.count)") }
        }
        func numbers(_ f: RowFn, _ rows: [Int], _ r: SourceRange) throws(WorkbenchError) -> [Number] {
            var out: [Number] = []
            out.reserveCapacity(rows.count)
            for row in rows {
                switch try f(row) {
                case .number(let n): out.append(n)
                case .none: continue
                case let other: throw .at(r, "\(name) needs numbers, got \(other.kindName)")
                }
            }
            return out
        }
        switch name {
        case "count":
            if fns.isEmpty { return ([label], { rows in [.number(Number(rows.count))] }) }
            let f = fns[0]
            return ([label], { rows throws(WorkbenchError) in
                var n = 0
                for r in rows where !isNone(try f(r)) { n += 1 }
                return [.number(Number(n))]
            })
        case "first", "last":
            try need(1)
            let f = fns[0]
            return ([label], { rows throws(WorkbenchError) in
                guard let r = name == "first" ? rows.first : rows.last else { return [.none] }
                return [try f(r)]
            })
        case "min", "max":
            try need(1)
            let f = fns[0]
            return ([label], { rows throws(WorkbenchError) in
                var best: Value = .none
                for r in rows {
                    let v = try f(r)
                    if isNone(v) { continue }
                    if isNone(best) { best = v; continue }
                    guard let cmp = Evaluator.compare(v, best) else { throw .at(nameRange, "\(name) of values that cannot be compared") }
                    if (name == "min" && cmp < 0) || (name == "max" && cmp > 0) { best = v }
                }
                return [best]
            })
        case "sum":
            try need(1)
            let f = fns[0], r0 = args[0].range
            return ([label], { rows throws(WorkbenchError) in
                // Sum durations as durations, numbers exactly where possible.
                var total = Number(0)
                var durations: Int64?
                for r in rows {
                    switch try f(r) {
                    case .number(let n): total = total + n
                    case .duration(let d): durations = (durations ?? 0) + d
                    case .none: continue
                    case let other: throw .at(r0, "sum needs numbers, got \(other.kindName)")
                    }
                }
                if let durations { return [.duration(durations)] }
                return [.number(total)]
            })
        case "avg", "med", "dev":
            try need(1)
            let f = fns[0], r0 = args[0].range
            return ([label], { rows throws(WorkbenchError) in
                let xs = try numbers(f, rows, r0).map(\.double)
                guard !xs.isEmpty else { return [.none] }
                switch name {
                case "avg": return [.number(.real(xs.reduce(0, +) / Double(xs.count)))]
                case "med": return [.number(.real(Stats.percentile(xs.sorted(), 50)))]
                default:
                    let m = xs.reduce(0, +) / Double(xs.count)
                    return [.number(.real((xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()))]
                }
            })
        case "pct":
            try need(2)
            let f = fns[0], r0 = args[0].range
            var ev = Evaluator(session: session)
            guard case .number(let p) = try ev.evaluate(args[1].value, in: &ws), (0...100).contains(p.double) else {
                throw .at(args[1].range, "pct needs a constant percentile between 0 and 100, e.g. pct(px, 95)")
            }
            return ([label], { rows throws(WorkbenchError) in
                let xs = try numbers(f, rows, r0).map(\.double).sorted()
                return xs.isEmpty ? [.none] : [.number(.real(Stats.percentile(xs, p.double)))]
            })
        case "vwap", "wavg":
            try need(2)
            // vwap(px, qty): weights second; wavg(w, x): weights first (q convention).
            let (fx, fw) = name == "vwap" ? (fns[0], fns[1]) : (fns[1], fns[0])
            let rw = name == "vwap" ? args[1].range : args[0].range
            return ([label], { rows throws(WorkbenchError) in
                var sw = 0.0, swx = 0.0
                for r in rows {
                    guard case .number(let x) = try fx(r) else { continue }
                    guard case .number(let w) = try fw(r) else { throw .at(rw, "\(name) needs numeric weights") }
                    sw += w.double
                    swx += w.double * x.double
                }
                return [sw == 0 ? .none : .number(.real(swx / sw))]
            })
        case "ohlc":
            try need(1)
            let f = fns[0]
            let names = c.label.map { l in ["open", "high", "low", "close"].map { "\(l)_\($0)" } } ?? ["open", "high", "low", "close"]
            return (names, { rows throws(WorkbenchError) in
                var o: Value = .none, h: Value = .none, l: Value = .none, cl: Value = .none
                for r in rows {
                    let v = try f(r)
                    if isNone(v) { continue }
                    if isNone(o) { o = v; h = v; l = v }
                    if let c = Evaluator.compare(v, h), c > 0 { h = v }
                    if let c = Evaluator.compare(v, l), c < 0 { l = v }
                    cl = v
                }
                return [o, h, l, cl]
            })
        default:
            throw .at(nameRange, "unknown aggregate '\(name)'")
        }
    }

    // MARK: - Building columns from values

    /// A typed column from values of one kind; mixed or unknown kinds become text.
    static func makeColumn(_ name: String, _ values: [Value], zone: String) -> Column {
        var kind: Int = 0 // 0 unknown, 1 exact, 2 real, 3 timestamp, 4 duration, 5 text, 6 bool
        var scale = 0
        var tsZone = zone
        for v in values {
            let k: Int
            switch v {
            case .none: continue
            case .number(.decimal(_, let s)): k = 1; scale = max(scale, s)
            case .number(.real): k = 2
            case .timestamp(_, let z): k = 3; tsZone = z
            case .duration: k = 4
            case .bool: k = 6
            default: k = 5
            }
            if kind == 0 { kind = k } else if kind != k { kind = (kind == 1 && k == 2) || (kind == 2 && k == 1) ? 2 : 5 }
        }
        switch kind {
        case 1:
            let ints: [Int64]? = values.allSatisfy({ if case .number(.decimal(_, 0)) = $0 { true } else { isNone($0) } }) ? values.map {
                if case .number(.decimal(let m, _)) = $0 { m } else { Column.null }
            } : nil
            if let ints, scale == 0 { return Column(name, .int(ints)) }
            var out: [Int64] = []
            out.reserveCapacity(values.count)
            for v in values {
                guard case .number(.decimal(let m, let s)) = v else { out.append(Column.null); continue }
                var x = m
                for _ in s..<scale { x = x.multipliedReportingOverflow(by: 10).partialValue }
                out.append(x)
            }
            return Column(name, .decimal(out, scale: scale))
        case 2: return Column(name, .real(values.map { if case .number(let n) = $0 { n.double } else { .nan } }))
        case 3: return Column(name, .timestamp(values.map { if case .timestamp(let t, _) = $0 { t } else { Column.null } }, zone: tsZone))
        case 4: return Column(name, .duration(values.map { if case .duration(let d) = $0 { d } else { Column.null } }))
        case 6: return Column(name, .bool(values.map { if case .bool(let b) = $0 { b } else { false } }))
        default: return Column(name, .text(values.map { $0.display }))
        }
    }
}

/// Small statistics helpers shared by queries and reports.
public enum Stats {
    /// Linear-interpolation percentile of sorted values, p in 0...100.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        if sorted.count == 1 { return sorted[0] }
        let rank = p / 100 * Double(sorted.count - 1)
        let lo = Int(rank.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - Double(lo))
    }
}
