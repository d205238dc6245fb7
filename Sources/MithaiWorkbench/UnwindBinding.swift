import MithaiLanguage
public import MithaiEngine

/// `unwind=twap unwind_at= unwind_to= unwind_over= unwind_slices= unwind_style=` on every
/// market-making strategy kind: the strategy is wrapped in an `InventoryUnwind`
/// (Sources/MithaiEngine/Backtest/Execution/InventoryUnwind.swift) in backtests and live
/// sessions. docs/EXECUTION.md, *Inventory unwinding*.
enum UnwindBinding {
    static let parameters: [StrategyParameter] = [
        StrategyParameter(name: "unwind", aliases: [], defaultValue: .string("off"), unit: "off|twap",
                          summary: "inventory unwind: at |position| ≥ unwind_at, stop adding and work a TWAP back to unwind_to",
                          quietAtDefault: true),
        StrategyParameter(name: "unwind_at", aliases: [], defaultValue: .number(Number(0)), unit: "units",
                          summary: "|position| that starts an unwind (with unwind=twap)", quietAtDefault: true),
        StrategyParameter(name: "unwind_to", aliases: [], defaultValue: .number(Number(0)), unit: "units",
                          summary: "position the unwind brings back", quietAtDefault: true),
        StrategyParameter(name: "unwind_over", aliases: [], defaultValue: .duration(5 * 60 * 1_000_000_000), unit: "",
                          summary: "length of the unwind's TWAP schedule", quietAtDefault: true),
        StrategyParameter(name: "unwind_slices", aliases: [], defaultValue: .number(Number(10)), unit: "",
                          summary: "slices of the unwind's TWAP", quietAtDefault: true),
        StrategyParameter(name: "unwind_style", aliases: [], defaultValue: .string("passive"), unit: "passive|aggressive",
                          summary: "passive: rest at the touch, take each slice's shortfall at its end; aggressive: take at once",
                          quietAtDefault: true),
    ]

    /// The unwind of strategy `s`, nil when `unwind=off`.
    static func parameters(_ s: StrategyObject, lot: ExactDecimal, range: SourceRange) throws(WorkbenchError) -> UnwindParameters? {
        func word(_ n: String, _ d: String) -> String { if case .string(let w) = s.value(n) { w } else { d } }
        let mode = word("unwind", "off")
        guard mode != "off" else { return nil }
        guard mode == "twap" else {
            throw .at(range, "\(s.name).unwind = \(mode): unwind is off or twap", suggestions: Suggest.names(for: mode, among: ["off", "twap"]))
        }
        func lots(_ n: String) throws(WorkbenchError) -> Lots {
            guard case .number(let q) = s.value(n), case .decimal(let m, let sc) = q,
                  let exact = ExactDecimal(mantissa: m, scale: Int8(sc)).multiple(of: lot) else {
                throw .at(range, "\(s.name).\(n) is not a whole number of lots (lot \(lot))")
            }
            return exact
        }
        let over: Nanos = { if case .duration(let d) = s.value("unwind_over") { d } else { 0 } }()
        let slices: Int = { if case .number(let n) = s.value("unwind_slices"), let k = n.integer { Int(k) } else { 0 } }()
        let style = word("unwind_style", "passive")
        guard style == "passive" || style == "aggressive" else { throw .at(range, "\(s.name).unwind_style is passive or aggressive") }
        let u = UnwindParameters(threshold: try lots("unwind_at"), target: try lots("unwind_to"), over: over, slices: slices,
                                 aggressive: style == "aggressive")
        if let p = u.problem { throw .at(range, "\(s.name): \(p)") }
        return u
    }

    /// `stats` rows of a run's unwinds.
    static func rows(_ r: RunObject) -> [(String, (String, Double))] {
        let us = r.result.unwinds
        guard !us.isEmpty else { return [] }
        let lot = r.valuation.lotSize.doubleValue
        var filled: Lots = 0, children = 0, weighted = 0.0, weight = 0.0
        for u in us {
            filled += u.filled
            children += u.childOrders
            if let s = u.slippageVsArrivalBps { weighted += s * Double(u.filled); weight += Double(u.filled) }
        }
        let slip = weight > 0 ? weighted / weight : Double.nan
        return [("unwinds", (String(us.count), Double(us.count))), ("unwind_filled", (Format.real(Double(filled) * lot), Double(filled) * lot)),
                ("unwind_child_orders", (String(children), Double(children))),
                ("unwind_slippage_arrival_bps", (slip.isNaN ? "" : Format.real(slip), slip))]
    }
}
