import MithaiEngine
import Testing

/// Several instruments in one run (`MultiBacktest`) and their accounting in a base currency
/// (`Portfolio`).
@Suite struct MultiInstrumentTests {
    static let interval: Nanos = 100 * Time.millisecond

    /// The tiny feed as a second instrument: times shifted by `shift` ns, prices by `ticks`.
    static func shifted(_ feed: Feed, by shift: Nanos, ticks: Int32 = 0) -> Feed {
        func move(_ e: [Event]) -> [Event] {
            e.map { var x = $0; x.exchTime += shift; x.localTime += shift; if x.price != 0 { x.price += ticks }; return x }
        }
        return Feed(base: feed.base, exchange: move(feed.exchange), local: feed.local.map(move))
    }

    static func config(_ settings: BacktestSettings = BacktestSettings()) -> BacktestConfiguration {
        var c = BacktestConfiguration.benchGrid
        c.settings = settings
        return c
    }

    /// Runs the feeds as lanes of one run.
    static func multi(_ feeds: [Feed], _ strategy: BacktestRunner.LaneStrategy, configs: [BacktestConfiguration]? = nil) -> MultiBacktest.Result {
        func go(_ i: Int, _ buffers: [(UnsafeBufferPointer<Event>, UnsafeBufferPointer<Event>)]) -> MultiBacktest.Result {
            if i == feeds.count {
                var lanes: [any BacktestLane] = buffers.enumerated().map { k, b in
                    BacktestRunner.lane(configs?[k] ?? config(), strategy: strategy, base: feeds[k].base, exchangeFeed: b.0, localFeed: b.1)
                }
                return MultiBacktest.run(&lanes, decisionInterval: strategy.decisionInterval, checkEvery: 1)
            }
            return feeds[i].withFeeds { ex, lo in go(i + 1, buffers + [(ex, lo)]) }
        }
        return go(0, [])
    }

    /// One instrument alone, with its clock started at `origin` (nil: its own first event).
    static func single(_ feed: Feed, _ strategy: BacktestRunner.LaneStrategy, origin: Nanos?) -> BacktestResult {
        var c = config(BacktestSettings(clockOrigin: origin))
        c.settings.decisionInterval = strategy.decisionInterval
        return feed.withFeeds { ex, lo in
            switch strategy {
            case .grid(let p):
                return BacktestRunner.runGrid(c, grid: p, base: feed.base, exchangeFeed: ex, localFeed: lo).result
            case .marketMaker(let m):
                return BacktestRunner.runMarketMaker(c, model: m, base: feed.base, exchangeFeed: ex, localFeed: lo)
            }
        }
    }

    static func expectSame(_ a: BacktestResult, _ b: BacktestResult, _ what: String) {
        #expect(a.fills == b.fills, "\(what): fills")
        #expect(a.equity == b.equity, "\(what): equity")
        #expect(a.steps == b.steps && a.endTime == b.endTime && a.startTime == b.startTime, "\(what): clock")
        #expect(a.position == b.position && a.cash == b.cash && a.fees == b.fees && a.realized == b.realized, "\(what): ledger")
        #expect(a.exchangeEvents == b.exchangeEvents && a.localEvents == b.localEvents, "\(what): events")
        #expect(a.orders.count == b.orders.count && a.counters == b.counters, "\(what): orders")
        #expect(a.finalMarkHalfTicks == b.finalMarkHalfTicks, "\(what): final mark")
    }

    static let strategies: [(String, BacktestRunner.LaneStrategy)] = [
        ("grid", .grid(GridParameters(levels: 5, gridIntervalTicks: 2, halfSpreadTicks: 3, orderQuantity: 100, maxPosition: 1000))),
        ("spread", .marketMaker(.spread(SpreadParameters(halfSpreadTicks: 2, orderQuantity: 100)))),
        ("glft", .marketMaker(.glft(GLFTParameters(gamma: 0.05, orderQuantity: 100, levels: 3)))),
    ]

    @Test("a lane equals the same instrument run alone on the common clock, bit for bit")
    func lanesEqualSingleRunsOnTheCommonClock() {
        let a = StrategyFixture.tiny
        // Shifted by 1.234567 s: not a multiple of the interval, so the decision grids differ.
        let shift: Nanos = 1_234_567_000
        let b = Self.shifted(a, by: shift, ticks: 7)
        for (name, s) in Self.strategies {
            let m = Self.multi([a, b], s)
            #expect(m.results.count == 2)
            let t0 = a.exchange[0].exchTime < (a.local ?? a.exchange)[0].localTime ? a.exchange[0].exchTime : (a.local ?? a.exchange)[0].localTime
            #expect(m.startTime == t0)
            Self.expectSame(m.results[0], Self.single(a, s, origin: nil), "\(name) first instrument")
            Self.expectSame(m.results[1], Self.single(b, s, origin: t0), "\(name) second instrument, origin t0")
            #expect(!m.results[0].fills.isEmpty && !m.results[1].fills.isEmpty, "\(name) trades on both")
            // The lane starts at the last common grid point before its data; alone, the
            // instrument's clock starts at its first event: a grid shifted by 34.567 ms.
            #expect(m.results[1].startTime == t0 + shift / Self.interval * Self.interval)
            let alone = Self.single(b, s, origin: nil)
            #expect(alone.startTime == t0 + shift)
            #expect(alone.fills != m.results[1].fills, "\(name): a shifted grid trades differently")
        }
    }

    @Test("instruments starting together: the run is the union of the independent runs")
    func unionOfIndependentRuns() {
        let a = StrategyFixture.tiny
        let b = Self.shifted(a, by: 0, ticks: -25)
        for (name, s) in Self.strategies {
            let m = Self.multi([a, b], s)
            let ra = Self.single(a, s, origin: nil), rb = Self.single(b, s, origin: nil)
            Self.expectSame(m.results[0], ra, name)
            Self.expectSame(m.results[1], rb, name)
            #expect(m.steps == max(ra.steps, rb.steps))
        }
    }

    @Test("starts a whole number of intervals apart (700 ms, 3 days): the lanes are the single runs, and a gap costs no decisions")
    func startsOnTheGrid() {
        let a = StrategyFixture.tiny
        for shift in [700 * Time.millisecond, 3 * Time.day] {
            let b = Self.shifted(a, by: shift, ticks: 4)
            let s = Self.strategies[0].1
            let m = Self.multi([a, b], s)
            let ra = Self.single(a, s, origin: nil), rb = Self.single(b, s, origin: nil)
            Self.expectSame(m.results[0], ra, "first")
            Self.expectSame(m.results[1], rb, "second, \(shift) ns later")
            // The clock steps only where some lane runs (no 3 days of empty decisions).
            #expect(m.steps <= ra.steps + rb.steps)
        }
    }

    @Test("cancelling stops every lane at the same clock time with partial results")
    func cancellation() {
        let a = StrategyFixture.tiny, b = Self.shifted(a, by: 50 * Time.millisecond)
        let s = Self.strategies[0].1
        let m: MultiBacktest.Result = a.withFeeds { ea, la in
            b.withFeeds { eb, lb in
                var lanes: [any BacktestLane] = [
                    BacktestRunner.lane(Self.config(), strategy: s, base: a.base, exchangeFeed: ea, localFeed: la),
                    BacktestRunner.lane(Self.config(), strategy: s, base: b.base, exchangeFeed: eb, localFeed: lb),
                ]
                var asked = 0
                return MultiBacktest.run(&lanes, decisionInterval: Self.interval, checkEvery: 1) { _ in asked += 1; return asked < 20 }
            }
        }
        #expect(m.stoppedEarly && m.steps == 20)
        #expect(m.results.allSatisfy { $0.stoppedEarly && $0.steps == 20 && $0.endTime == m.endTime })
    }

    @Test("FX conversion into a base currency is exact and sums per-instrument money")
    func fxConversion() throws {
        let a = StrategyFixture.tiny, b = Self.shifted(a, by: 0, ticks: 3)
        let s = Self.strategies[0].1
        let m = Self.multi([a, b], s)
        let rates = FXRates(base: "USD", rates: [.init(currency: "USDT", rate: ExactDecimal("0.9998")!),
                                                 .init(currency: "INR", rate: ExactDecimal("0.012")!)])
        #expect(rates.description == "USD INR=0.012 USDT=0.9998")
        let p = try Portfolio(base: "USD", rates: rates, legs: [("btc", "USDT", m.results[0]), ("rel", "INR", m.results[1])])
        // Money unit of the legs: 0.1 × 0.001 / 10^5 = 1e-9; base unit: 10^-(9 + 4) (USDT's rate has 4 decimals).
        #expect(p.scale.unitScale == 13)
        for (i, rate) in [(0, "0.9998"), (1, "0.012")] {
            let net = m.results[i].netPnL
            let (mant, sc) = m.results[i].valuation.scale.decimal(net)
            let r = ExactDecimal(rate)!
            // Exact: net × rate as a decimal, compared digit for digit.
            let expected = formatted(mant * Int128(r.mantissa), scale: sc + Int(r.scale))
            #expect(p.scale.format(p.toBase(net, leg: i)) == expected)
        }
        #expect(p.total(\.netPnL) == p.toBase(m.results[0].netPnL, leg: 0) + p.toBase(m.results[1].netPnL, leg: 1))
        // The total equity curve ends at the converted final equities of both legs.
        let last = try #require(p.equity.last)
        #expect(last.equity == p.toBase(m.results[0].equity.last!.equity, leg: 0) + p.toBase(m.results[1].equity.last!.equity, leg: 1))
        #expect(last.fills == m.results[0].equity.last!.fills + m.results[1].equity.last!.fills)
        // Exposure: position × mid, long positive, converted.
        let e0 = p.exposure(leg: 0)
        #expect(e0 == m.results[0].valuation.mark(position: m.results[0].position, halfTicks: m.results[0].finalMarkHalfTicks))
        let (net, gross) = p.exposure
        #expect(net == p.toBase(p.exposure(leg: 0), leg: 0) + p.toBase(p.exposure(leg: 1), leg: 1))
        #expect(gross >= (net < .zero ? -net : net))
        // A currency without a rate is refused, naming it.
        #expect(throws: PortfolioError.missingRate(currency: "EUR", base: "USD", leg: "x")) {
            _ = try Portfolio(base: "USD", rates: rates, legs: [("x", "EUR", m.results[0])])
        }
    }

    func formatted(_ mantissa: Int128, scale: Int) -> String {
        var digits = String(mantissa.magnitude)
        var s = scale
        while s > 0 && digits.count > 1 && digits.hasSuffix("0") { digits.removeLast(); s -= 1 }
        if s > 0 {
            if digits.count <= s { digits = String(repeating: "0", count: s - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -s))
        }
        return (mantissa < 0 ? "-" : "") + digits
    }
}
