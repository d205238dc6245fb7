import Foundation
import MithaiEngine
import MithaiMarketData
import MithaiWorkbench

extension Benchmarks {
    /// `mithai bench strategy KIND FILE`: the speed of one market-making strategy (grid, spread,
    /// as, glft) with the bench configuration (risk-averse queue, 10 ms latency, no partial
    /// fills, maker -0.5 bp, taker 7 bp, decisions every 100 ms, 0.1 per order, limit 5), each
    /// kind at its documented defaults, optionally with the shared guard and sizing, and
    /// optionally as `instruments` copies of the file in one multi-instrument run (to measure
    /// the lane overhead). Prints one JSON line: the median of `repeats` run times.
    public static func strategy(kind: String, path: String, tick: String?, lot: String?, format: String?, repeats: Int,
                                instruments: Int, guardMode: String?, sizingMode: String?, cache: Bool) -> Int32 {
        let output = StandardOutput()
        do {
            let expanded = (path as NSString).expandingTildeInPath
            let cacheDirectory = cache ? DataCommands.cacheFolder(for: expanded, home: FileManager.default.currentDirectoryPath) : nil
            let dataset = try DatasetLoader.load(path: expanded, format: format.flatMap(DataFormat.init(rawValue:)),
                                                 tick: tick.flatMap(ExactDecimal.init), lot: lot.flatMap(ExactDecimal.init),
                                                 cacheDirectory: cacheDirectory)
            var config = BacktestConfiguration.benchGrid
            config.tickSize = dataset.instrument.tickSize
            config.lotSize = dataset.instrument.lotSize
            let lots = { (units: Double) in Lots((units / dataset.instrument.lotSize.doubleValue).rounded()) }
            let adverse: AdverseSelectionParameters? = guardMode.flatMap { $0 == "off" ? nil : AdverseSelectionParameters(pull: $0 == "pull") }
            let sizing: VolatilitySizingParameters? = sizingMode.flatMap {
                $0 == "off" ? nil : VolatilitySizingParameters(model: $0 == "garch" ? .garch(omega: 0.000001, alpha: 0.1, beta: 0.85) : .ewma(halfLife: 100))
            }
            let inventory = InventoryParameters(maxPosition: lots(5))
            let lane: BacktestRunner.LaneStrategy
            switch kind {
            case "grid":
                lane = .grid(GridParameters(orderQuantity: lots(0.1), maxPosition: lots(5), adverseSelection: adverse, sizing: sizing))
            case "spread":
                lane = .marketMaker(.spread(SpreadParameters(orderQuantity: lots(0.1), inventory: inventory, adverseSelection: adverse, sizing: sizing)))
            case "as":
                lane = .marketMaker(.avellanedaStoikov(ASParameters(orderQuantity: lots(0.1), inventory: inventory, adverseSelection: adverse, sizing: sizing)))
            case "glft":
                lane = .marketMaker(.glft(GLFTParameters(orderQuantity: lots(0.1), inventory: inventory, adverseSelection: adverse, sizing: sizing)))
            default:
                throw DataError(file: "strategy", "unknown strategy '\(kind)': grid, spread, as, glft")
            }
            var times: [Double] = []
            var fills = 0
            var net = ""
            for _ in 0..<max(1, repeats) {
                let start = ContinuousClock.now
                let results: [BacktestResult] = dataset.withEvents { events in
                    BacktestRunner.withExchangeFeed(events) { ex in
                        if instruments <= 1 {
                            switch lane {
                            case .grid(let g): return [BacktestRunner.runGrid(config, grid: g, base: dataset.baseTick, exchangeFeed: ex, localFeed: events).result]
                            case .marketMaker(let m): return [BacktestRunner.runMarketMaker(config, model: m, base: dataset.baseTick, exchangeFeed: ex, localFeed: events)]
                            }
                        }
                        var lanes: [any BacktestLane] = (0..<instruments).map { _ in
                            BacktestRunner.lane(config, strategy: lane, base: dataset.baseTick, exchangeFeed: ex, localFeed: events)
                        }
                        return MultiBacktest.run(&lanes, decisionInterval: lane.decisionInterval).results
                    }
                }
                let e = ContinuousClock.now - start
                times.append(Double(e.components.seconds) + Double(e.components.attoseconds) / 1e18)
                fills = results.reduce(0) { $0 + $1.fills.count }
                net = results[0].valuation.scale.format(results[0].netPnL, fractionDigits: 6)
            }
            times.sort()
            let median = times[times.count / 2]
            let events = dataset.eventCount * max(1, instruments)
            output.write(json([
                ("tool", "\"mithai\""), ("workload", "\"strategy\""), ("strategy", "\"\(kind)\""),
                ("file", "\"\((path as NSString).lastPathComponent)\""), ("instruments", String(max(1, instruments))),
                ("guard", "\"\(guardMode ?? "off")\""), ("sizing", "\"\(sizingMode ?? "off")\""),
                ("events", String(events)), ("repeats", String(times.count)), ("run_seconds", number(median)),
                ("events_per_s", number(Double(events) / median, 0)), ("fills", String(fills)), ("pnl_net_first", net),
                ("peak_rss_mb", number(peakRSSMegabytes(), 1)),
            ]) + "\n", to: .out)
            return 0
        } catch {
            output.write("mithai bench strategy: \(error)\n", to: .err)
            return MithaiWorkbench.ExitCode.dataError.rawValue
        }
    }
}
