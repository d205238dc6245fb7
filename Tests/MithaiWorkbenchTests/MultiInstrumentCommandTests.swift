import Foundation
import MithaiLanguage
import MithaiWorkbench
import MithaiEngine
import Testing

/// `backtest STRAT on a, b`, `fx`, per-instrument statistics and tables, sweeps over several datasets.
@Suite struct MultiInstrumentCommandTests {
    func session() -> (Session, CapturingSink) {
        let sink = CapturingSink()
        return (Session(options: SessionOptions(mode: .script, home: FileManager.default.temporaryDirectory.path), output: sink), sink)
    }

    func run(_ s: Session, _ name: String) throws -> RunObject {
        guard case .object(let o) = try #require(s.workspace[name]), let r = o.as(RunObject.self) else { throw Failure("\(name) is not a run") }
        return r
    }

    func table(_ s: Session, _ text: String) throws -> Table {
        let r = s.run(Source(text))
        #expect(r.failure == nil)
        guard case .table(let t) = s.workspace.last else { throw Failure("\(text) gave no table") }
        return t
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static let setup = """
    load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn cache=off
    load Datasets/lobster/LOBSTER_SampleFile_AAPL_2012-06-21_1.zip as aapl cache=off
    strategy mm = grid half_spread=5 step=1 levels=3 qty=100 max_position=500
    """

    @Test("two instruments: one run whose lanes are the single runs on the common clock, with totals that add up")
    func twoInstruments() throws {
        let (s, sink) = session()
        let r = s.run(Source(Self.setup + """

        backtest mm on amzn, aapl from=10:00 to=10:30 bin=1m
        backtest mm on amzn from=10:00 to=10:30 bin=1m
        backtest mm on aapl from=10:00 to=10:30 bin=1m
        """))
        #expect(r.failure == nil, "\(sink.text)")
        let multi = try run(s, "r1"), amzn = try run(s, "r2"), aapl = try run(s, "r3")
        #expect(multi.legs.map(\.data.name) == ["amzn", "aapl"])
        // The lane whose data starts first sets the clock: it is its single run exactly.
        let first = multi.legs.map(\.result.startTime).min()!
        for (leg, alone) in zip(multi.legs, [amzn, aapl]) where alone.result.startTime == first {
            #expect(leg.result.fills == alone.result.fills && leg.result.netPnL == alone.result.netPnL)
        }
        #expect(multi.legs.allSatisfy { !$0.result.fills.isEmpty })
        // stats: a column per instrument, then the total, which adds the legs exactly (one currency: USD).
        let t = try table(s, "stats r1")
        #expect(t.columnNames == ["stat", "r1:amzn", "r1:aapl", "r1"])
        func cell(_ stat: String, _ col: String) throws -> String {
            let names = try #require(t.column(named: "stat")), c = try #require(t.column(named: col))
            guard case .text(let n) = names.data, case .text(let v) = c.data, let i = n.firstIndex(of: stat) else { throw Failure(stat) }
            return v[i]
        }
        #expect(try cell("currency", "r1") == "USD")
        let p = try #require(multi.portfolio).portfolio
        #expect(try cell("pnl_net", "r1") == p.scale.format(p.toBase(multi.legs[0].result.netPnL, leg: 0) + p.toBase(multi.legs[1].result.netPnL, leg: 1)))
        #expect(try cell("fills", "r1") == String(multi.legs[0].result.fills.count + multi.legs[1].result.fills.count))
        // fills() carries the instrument and filters by it; the total equity is there too.
        let all = try table(s, "fills(r1)"), one = try table(s, "fills(r1, aapl)")
        #expect(all.columnNames.first == "instrument" && all.rowCount == multi.legs[0].result.fills.count + multi.legs[1].result.fills.count)
        #expect(one.rowCount == multi.legs[1].result.fills.count)
        #expect(try table(s, "select n: count() by instrument from fills(r1)").rowCount == 2)
        #expect(try table(s, "equity(r1, total)").rowCount == p.equity.count)
        // A wrong instrument is named.
        s.run(Source("fills(r1, msft)"))
        #expect(sink.text.contains("r1 trades amzn, aapl"))
    }

    @Test("FX: totals in a base currency at the given rates, exact; a missing rate is refused")
    func fx() throws {
        let (s, sink) = session()
        var r = s.run(Source(Self.setup + "\nfx EUR USD=0.9\nbacktest mm on amzn, aapl from=10:00 to=10:10"))
        #expect(r.failure == nil, "\(sink.text)")
        let multi = try run(s, "r1")
        let p = try #require(multi.portfolio).portfolio
        #expect(p.base == "EUR" && p.legs.map(\.rate) == [ExactDecimal("0.9")!, ExactDecimal("0.9")!])
        for k in 0..<2 {
            let (m, sc) = multi.legs[k].result.valuation.scale.decimal(multi.legs[k].result.netPnL)
            let (b, bs) = p.scale.decimal(p.toBase(multi.legs[k].result.netPnL, leg: k))
            // b × 10^-bs == m × 9 × 10^-(sc + 1), exactly.
            #expect(b * pow(10, sc + 1) == m * 9 * pow(10, bs))
        }
        let rates = try table(s, "fx")
        #expect(rates.rowCount == 2)
        r = s.run(Source("fx GBP USD=0.8\nbacktest mm on amzn, aapl"))
        #expect(r.failure == nil)
        r = s.run(Source("fx INR USDT=83\nbacktest mm on amzn, aapl"))
        #expect(r.failure != nil)
        #expect(sink.text.contains("no FX rate for USD (amzn) into INR"))
    }

    func pow(_ b: Int128, _ k: Int) -> Int128 { var r: Int128 = 1; for _ in 0..<k { r *= b }; return r }

    @Test("a sweep over two datasets: each run equals the same backtest alone, bit for bit")
    func sweepOverTwoDatasets() throws {
        let (s, sink) = session()
        let r = s.run(Source(Self.setup + """

        sweep mm on amzn, aapl half_spread=3,5 from=10:00 to=10:20 jobs=2
        strategy one = grid half_spread=5 step=1 levels=3 qty=100 max_position=500
        backtest one on amzn, aapl from=10:00 to=10:20
        """))
        #expect(r.failure == nil, "\(sink.text)")
        let swept = try run(s, "r2").canonical, alone = try run(s, "r3").canonical
        #expect(swept.replacingOccurrences(of: "strategy mm", with: "strategy one") == alone)
        #expect(try run(s, "r2").legs.count == 2)
    }
}
