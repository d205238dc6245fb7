import Foundation
import MithaiLanguage

/// One parameter of a strategy kind: its default, unit and meaning. The same table drives
/// `strategy` validation, `help strategy`, completion after a kind, and the backtest config.
public struct StrategyParameter: Sendable {
    public var name: String
    public var aliases: [String]
    public var defaultValue: Value
    public var unit: String
    public var summary: String
    /// Shown in the strategy's summary only when set to something else than its default
    /// (parameters added after runs were recorded, so those runs' digests stay valid).
    public var quietAtDefault = false
}

/// A strategy kind the engine implements, with its model reference.
public struct StrategyKind: Sendable {
    public var name: String
    public var summary: String
    public var reference: String
    public var parameters: [StrategyParameter]

    public func parameter(_ name: String) -> StrategyParameter? {
        parameters.first { $0.name == name || $0.aliases.contains(name) }
    }
}

/// A named, configured strategy: `strategy mm = grid levels=5`.
public final class StrategyObject: WorkspaceObject {
    public let kind = "strategy"
    public let name: String
    public let strategyKind: StrategyKind
    /// Every parameter of the kind, defaults filled in, in the kind's order.
    public let values: [(name: String, value: Value)]

    init(name: String, strategyKind: StrategyKind, values: [(name: String, value: Value)]) {
        self.name = name
        self.strategyKind = strategyKind
        self.values = values
    }

    public func value(_ name: String) -> Value? { values.first { $0.name == name }?.value }

    public var summary: String {
        let shown = values.filter { v in
            guard let p = strategyKind.parameter(v.name), p.quietAtDefault else { return true }
            return v.value.canonical != p.defaultValue.canonical
        }
        return "strategy \(name) = \(strategyKind.name) " + shown.map { "\($0.name)=\($0.value.display)" }.joined(separator: " ")
    }
    public var display: String { summary }
    public var canonical: String { summary }
}

public enum Strategies {
    /// The grid market maker of hftbacktest's grid-trading tutorial (bench_grid.py's defaults).
    public static let grid = StrategyKind(
        name: "grid",
        summary: "grid market maker: post-only quotes on a grid around the mid, one side dropped at the position limit",
        reference: "hftbacktest grid-trading tutorial (Nakagawa); ../shared/bench/hftbacktest/bench_grid.py",
        parameters: [
            StrategyParameter(name: "half_spread", aliases: ["spread"], defaultValue: .number(Number(20)), unit: "ticks",
                              summary: "distance from the mid to the first bid and ask"),
            StrategyParameter(name: "step", aliases: ["grid_interval"], defaultValue: .number(Number(10)), unit: "ticks",
                              summary: "grid interval: prices are multiples of it"),
            StrategyParameter(name: "levels", aliases: ["grid_levels"], defaultValue: .number(Number(20)), unit: "",
                              summary: "orders per side"),
            StrategyParameter(name: "qty", aliases: ["order_qty"], defaultValue: .number(.decimal(1, scale: 1)), unit: "units",
                              summary: "quantity of each order, in the instrument's units (e.g. BTC)"),
            StrategyParameter(name: "max_position", aliases: [], defaultValue: .number(Number(5)), unit: "units",
                              summary: "no more buying above +max_position, no more selling below -max_position"),
            StrategyParameter(name: "skew", aliases: [], defaultValue: .number(Number(0)), unit: "ticks per unit",
                              summary: "shifts the grid against the position: mid - skew × position"),
            StrategyParameter(name: "interval", aliases: ["decision_interval"], defaultValue: .duration(100_000_000), unit: "",
                              summary: "time between decisions (t0 + k × interval, t0 the first event's local time)"),
            StrategyParameter(name: "guard", aliases: [], defaultValue: .string("off"), unit: "off|widen|pull",
                              summary: "adverse-selection guard: widen or pull a side on order-flow imbalance, trade bursts, bad markouts",
                              quietAtDefault: true),
            StrategyParameter(name: "sizing", aliases: [], defaultValue: .string("off"), unit: "off|ewma|garch",
                              summary: "volatility-clustering sizing: smaller orders and a wider half spread when volatility is high",
                              quietAtDefault: true),
        ] + UnwindBinding.parameters)

    static func common(qty: Value = .number(.decimal(1, scale: 1)), maxPosition: Value = .number(Number(5))) -> [StrategyParameter] {
        [
            StrategyParameter(name: "qty", aliases: ["order_qty"], defaultValue: qty, unit: "units", summary: "quote size, in the instrument's units"),
            StrategyParameter(name: "max_position", aliases: [], defaultValue: maxPosition, unit: "units",
                              summary: "hard position limit; over it the strategy only reduces (reduce-only)"),
            StrategyParameter(name: "max_notional", aliases: [], defaultValue: .number(Number(0)), unit: "quote currency",
                              summary: "hard notional limit on |position × mid| (0 = none)"),
            StrategyParameter(name: "skew", aliases: [], defaultValue: .number(Number(0)), unit: "ticks per unit",
                              summary: "extra inventory skew: quotes shift by -skew × position"),
            StrategyParameter(name: "reference", aliases: [], defaultValue: .string("mid"), unit: "mid|microprice",
                              summary: "the fair price quotes are built around"),
            StrategyParameter(name: "requote", aliases: [], defaultValue: .number(Number(1)), unit: "ticks",
                              summary: "move a quote only when its price changes by at least this much"),
            StrategyParameter(name: "guard", aliases: [], defaultValue: .string("off"), unit: "off|widen|pull",
                              summary: "adverse-selection guard: widen or pull quotes on order-flow imbalance, trade bursts, bad markouts"),
            StrategyParameter(name: "sizing", aliases: [], defaultValue: .string("off"), unit: "off|ewma|garch",
                              summary: "volatility-clustering sizing: smaller quotes and wider spread when volatility is high"),
            StrategyParameter(name: "interval", aliases: ["decision_interval"], defaultValue: .duration(100_000_000), unit: "",
                              summary: "time between decisions"),
        ] + UnwindBinding.parameters
    }

    /// Fixed or volatility-scaled quotes around the mid or microprice.
    public static let spread = StrategyKind(
        name: "spread", summary: "one bid and one ask around the mid or microprice, fixed or volatility-scaled half spread",
        reference: "docs/STRATEGIES.md",
        parameters: [
            StrategyParameter(name: "half_spread", aliases: ["spread"], defaultValue: .number(Number(2)), unit: "ticks",
                              summary: "half spread (the minimum when vol_mult > 0)"),
            StrategyParameter(name: "vol_mult", aliases: [], defaultValue: .number(Number(0)), unit: "",
                              summary: "dynamic spread: half spread = max(half_spread, vol_mult × σ) with σ in ticks/√s (0 = fixed)"),
        ] + common())

    /// Avellaneda-Stoikov reservation price and optimal spread.
    public static let avellanedaStoikov = StrategyKind(
        name: "as", summary: "Avellaneda-Stoikov: reservation price r = s - q·γ·σ²·(T-t), optimal spread γσ²(T-t) + (2/γ)·ln(1 + γ/k)",
        reference: "Avellaneda & Stoikov (2008), High-frequency trading in a limit order book; docs/STRATEGIES.md",
        parameters: [
            StrategyParameter(name: "gamma", aliases: [], defaultValue: .number(.decimal(1, scale: 2)), unit: "", summary: "risk aversion γ"),
            StrategyParameter(name: "k", aliases: [], defaultValue: .number(.decimal(5, scale: 1)), unit: "per tick", summary: "order-arrival decay k"),
            StrategyParameter(name: "horizon", aliases: [], defaultValue: .duration(60_000_000_000), unit: "",
                              summary: "finite horizon T (a session that restarts every T); 0s = the infinite-horizon model"),
        ] + common())

    /// Guéant-Lehalle-Fernandez-Tapia with online calibration.
    public static let glft = StrategyKind(
        name: "glft", summary: "Guéant-Lehalle-Fernandez-Tapia closed form, arrival intensity A·exp(-k·δ) calibrated online from trades",
        reference: "Guéant, Lehalle & Fernandez-Tapia (2013), Dealing with the inventory risk; hftbacktest GLFT tutorial; docs/STRATEGIES.md",
        parameters: [
            StrategyParameter(name: "gamma", aliases: [], defaultValue: .number(.decimal(5, scale: 2)), unit: "", summary: "risk aversion γ"),
            StrategyParameter(name: "delta", aliases: [], defaultValue: .number(Number(1)), unit: "lots", summary: "order size Δ in the model"),
            StrategyParameter(name: "adj1", aliases: [], defaultValue: .number(Number(1)), unit: "", summary: "half-spread multiplier"),
            StrategyParameter(name: "adj2", aliases: [], defaultValue: .number(Number(1)), unit: "", summary: "skew multiplier"),
            StrategyParameter(name: "levels", aliases: [], defaultValue: .number(Number(1)), unit: "", summary: "quotes per side (a grid on top when > 1)"),
            StrategyParameter(name: "step", aliases: ["grid_interval"], defaultValue: .number(Number(0)), unit: "ticks",
                              summary: "grid interval when levels > 1 (0 = from the half spread)"),
            StrategyParameter(name: "recalibrate", aliases: [], defaultValue: .duration(5_000_000_000), unit: "",
                              summary: "how often A and k are re-fitted from recent trades"),
        ] + common())

    public static let all: [StrategyKind] = [grid, spread, avellanedaStoikov, glft]

    public static func kind(_ name: String) -> StrategyKind? { all.first { $0.name == name } }

    static let spec = CommandSpec(
        "strategy", category: "backtests",
        summary: "defines a named strategy of a kind with parameters, shows one, or lists them",
        parameters: [Parameter("name", .positional, .name, "the strategy's name (`strategy NAME = KIND key=value ...`)"),
                     Parameter("kind", .positional, .choice(all.map(\.name)), "the strategy kind")],
        examples: ["strategy mm = grid half_spread=20 step=10 levels=20 qty=0.1 max_position=5",
                   "strategy tight = grid spread=5 levels=5\nstrategy tight"],
        details: "Kinds: " + all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") + ". `help grid` lists a kind's parameters.",
        acceptsExtraOptions: true,
        handler: { ctx in try define(&ctx) })

    static func define(_ ctx: inout CommandContext) throws -> Value {
        var name: String?
        var kindName: String?
        var kindRange = ctx.verbRange
        var extras = ctx.arguments.extra[...]
        if let n = try ctx.word("name") { name = n }
        if let k = try ctx.word("kind") { kindName = k; kindRange = ctx.range("kind") }
        if name == nil, let first = extras.first {
            // `strategy mm = grid ...` parses as the option mm=grid.
            name = first.label
            kindName = try CommandContext.word(of: first.value)
            kindRange = first.value.range
            extras = extras.dropFirst()
        }
        guard let name else {
            let all = ctx.workspace.names.compactMap { n -> StrategyObject? in
                if case .object(let o) = ctx.workspace[n], let s = o.as(StrategyObject.self), s.name == n { s } else { nil }
            }
            return .table(Table([Column("name", .text(all.map(\.name))), Column("kind", .text(all.map(\.strategyKind.name))),
                                 Column("parameters", .text(all.map { $0.values.map { "\($0.name)=\($0.value.display)" }.joined(separator: " ") }))]))
        }
        guard let kindName else {
            guard case .object(let o) = ctx.workspace[name], let s = o.as(StrategyObject.self) else {
                throw WorkbenchError.at(ctx.range("name"), "no strategy named '\(name)'", notes: ["define one: strategy \(name) = grid levels=5"])
            }
            return table(s)
        }
        guard let kind = kind(kindName) else {
            throw WorkbenchError.at(kindRange, "unknown strategy kind '\(kindName)'",
                                    suggestions: Suggest.names(for: kindName, among: all.map(\.name)),
                                    notes: ["kinds: " + all.map(\.name).joined(separator: " ")])
        }
        guard ctx.session.registry.lookup(name) == nil else {
            throw WorkbenchError.at(ctx.range("name"), "'\(name)' is a command; choose another name")
        }
        var values = kind.parameters.map { (name: $0.name, value: $0.defaultValue) }
        for extra in extras {
            guard let p = kind.parameter(extra.label) else {
                let names = kind.parameters.map(\.name)
                throw WorkbenchError.at(extra.labelRange, "\(kind.name) has no parameter '\(extra.label)'",
                                        suggestions: Suggest.names(for: extra.label, among: names + kind.parameters.flatMap(\.aliases)),
                                        notes: ["parameters: " + names.joined(separator: " ")])
            }
            // Word-valued parameters (reference=microprice, guard=widen) are taken as written.
            let v: Value
            if case .string = p.defaultValue, let w = extra.value.word { v = .string(w) } else {
                v = try ctx.session.evaluate(extra.value, in: &ctx.workspace)
            }
            try check(v, for: p, range: extra.value.range)
            values[values.firstIndex { $0.name == p.name }!].value = v
        }
        let object = StrategyObject(name: name, strategyKind: kind, values: values)
        ctx.workspace.define(name, .object(ObjectRef(object)))
        return .object(ObjectRef(object))
    }

    static func check(_ v: Value, for p: StrategyParameter, range: SourceRange) throws(WorkbenchError) {
        switch (p.defaultValue, v) {
        case (.duration, .duration(let d)):
            if d <= 0 { throw .at(range, "\(p.name) must be positive") }
        case (.string, _):
            let allowed = p.unit.split(separator: "|").map(String.init)
            guard case .string(let w) = v, allowed.contains(w) else {
                throw .at(range, "\(p.name) is one of: \(allowed.joined(separator: " "))")
            }
        case (.number, .number(let n)):
            if n.double < 0 { throw .at(range, "\(p.name) must be >= 0") }
            if ["levels"].contains(p.name), n.integer == nil || n.double < 1 { throw .at(range, "\(p.name) must be a whole number >= 1") }
        default:
            throw .at(range, "\(p.name) takes \(p.defaultValue.kindName), got \(v.kindName)")
        }
    }

    static func table(_ s: StrategyObject) -> Value {
        .table(Table([
            Column("parameter", .text(s.values.map(\.name))),
            Column("value", .text(s.values.map(\.value.display))),
            Column("unit", .text(s.strategyKind.parameters.map(\.unit))),
            Column("default", .text(s.strategyKind.parameters.map(\.defaultValue.display))),
            Column("meaning", .text(s.strategyKind.parameters.map(\.summary))),
        ]))
    }

    /// `help grid`: a kind's parameters with defaults and units.
    static func help(_ kind: StrategyKind) -> String {
        var out = "strategy NAME = \(kind.name) " + kind.parameters.map { "[\($0.name)=\($0.defaultValue.display)]" }.joined(separator: " ")
        out += "\n\n  \(kind.summary)\n  Reference: \(kind.reference)\n\nParameters:\n"
        let width = (kind.parameters.map(\.name.count).max() ?? 8) + 2
        for p in kind.parameters {
            var line = "  " + p.name.padding(toLength: width, withPad: " ", startingAt: 0) + p.summary
            line += " (default \(p.defaultValue.display)\(p.unit.isEmpty ? "" : " " + p.unit))"
            if !p.aliases.isEmpty { line += "; also " + p.aliases.joined(separator: ", ") }
            out += line + "\n"
        }
        return out
    }
}
