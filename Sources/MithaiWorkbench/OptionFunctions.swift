import Foundation
import MithaiLanguage
import MithaiEngine

/// Black–Scholes functions usable in any expression and query:
///
///     bs_price(kind, spot, strike, years, rate, vol[, yield])      kind: "call" | "put"
///     bs_delta / bs_gamma / bs_vega / bs_theta / bs_rho(same arguments)
///     implied_vol(kind, price, spot, strike, years, rate[, yield])
///
/// Units as `BlackScholes` (annual rates and volatility, years; vega per 1.00 of vol, theta
/// per year). Numbers in, a real number out; no implied volatility is an error with the reason.
enum OptionFunctions {
    static let names = ["bs_price", "bs_delta", "bs_gamma", "bs_vega", "bs_theta", "bs_rho", "implied_vol"]

    static func call(_ name: String, _ values: [Value], range: SourceRange, args: [Argument]) throws(WorkbenchError) -> Value {
        let usage = name == "implied_vol" ? "implied_vol(\"call\"|\"put\", price, spot, strike, years, rate[, yield])"
            : "\(name)(\"call\"|\"put\", spot, strike, years, rate, vol[, yield])"
        guard values.count == 6 || values.count == 7 else {
            throw .at(range, "\(name) takes 6 or 7 arguments", notes: ["usage: \(usage)"])
        }
        let kindText: String
        switch values[0] {
        case .string(let s): kindText = s.lowercased()
        default:
            if case .name(let n, _) = args[0].value { kindText = n.lowercased() } else {
                throw .at(args[0].range, "the first argument is \"call\" or \"put\"", notes: ["usage: \(usage)"])
            }
        }
        guard let kind = BlackScholes.Kind(rawValue: kindText == "c" ? "call" : kindText == "p" ? "put" : kindText) else {
            throw .at(args[0].range, "the first argument is \"call\" or \"put\", not '\(kindText)'")
        }
        var x: [Double] = []
        for i in 1..<values.count {
            guard case .number(let n) = values[i] else { throw .at(args[i].range, "\(name) needs a number here, got \(values[i].kindName)", notes: ["usage: \(usage)"]) }
            x.append(n.double)
        }
        let q = x.count == 6 ? x[5] : 0
        if name == "implied_vol" {
            let (price, spot, strike, years, rate) = (x[0], x[1], x[2], x[3], x[4])
            guard spot > 0, strike > 0 else { throw .at(range, "spot and strike must be positive") }
            do {
                return .number(.real(try BlackScholes.impliedVolatility(kind, price: price, spot: spot, strike: strike, years: years, rate: rate, yield: q)))
            } catch {
                throw .at(range, "\(error)")
            }
        }
        let (spot, strike, years, rate, vol) = (x[0], x[1], x[2], x[3], x[4])
        guard spot > 0, strike > 0 else { throw .at(range, "spot and strike must be positive") }
        guard vol >= 0, years >= 0 else { throw .at(range, "volatility and time must not be negative") }
        let g = BlackScholes.evaluate(kind, spot: spot, strike: strike, years: years, rate: rate, volatility: vol, yield: q)
        switch name {
        case "bs_price": return .number(.real(g.price))
        case "bs_delta": return .number(.real(g.delta))
        case "bs_gamma": return .number(.real(g.gamma))
        case "bs_vega": return .number(.real(g.vega))
        case "bs_theta": return .number(.real(g.theta))
        default: return .number(.real(g.rho))
        }
    }
}
