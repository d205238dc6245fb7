import Foundation
import Testing
@testable import MithaiEngine

/// Indicators against values computed independently (Fixtures/indicators/make_indicators.py,
/// window by window in Python, on a seeded synthetic walk and the real AMZN 1-minute bars),
/// and against cases worked by hand.
@Suite struct IndicatorTests {
    struct Case: Decodable {
        var name: String
        var series: String
        var params: [String: Double]
        var outputs: [String: [Double?]]
    }

    struct Series: Decodable {
        var close: [Double]
        var high: [Double]
        var low: [Double]
        var volume: [Double]
        var side: [Double]?
        var qty: [Double]?
        var ts: [Int64]?
        var session: [Int64]?
    }

    struct Fixture: Decodable {
        var series: [String: Series]
        var cases: [Case]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/indicators/indicators.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    /// Same missing positions; present values equal to 1e-9 relative (1e-9 absolute near 0).
    static func expectClose(_ got: [Double], _ want: [Double?], _ label: String) {
        #expect(got.count == want.count, "\(label): length")
        for (i, (g, w)) in zip(got, want).enumerated() {
            guard let w else {
                #expect(g.isNaN, "\(label)[\(i)]: expected missing, got \(g)")
                if !g.isNaN { return }
                continue
            }
            let ok = !g.isNaN && abs(g - w) <= 1e-9 * max(1, abs(w))
            #expect(ok, "\(label)[\(i)]: got \(g), want \(w)")
            if !ok { return }
        }
    }

    static func outputs(of c: Case, _ s: Series) -> [String: [Double]] {
        let p = c.params
        let n = Int(p["n"] ?? 0)
        switch c.name {
        case "sma": return ["value": Indicators.sma(s.close, n)]
        case "ema": return ["value": Indicators.ema(s.close, n)]
        case "wma": return ["value": Indicators.wma(s.close, n)]
        case "stddev": return ["value": Indicators.stddev(s.close, n)]
        case "bbands":
            let b = Indicators.bbands(s.close, n, p["k"]!)
            return ["upper": b.upper, "middle": b.middle, "lower": b.lower]
        case "zscore": return ["value": Indicators.zscore(s.close, n)]
        case "rvol": return ["value": Indicators.rvol(s.close, n)]
        case "rsi": return ["value": Indicators.rsi(s.close, n)]
        case "macd":
            let m = Indicators.macd(s.close, fast: Int(p["fast"]!), slow: Int(p["slow"]!), signal: Int(p["signal"]!))
            return ["line": m.line, "signal": m.signal, "histogram": m.histogram]
        case "atr": return ["value": Indicators.atr(high: s.high, low: s.low, close: s.close, n)]
        case "vwap_rolling": return ["value": Indicators.vwap(price: s.close, volume: s.volume, n)]
        case "vwap_session": return ["value": Indicators.vwap(price: s.close, volume: s.volume, session: s.session!)]
        case "vwap_time":
            return ["value": Indicators.vwap(price: s.close, volume: s.volume, time: s.ts!, window: Int64(p["window"]!))]
        case "tfi_rows": return ["value": Indicators.tradeFlowImbalance(sign: s.side!, quantity: s.qty!, n)]
        case "tfi_time":
            return ["value": Indicators.tradeFlowImbalance(sign: s.side!, quantity: s.qty!, time: s.ts!, window: Int64(p["window"]!))]
        default: Issue.record("no indicator for fixture case \(c.name)"); return [:]
        }
    }

    @Test func fixtureCoversEveryIndicatorOnBothSeries() {
        let f = IndicatorTests.fixture
        #expect(f.cases.count >= 40)
        #expect(f.series["amzn"]!.close.count == 387)
        let names = Set(f.cases.map(\.name))
        for n in ["sma", "ema", "wma", "stddev", "bbands", "zscore", "rvol", "rsi", "macd", "atr", "vwap_rolling", "vwap_session", "vwap_time", "tfi_rows", "tfi_time"] {
            #expect(names.contains(n), "fixture lacks \(n)")
        }
    }

    @Test("indicator matches the Python reference", arguments: IndicatorTests.fixture.cases.indices)
    func matchesReference(_ index: Int) {
        let c = IndicatorTests.fixture.cases[index]
        let got = IndicatorTests.outputs(of: c, IndicatorTests.fixture.series[c.series]!)
        #expect(Set(got.keys) == Set(c.outputs.keys))
        for (key, want) in c.outputs {
            IndicatorTests.expectClose(got[key] ?? [], want, "\(c.name)\(c.params) on \(c.series).\(key)")
        }
    }

    // MARK: - Worked by hand

    @Test func smaAndWmaByHand() {
        let x: [Double] = [1, 2, 3, 4, 5]
        IndicatorTests.expectClose(Indicators.sma(x, 3), [nil, nil, 2, 3, 4], "sma")
        // (1·1 + 2·2 + 3·3) / 6 = 14/6; (2 + 6 + 12) / 6 = 20/6; (3 + 8 + 15) / 6 = 26/6.
        IndicatorTests.expectClose(Indicators.wma(x, 3), [nil, nil, 14.0 / 6, 20.0 / 6, 26.0 / 6], "wma")
        #expect(Indicators.sma([], 3).isEmpty)
        let short = Indicators.sma([1, 2], 3).allSatisfy { $0.isNaN }
        #expect(short)
    }

    @Test func emaSeedsWithTheMeanByHand() {
        // n = 3, α = 0.5: seed (2 + 4 + 6) / 3 = 4, then 4 + 0.5·(8 − 4) = 6, 6 + 0.5·(0 − 6) = 3.
        IndicatorTests.expectClose(Indicators.ema([2, 4, 6, 8, 0], 3), [nil, nil, 4, 6, 3], "ema")
    }

    @Test func rsiByHand() {
        // n = 2. Changes +1, +1, −2, +1. Seed at index 2: gain 1, loss 0 → 100.
        // Index 3: gain (1·1 + 0)/2 = 0.5, loss (0 + 2)/2 = 1 → 100 − 100/1.5 = 33.33…
        // Index 4: gain (0.5 + 1)/2 = 0.75, loss (1 + 0)/2 = 0.5 → 100 − 100/2.5 = 60.
        IndicatorTests.expectClose(Indicators.rsi([10, 11, 12, 10, 11], 2), [nil, nil, 100, 100 - 100 / 1.5, 60], "rsi")
        IndicatorTests.expectClose(Indicators.rsi([5, 5, 5], 2), [nil, nil, 50], "flat rsi")
    }

    @Test func bollingerByHand() {
        // Window [1, 2, 3]: mean 2, population σ = √(2/3).
        let b = Indicators.bbands([1, 2, 3], 3, 2)
        let s = (2.0 / 3).squareRoot()
        IndicatorTests.expectClose(b.middle, [nil, nil, 2], "middle")
        IndicatorTests.expectClose(b.upper, [nil, nil, 2 + 2 * s], "upper")
        IndicatorTests.expectClose(b.lower, [nil, nil, 2 - 2 * s], "lower")
        IndicatorTests.expectClose(Indicators.zscore([1, 2, 3], 3), [nil, nil, 1 / s], "zscore")
        IndicatorTests.expectClose(Indicators.zscore([4, 4, 4], 3), [nil, nil, nil], "zscore of a flat window")
    }

    @Test func atrByHand() {
        // TR: 2 (H−L), max(1, |3−1|=2, |2−1|=1) = 2, max(3, |6−3|, |3−3|) = 3.
        // n = 2: ATR₁ = (2 + 2)/2 = 2, ATR₂ = (2·1 + 3)/2 = 2.5.
        let atr = Indicators.atr(high: [3, 3, 6], low: [1, 2, 3], close: [1, 3, 5], 2)
        IndicatorTests.expectClose(atr, [nil, 2, 2.5], "atr")
    }

    @Test func macdWarmUp() {
        let x = (0..<40).map { Double($0 % 7) + Double($0) / 3 }
        let m = Indicators.macd(x, fast: 3, slow: 5, signal: 4)
        let lineWarm = m.line.prefix(4).allSatisfy { $0.isNaN } && !m.line[4].isNaN
        #expect(lineWarm)
        let signalWarm = m.signal.prefix(7).allSatisfy { $0.isNaN } && !m.signal[7].isNaN
        #expect(signalWarm)
        let histWarm = m.histogram.prefix(7).allSatisfy { $0.isNaN }
        #expect(histWarm)
        #expect(abs(m.histogram[10] - (m.line[10] - m.signal[10])) < 1e-12)
    }

    @Test func bookAndFlowByHand() {
        // Bid 100 × 3, ask 101 × 1: imbalance (3 − 1)/4 = 0.5; microprice (101·3 + 100·1)/4 = 100.75.
        IndicatorTests.expectClose(Indicators.imbalance(bidSize: [3, 0], askSize: [1, 0]), [0.5, nil], "imbalance")
        IndicatorTests.expectClose(Indicators.microprice(bid: [100], bidSize: [3], ask: [101], askSize: [1]), [100.75], "microprice")
        // Buys 2 and 1, a sell of 1, an unknown: window 3 at the end = (1 − 1)/(1 + 1) = 0.
        let tfi = Indicators.tradeFlowImbalance(sign: [1, 1, -1, 0], quantity: [2, 1, 1, 5], 3)
        IndicatorTests.expectClose(tfi, [nil, nil, (3.0 - 1) / 4, 0], "tfi")
        // Session VWAP resets with the key.
        let v = Indicators.vwap(price: [10, 20, 30], volume: [1, 3, 2], session: [1, 1, 2])
        IndicatorTests.expectClose(v, [10, 17.5, 30], "vwap")
    }

    @Test func missingInputsAreSkippedNotZeroed() {
        let x: [Double] = [1, .nan, 2, 3, .nan, 4]
        let out = Indicators.skippingMissing([x]) { [Indicators.sma($0[0], 2)] }[0]
        IndicatorTests.expectClose(out, [nil, nil, 1.5, 2.5, nil, 3.5], "sma over gaps")
    }

    @Test func smallMovesOnLargePricesKeepTheirVariance() {
        // A price near 60,000 moving by a cent: naive Σx² − (Σx)²/n loses every digit.
        var x: [Double] = []
        for i in 0..<100_000 { x.append(60_000 + (i % 2 == 0 ? 0.01 : -0.01)) }
        let s = Indicators.stddev(x, 50)
        #expect(abs(s.last! - 0.01) < 1e-9)
        let m = Indicators.sma(x, 2)
        #expect(abs(m.last! - 60_000) < 1e-9)
    }
}
