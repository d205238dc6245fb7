import Foundation
import MithaiLanguage
import MithaiEngine
import MithaiMarketData

/// Read-only views of a session for the server: datasets, strategies, runs, statistics, CSV
/// exports and book levels. Every function expects the caller to hold `Session.access`.
/// Errors are `LiveRequestError`s naming the request field.
public enum ServeQueries {
    public struct DatasetInfo: Sendable, Codable, Equatable {
        public var name: String
        public var symbol: String
        public var venue: String
        public var format: String
        public var events: Int
        public var orderByOrder: Bool
        public var from: Int64?
        public var to: Int64?
        public var fromText: String?
        public var toText: String?
        public var tickSize: String
        public var lotSize: String
        public var currency: String
    }

    public struct StrategyInfo: Sendable, Codable, Equatable {
        public var name: String
        public var kind: String
        public var params: [String: String]
    }

    public struct RunInfo: Sendable, Codable, Equatable {
        public var name: String
        public var strategy: String
        public var kind: String
        public var dataset: String
        public var status: String
        public var fills: Int
        public var position: Double
        public var pnlNet: Double
        public var sharpe: Double?
        public var maxDrawdown: Double
        public var winRate: Double?
    }

    public struct StatRow: Sendable, Codable, Equatable {
        public var stat: String
        public var text: String
        public var value: Double?
    }

    public struct RunDetail: Sendable, Codable, Equatable {
        public var run: RunInfo
        public var configuration: [String: String]
        public var params: [String: String]
        public var stats: [StatRow]
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var engineVersion: String
        public var datasets: [DatasetInfo]
        public var strategies: [StrategyInfo]
        public var strategyKinds: [String]
        public var runs: [RunInfo]
        /// Live markets of the workspace (`market NAME = ...`) and the instrument presets a
        /// start request may name as its market (a zero-intelligence market is defined for it).
        public var markets: [MarketInfo]
        public var presets: [String]
    }

    public struct MarketInfo: Sendable, Codable, Equatable {
        public var name: String
        /// zi, hawkes or replay.
        public var model: String
        public var symbols: [String]
    }

    public static func summary(_ session: Session) -> Summary {
        let ws = session.workspace
        let strategies: [StrategyInfo] = ws.names.compactMap { n in
            guard case .object(let o) = ws[n], let s = o.as(StrategyObject.self), s.name == n else { return nil }
            return StrategyInfo(name: s.name, kind: s.strategyKind.name,
                                params: Dictionary(uniqueKeysWithValues: s.values.map { ($0.name, $0.value.display) }))
        }
        let markets: [MarketInfo] = ws.names.compactMap { n in
            guard case .object(let o) = ws[n], let m = o.as(MarketObject.self), m.name == n else { return nil }
            return MarketInfo(name: m.name, model: m.model, symbols: m.replay.map { [$0.instrument.symbol] } ?? m.legs.map(\.instrument.symbol))
        }
        return Summary(engineVersion: Session.engineVersion, datasets: datasets(session), strategies: strategies,
                       strategyKinds: Strategies.all.map(\.name), runs: runs(session), markets: markets, presets: InstrumentPresets.keys)
    }

    public static func datasets(_ session: Session) -> [DatasetInfo] {
        DataCommands.allDatasets(session.workspace).map { d in
            let span = d.span
            return DatasetInfo(name: d.name, symbol: d.instrument.symbol, venue: d.instrument.venue, format: "\(d.dataset.format)",
                               events: d.dataset.eventCount, orderByOrder: d.dataset.isOrderByOrder,
                               from: span?.lowerBound, to: span?.upperBound,
                               fromText: span.map { Format.isoTimestamp($0.lowerBound, zone: d.zone) },
                               toText: span.map { Format.isoTimestamp($0.upperBound, zone: d.zone) },
                               tickSize: d.instrument.tickSize.description, lotSize: d.instrument.lotSize.description,
                               currency: d.instrument.currency)
        }
    }

    static func finite(_ x: Double?) -> Double? { x.flatMap { $0.isFinite ? $0 : nil } }

    static func info(_ r: RunObject) -> RunInfo {
        RunInfo(name: r.name, strategy: r.strategy.name, kind: r.strategy.strategyKind.name, dataset: r.data.name, status: r.status,
                fills: r.result.fills.count, position: Double(r.result.position) * r.valuation.lotSize.doubleValue,
                pnlNet: r.valuation.scale.double(r.result.netPnL), sharpe: finite(r.statistics.returns.sharpe),
                maxDrawdown: r.statistics.drawdown.maxValue, winRate: finite(r.statistics.trades.winRate))
    }

    public static func runs(_ session: Session) -> [RunInfo] {
        BacktestCommands.allRuns(session.workspace).map(info)
    }

    static func runObject(_ name: String, _ session: Session) throws(LiveRequestError) -> RunObject {
        let runs = BacktestCommands.allRuns(session.workspace)
        guard let r = runs.first(where: { $0.name == name }) else {
            throw LiveRequestError(field: "run", "no run named '\(name)'" + (runs.isEmpty ? "" : "; runs: " + runs.map(\.name).joined(separator: ", ")), status: 404)
        }
        return r
    }

    public static func run(_ name: String, _ session: Session) throws(LiveRequestError) -> RunDetail {
        let r = try runObject(name, session)
        return RunDetail(run: info(r), configuration: Dictionary(r.configurationText, uniquingKeysWith: { a, _ in a }),
                         params: Dictionary(uniqueKeysWithValues: r.strategy.values.map { ($0.name, $0.value.display) }),
                         stats: BacktestCommands.statisticsRows(r).map { StatRow(stat: $0.0, text: $0.1, value: finite($0.2)) })
    }

    /// The tables a run can be exported as.
    public static let exportTables = ["fills", "orders", "equity", "stats", "markouts"]

    /// A run's table (fills, orders, equity, stats, markouts) as CSV text, as `.mode csv` prints it.
    public static func csv(run name: String, table: String, _ session: Session) throws(LiveRequestError) -> String {
        let r = try runObject(name, session)
        let value: Value
        switch table {
        case "fills": value = .table(BacktestCommands.fills(r))
        case "orders": value = .table(BacktestCommands.orders(r))
        case "equity": value = .table(BacktestCommands.equity(r))
        case "stats":
            let rows = BacktestCommands.statisticsRows(r)
            value = .table(Table([Column("stat", .text(rows.map(\.0))), Column(r.name, .text(rows.map(\.1)))]))
        case "markouts":
            do { value = try BacktestCommands.markoutsTable(r, horizons: [100 * Time.millisecond, Time.second, 10 * Time.second]) } catch {
                throw LiveRequestError(field: "table", BacktestReplayControl.message(error), status: 422)
            }
        default:
            throw LiveRequestError(field: "table", "no table '\(table)'; tables: \(exportTables.joined(separator: ", "))", status: 404)
        }
        var style = session.style
        style.color = false
        style.maxRows = 0
        style.width = 0
        return Renderer.render(value, format: .csv, style: style)
    }

    public struct Markout: Sendable, Codable, Equatable {
        public var group: String
        public var horizon: Int64
        public var fills: Int
        public var moveTicks: Double?
        public var moveBps: Double?
        public var pnlTicks: Double?
    }

    /// Mean signed mid move after a run's fills, by group and horizon.
    public static func markouts(run name: String, horizons: [Int64], _ session: Session) throws(LiveRequestError) -> [Markout] {
        let r = try runObject(name, session)
        let table: Value
        do { table = try BacktestCommands.markoutsTable(r, horizons: horizons) } catch {
            throw LiveRequestError(field: "horizons", BacktestReplayControl.message(error), status: 422)
        }
        guard case .table(let t) = table else { return [] }
        func text(_ c: String) -> [String] { if case .text(let v)? = t.column(named: c)?.data { v } else { [] } }
        func ints(_ c: String) -> [Int64] {
            switch t.column(named: c)?.data {
            case .int(let v)?: v
            case .duration(let v)?: v
            default: []
            }
        }
        func reals(_ c: String) -> [Double] { if case .real(let v)? = t.column(named: c)?.data { v } else { [] } }
        let groups = text("group"), hs = ints("horizon"), n = ints("fills")
        let mt = reals("move_ticks"), mb = reals("move_bps"), pt = reals("pnl_ticks")
        return groups.indices.map { i in
            Markout(group: groups[i], horizon: hs[i], fills: Int(n[i]), moveTicks: finite(mt[i]), moveBps: finite(mb[i]), pnlTicks: finite(pt[i]))
        }
    }

    /// Parses a time for `at=`: nanoseconds since 1970, or a time or timestamp as the language
    /// writes it (`10:00:00.250`, `2024-08-08T10:00:00`), in the dataset's zone.
    public static func instant(_ text: String, dataset d: String, _ session: Session) throws(LiveRequestError) -> Int64 {
        let data = try datasetObject(d, session)
        if let ns = Int64(text) { return ns }
        let allowed = Set("0123456789:.-T ")
        guard !text.isEmpty, text.count <= 40, text.allSatisfy({ allowed.contains($0) }) else {
            throw LiveRequestError(field: "at", "at is a time (10:00:00.250), a timestamp (2024-08-08T10:00:00) or nanoseconds since 1970")
        }
        var ws = session.workspace
        do {
            let v = try BacktestReplayControl.evaluate(text, session: session, ws: &ws)
            return try DataCommands.instant(v, for: data, range: SourceRange(0, text.utf8.count))
        } catch {
            throw LiveRequestError(field: "at", "at: " + BacktestReplayControl.message(error))
        }
    }

    static func datasetObject(_ name: String, _ session: Session) throws(LiveRequestError) -> DatasetObject {
        let all = DataCommands.allDatasets(session.workspace)
        guard let d = all.first(where: { $0.name == name }) else {
            throw LiveRequestError(field: "dataset", "no dataset named '\(name)'" + (all.isEmpty ? "" : "; datasets: " + all.map(\.name).joined(separator: ", ")), status: 404)
        }
        return d
    }

    /// A dataset's book at `time` (every event received at or before it), `levels` per side.
    public static func book(dataset name: String, at time: Int64, levels: Int, _ session: Session) throws(LiveRequestError) -> LiveBook {
        let d = try datasetObject(name, session)
        let ladder = d.dataset.ladder(at: time, levels: levels)
        return BacktestReplayControl.book(d, ladder, levels: levels)
    }
}
