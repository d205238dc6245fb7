import Foundation
import MithaiLanguage

/// Evaluates expressions to values. Names resolve to workspace values; in a query, to
/// columns of the current row first (see `QueryEngine`, which evaluates whole columns).
struct Evaluator {
    let session: Session

    init(session: Session) { self.session = session }

    mutating func evaluate(_ e: Expr, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        switch e {
        case .literal(let lit, _):
            return Evaluator.value(of: lit, zone: ws.settings.timeZone)
        case .name(let n, let r):
            if n == "none" || n == "null" { return .none }
            if let v = ws[n] { return v }
            throw .at(r, "unknown name '\(n)'", suggestions: Suggest.names(for: n, among: ws.names + ["_"]),
                      notes: ws.names.isEmpty ? [] : ["defined: " + ws.names.joined(separator: " ")])
        case .path(let p, _):
            return .string(p)
        case .list(let items, _):
            var out: [Value] = []
            for item in items { out.append(try evaluate(item, in: &ws)) }
            return .list(out)
        case .range(let lo, let hi, let count, _):
            let a = try evaluate(lo, in: &ws), b = try evaluate(hi, in: &ws)
            var n: Int?
            if let count {
                guard case .number(let c) = try evaluate(count, in: &ws), let i = c.integer, i >= 1 else {
                    throw .at(count.range, "the point count after '/' must be a whole number >= 1")
                }
                n = Int(i)
            }
            return .range(a, b, count: n)
        case .unary(let op, let operand, let r):
            let v = try evaluate(operand, in: &ws)
            switch (op, v) {
            case (.negate, .number(let n)): return .number(-n)
            case (.negate, .duration(let d)): return .duration(-d)
            case (.not, .bool(let b)): return .bool(!b)
            default: throw .at(r, "cannot apply '\(op.rawValue)' to \(v.kindName)")
            }
        case .binary(let op, let l, let rr, let r):
            let a = try evaluate(l, in: &ws)
            if op == .and, case .bool(false) = a { return .bool(false) }
            if op == .or, case .bool(true) = a { return .bool(true) }
            let b = try evaluate(rr, in: &ws)
            return try Evaluator.apply(op, a, b, range: r, leftRange: l.range, rightRange: rr.range)
        case .member(let base, let name, let nameRange, _):
            let v = try evaluate(base, in: &ws)
            guard case .table(let t) = v else { throw .at(nameRange, "\(v.kindName) has no field '\(name)'") }
            guard let c = t.column(named: name) else {
                throw .at(nameRange, "no column '\(name)'", suggestions: Suggest.names(for: name, among: t.columnNames),
                          notes: ["columns: " + t.columnNames.joined(separator: " ")])
            }
            if t.rowCount == 1 { return c.value(at: 0) }
            return .list((0..<t.rowCount).map { c.value(at: $0) })
        case .call(let name, let nameRange, let args, _):
            if TableFunctions.names[name] != nil {
                return try TableFunctions.call(name, nameRange: nameRange, args: args, session: session, ws: &ws)
            }
            var values: [Value] = []
            for a in args { values.append(try evaluate(a.value, in: &ws)) }
            return try Functions.scalar(name, values, range: nameRange, args: args, session: session, ws: &ws)
        case .subquery(let p, _):
            return try session.evaluate(p, in: &ws)
        }
    }

    static func value(of lit: Literal, zone: String) -> Value {
        switch lit {
        case .number(let n): return .number(Number(n))
        case .duration(let d): return .duration(d)
        case .time(let t): return .time(t)
        case .date(let d): return .date(d)
        case .timestamp(let d, let tod, let offset):
            let local = d.daysSinceEpoch * 86_400_000_000_000 + tod
            if let offset { return .timestamp(local - Int64(offset) * 1_000_000_000, zone: zone) }
            // No zone written: the session's zone. Resolve the offset at that local time.
            let guess = local - Int64(Format.utcOffset(local, zone: zone)) * 1_000_000_000
            return .timestamp(local - Int64(Format.utcOffset(guess, zone: zone)) * 1_000_000_000, zone: zone)
        case .basisPoints(let n): return .number(Number(n) * .decimal(1, scale: 4))
        case .percent(let n): return .number(Number(n) * .decimal(1, scale: 2))
        case .speed(let n): return .number(Number(n))
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        }
    }

    /// Binary operators on scalar values.
    static func apply(_ op: BinaryOperator, _ a: Value, _ b: Value, range: SourceRange,
                      leftRange: SourceRange, rightRange: SourceRange) throws(WorkbenchError) -> Value {
        func mismatch() -> WorkbenchError {
            .at(range, "cannot apply '\(op.rawValue)' to \(a.kindName) and \(b.kindName)")
        }
        switch op {
        case .and, .or:
            guard case .bool(let x) = a, case .bool(let y) = b else { throw mismatch() }
            return .bool(op == .and ? x && y : x || y)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            guard let c = compare(a, b) else {
                if op == .equal { return .bool(false) }
                if op == .notEqual { return .bool(true) }
                throw mismatch()
            }
            switch op {
            case .equal: return .bool(c == 0)
            case .notEqual: return .bool(c != 0)
            case .less: return .bool(c < 0)
            case .lessEqual: return .bool(c <= 0)
            case .greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .in:
            let items: [Value]
            switch b {
            case .list(let l): items = l
            default: items = [b]
            }
            return .bool(items.contains { compare(a, $0) == 0 })
        case .add, .subtract, .multiply, .divide, .modulo:
            switch (a, b) {
            case (.number(let x), .number(let y)):
                switch op {
                case .add: return .number(x + y)
                case .subtract: return .number(x - y)
                case .multiply: return .number(x * y)
                case .divide:
                    if y.double == 0 { throw .at(rightRange, "division by zero") }
                    return .number(x / y)
                default:
                    guard let xi = x.integer, let yi = y.integer else { return .number(.real(fmod(x.double, y.double))) }
                    if yi == 0 { throw .at(rightRange, "division by zero") }
                    return .number(Number(xi % yi))
                }
            case (.duration(let x), .duration(let y)):
                switch op {
                case .add: return .duration(x &+ y)
                case .subtract: return .duration(x &- y)
                case .divide:
                    if y == 0 { throw .at(rightRange, "division by zero") }
                    return .number(Number(x) / Number(y))
                default: throw mismatch()
                }
            case (.duration(let d), .number(let n)), (.number(let n), .duration(let d)):
                if op == .multiply { return .duration(Int64((Number(d) * n).double.rounded())) }
                if op == .divide, case .duration = a {
                    if n.double == 0 { throw .at(rightRange, "division by zero") }
                    return .duration(Int64((Number(d) / n).double.rounded()))
                }
                throw mismatch()
            case (.time(let t), .duration(let d)):
                if op == .add { return .time(t + d) }
                if op == .subtract { return .time(t - d) }
                throw mismatch()
            case (.time(let x), .time(let y)) where op == .subtract:
                return .duration(x - y)
            case (.timestamp(let t, let z), .duration(let d)):
                if op == .add { return .timestamp(t + d, zone: z) }
                if op == .subtract { return .timestamp(t - d, zone: z) }
                throw mismatch()
            case (.timestamp(let x, _), .timestamp(let y, _)) where op == .subtract:
                return .duration(x - y)
            case (.string(let x), .string(let y)) where op == .add:
                return .string(x + y)
            default:
                throw mismatch()
            }
        }
    }

    /// Orders two scalars of comparable kinds; nil when they are not comparable.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : x > y ? 1 : 0 }
        switch (a, b) {
        case (.number(let x), .number(let y)): return Number.compare(x, y)
        case (.duration(let x), .duration(let y)), (.time(let x), .time(let y)): return cmp(x, y)
        case (.timestamp(let x, _), .timestamp(let y, _)): return cmp(x, y)
        case (.date(let x), .date(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.string(let x), .string(let y)): return cmp(x, y)
        case (.bool(let x), .bool(let y)): return cmp(x ? 1 : 0, y ? 1 : 0)
        case (.none, .none): return 0
        default: return nil
        }
    }
}

/// Scalar functions callable in expressions: `abs(x)`, `round(x, 2)`, ...
enum Functions {
    static let scalarNames = ["abs", "round", "floor", "ceil", "sqrt", "log", "exp", "min", "max", "len"] + OptionFunctions.names

    static func scalar(_ name: String, _ values: [Value], range: SourceRange, args: [Argument],
                       session: Session, ws: inout Workspace) throws(WorkbenchError) -> Value {
        func number(_ i: Int) throws(WorkbenchError) -> Number {
            guard i < values.count else { throw .at(range, "\(name) needs \(i + 1) argument\(i == 0 ? "" : "s")") }
            guard case .number(let n) = values[i] else { throw .at(args[i].range, "\(name) needs a number, got \(values[i].kindName)") }
            return n
        }
        switch name {
        case "abs":
            let n = try number(0)
            return .number(Number.compare(n, Number(0)) < 0 ? -n : n)
        case "round":
            let n = try number(0)
            let places = values.count > 1 ? Int(try number(1).integer ?? 0) : 0
            let p = pow(10.0, Double(places))
            let r = (n.double * p).rounded() / p
            if places >= 0, places <= 9, let m = Int64(exactly: (n.double * p).rounded()) { return .number(.normalised(m, places)) }
            return .number(.real(r))
        case "floor": return .number(.real(floor(try number(0).double)))
        case "ceil": return .number(.real(ceil(try number(0).double)))
        case "sqrt":
            let x = try number(0).double
            if x < 0 { throw .at(args[0].range, "sqrt of a negative number") }
            return .number(.real(x.squareRoot()))
        case "log":
            let x = try number(0).double
            if x <= 0 { throw .at(args[0].range, "log of a number <= 0") }
            return .number(.real(Foundation.log(x)))
        case "exp": return .number(.real(Foundation.exp(try number(0).double)))
        case "min", "max":
            guard !values.isEmpty else { throw .at(range, "\(name) needs at least one argument") }
            let items: [Value] = values.count == 1 ? { if case .list(let l) = values[0] { l } else { values } }() : values
            var best = items[0]
            for v in items.dropFirst() {
                guard let c = Evaluator.compare(v, best) else { throw .at(range, "\(name) of values that cannot be compared") }
                if (name == "min" && c < 0) || (name == "max" && c > 0) { best = v }
            }
            return best
        case "len":
            guard let v = values.first else { throw .at(range, "len needs one argument") }
            switch v {
            case .table(let t): return .number(Number(t.rowCount))
            case .list(let l): return .number(Number(l.count))
            case .string(let s): return .number(Number(s.count))
            default: throw .at(args[0].range, "len of \(v.kindName)")
            }
        case _ where OptionFunctions.names.contains(name):
            return try OptionFunctions.call(name, values, range: range, args: args)
        default:
            if IndicatorFunctions.names.contains(name) {
                throw .at(range, "\(name) is an indicator over a table's column: use it in a query",
                          notes: ["for example: select ts, close, \(IndicatorFunctions.usage(name)) from bars"])
            }
            if let v = ws[name] {
                throw .at(range, "'\(name)' is \(v.kindName), not a function")
            }
            throw .at(range, "unknown function '\(name)'",
                      suggestions: Suggest.names(for: name, among: scalarNames + QueryEngine.aggregateNames + IndicatorFunctions.names.sorted() + ["from", "by", "where"]))
        }
    }
}
