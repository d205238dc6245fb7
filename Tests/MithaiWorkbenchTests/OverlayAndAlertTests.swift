import Foundation
import MithaiLanguage
@testable import MithaiWorkbench
import MithaiPlotting
import MithaiEngine
import Testing

/// Overlays land on the right panels; alerts compile to the right values and survive only
/// successful statements; watchlists resolve symbols.
@Suite struct OverlayAndAlertTests {
    func session() -> (Session, CapturingSink) {
        let sink = CapturingSink()
        return (Session(options: SessionOptions(mode: .script, home: FileManager.default.temporaryDirectory.path), output: sink), sink)
    }

    /// A small bar table built with the query language from the bundled AMZN bars.
    func loadBars(_ s: Session) {
        let r = s.run(Source("load Datasets/derived/AMZN_2012-06-21_1min.csv as amzn cache=off\nbars = bars(amzn) | head 60", name: "t"))
        #expect(r.failure == nil)
    }

    func panels(_ s: Session, _ overlays: String) throws -> [Panel] {
        guard case .table(let t)? = s.workspace["bars"] else { Issue.record("no bars"); return [] }
        let text = "plot bars as candles with \(overlays)"
        let parsed = Parser.parse(Source(text, name: "t"))
        guard case .pipeline(let p) = parsed.statements[0], case .command(let c) = p.stages[0] else { Issue.record("parse"); return [] }
        let spec = s.registry.lookup("plot")!
        let bound = try Binder.bind(c, to: spec)
        var ctx = CommandContext(spec: spec, arguments: bound, input: nil, workspace: s.workspace, session: s, verbRange: c.verbRange, words: [])
        let base = try PlotCommand.panelsFor(t, kind: "candles", ctx: &ctx)
        let marks = ctx.exprs("table").filter { $0.word == "panel" }
        return try PlotCommand.addOverlays(to: base, table: t, kind: "candles", panelMarks: marks, ctx: &ctx)
    }

    @Test func overlaysGoOnThePricePanelAndOscillatorsBelow() throws {
        let (s, _) = session()
        loadBars(s)
        let p = try panels(s, "sma(close,5), bbands(close,5,2), vwap, rsi(close,14), macd(close,3,6,3), ema(close,4) panel")
        // price, volume, rsi, macd, ema (forced into its own panel).
        #expect(p.count == 5)
        #expect(p[0].series.map(\.style) == [.candles, .line, .band, .line, .line])
        #expect(p[0].series[3].dashType == 2)
        #expect(p[0].keyHeadroom > 0)
        #expect(p[2].yRange == 0...100 && p[2].referenceLines == [30, 70])
        #expect(p[3].series.map(\.style) == [.boxes, .boxes, .line, .line] && p[3].referenceLines == [0])
        #expect(p[4].series.count == 1 && p[4].yRange == nil)
        // Every panel shares the x range.
        #expect(Set(p.map { $0.xRange }).count == 1 && p[0].xRange != nil)
        // Warm-up is missing, not zero: the SMA's first 4 points are NaN.
        let sma = p[0].series[1].columns[1]
        #expect(sma.prefix(4).allSatisfy { $0.isNaN } && !sma[4].isNaN)
    }

    @Test func badOverlaysAreErrorsWithCarets() {
        let (s, sink) = session()
        loadBars(s)
        _ = sink.take()
        let r = s.run(Source("plot bars as candles with smaa(close,5)", name: "t"))
        #expect(r.failure == .dataError)
        #expect(sink.text.contains("unknown function 'smaa'") && sink.text.contains("did you mean"))
    }

    @Test func alertConditionsCompileToNamedValuesAndTicks() throws {
        let (s, _) = session()
        loadBars(s)
        #expect(s.run(Source("alert a when mid(amzn) > 224 and spread(amzn) > 5 ticks every 1m bell", name: "t")).failure == nil)
        let rule = s.workspace.alerts.rules[0]
        #expect(rule.condition == .and(.compare(.greater, .value("mid(amzn)"), .constant(224)),
                                       .compare(.greater, .value("spread(amzn)"), .constant(5 * 0.001))))
        #expect(rule.repeatMode == .every(60_000_000_000) && rule.bell)
        #expect(s.run(Source("alert d when drawdown(r7) > 2% or latency.p99 >= 1ms", name: "t")).failure == nil)
        #expect(s.workspace.alerts.rules[1].condition == .or(.compare(.greater, .value("drawdown%(r7)"), .constant(0.02)),
                                                            .compare(.greaterEqual, .value("latency.p99"), .constant(1_000_000))))
        // A failed statement leaves the alerts as they were.
        #expect(s.run(Source("alert b when mid(amzn) > 1; alert c when nope(amzn) > 1", name: "t"), bail: true).failure != nil)
        #expect(s.workspace.alerts.rules.map(\.name) == ["a", "d", "b"])
        #expect(s.run(Source("alert a off", name: "t")).failure == nil)
        #expect(s.workspace.alerts.rules.map(\.name) == ["d", "b"])
    }

    @Test func watchlistsResolveNamesAndSymbolsAndQuotesShowsThem() {
        let (s, sink) = session()
        loadBars(s)
        _ = sink.take()
        #expect(s.run(Source("watchlist w = amzn\nquotes w", name: "t")).failure == nil)
        #expect(sink.text.contains("amzn") && sink.text.contains("change_pct"))
        #expect(s.run(Source("quotes(amzn)", name: "t")).failure == nil)
        _ = sink.take()
        #expect(s.run(Source("watchlist v = zzz", name: "t")).failure == .dataError)
        #expect(sink.text.contains("neither a dataset nor the symbol"))
    }
}
