/// Storage of backtest, live and sweep runs: parameters, provenance, fills, orders, the
/// equity curve and statistics, each run written in one transaction (all of it or none).
///
/// Prices and quantities are stored as the engine's integers (ticks, lots) together with the
/// instrument's tick and lot size as exact decimal text, so every number can be rebuilt
/// exactly: price = price_ticks × tick_size.
public struct RunRecord: Sendable {
    public var name: String
    /// backtest | live | sweep
    public var kind: String
    public var strategy: String
    public var strategyKind: String
    /// `key=value` pairs in the order the user gave them.
    public var parameters: [(String, String)]
    public var dataset: String
    public var datasetHash: String
    public var datasetPath: String
    public var symbol: String
    public var tickSize: String
    public var lotSize: String
    public var engineVersion: String
    /// complete | cancelled
    public var status: String
    public var events: Int64
    public var seed: Int64
    public var sweepID: Int64?
    /// Identity of the sweep a run belongs to (same strategy, grid, data and settings), and its
    /// position in the sweep's grid; shards of one sweep share the key.
    public var sweepKey: String?
    public var sweepIndex: Int64?
    public var fills: Fills
    public var orders: Orders
    public var equity: Equity
    /// Named statistics; `value` is NaN when undefined. For a multi-instrument run: the totals
    /// in the base currency.
    public var stats: [(name: String, value: Double)]
    /// The instruments of the run, leg 0, 1, ... (one for a single-instrument run; empty = the
    /// run's own dataset and symbol as leg 0).
    public var instruments: [Instrument] = []
    /// Per-instrument statistics of a multi-instrument run: (leg, name, value).
    public var legStats: [(leg: Int64, name: String, value: Double)] = []

    /// One instrument of a run: where its data came from, its units, and its money.
    public struct Instrument: Sendable {
        public var name: String, dataset: String, datasetHash: String, datasetPath: String
        public var symbol: String, tickSize: String, lotSize: String
        /// The currency its money is counted in, and its rate into the run's base currency.
        public var currency: String, fxRate: String
        public init(name: String, dataset: String, datasetHash: String, datasetPath: String, symbol: String,
                    tickSize: String, lotSize: String, currency: String, fxRate: String) {
            self.name = name; self.dataset = dataset; self.datasetHash = datasetHash; self.datasetPath = datasetPath
            self.symbol = symbol; self.tickSize = tickSize; self.lotSize = lotSize; self.currency = currency; self.fxRate = fxRate
        }
    }

    /// Risk-limit breaches (rejections, kill switch, monitors), in the order they happened.
    public var breaches = Breaches()

    /// Columns of the breaches table.
    public struct Breaches: Sendable {
        public var time: [Int64] = [], limit: [String] = [], action: [String] = [], orderID: [Int64] = []
        public var value: [Double] = [], threshold: [Double] = [], merged: [Int64] = []
        public var detail: [String] = []
        public init() {}
        public var rows: Int { time.count }
    }

    /// Columns of the fills table.
    public struct Fills: Sendable {
        public var exchTime: [Int64] = [], localTime: [Int64] = [], orderID: [Int64] = []
        /// +1 buy, -1 sell.
        public var side: [Int8] = []
        public var priceTicks: [Int64] = [], quantityLots: [Int64] = []
        public var isMaker: [Bool] = []
        /// Fee in quote currency (negative = rebate), as a double: fees are not exact in ticks.
        public var fee: [Double] = []
        /// The instrument (leg) of each fill; empty = all leg 0.
        public var leg: [Int64] = []
        public init() {}
        public var count: Int { exchTime.count }
    }

    public struct Orders: Sendable {
        public var orderID: [Int64] = [], submitTime: [Int64] = [], side: [Int8] = []
        public var type: [String] = [], timeInForce: [String] = [], priceTicks: [Int64] = []
        public var quantityLots: [Int64] = [], filledLots: [Int64] = [], status: [String] = [], reason: [String] = []
        /// The instrument (leg) of each order; empty = all leg 0.
        public var leg: [Int64] = []
        public init() {}
        public var count: Int { orderID.count }
    }

    public struct Equity: Sendable {
        public var time: [Int64] = [], positionLots: [Int64] = [], midTicks: [Int64] = []
        /// Equity in quote currency (leg -1: the total in the base currency).
        public var equity: [Double] = []
        /// The instrument (leg) of each point, -1 for the total; empty = all leg 0.
        public var leg: [Int64] = []
        public init() {}
        public var count: Int { time.count }
    }

    public init(name: String, kind: String, strategy: String, strategyKind: String, parameters: [(String, String)],
                dataset: String, datasetHash: String, datasetPath: String, symbol: String, tickSize: String,
                lotSize: String, engineVersion: String, status: String, events: Int64, seed: Int64,
                sweepID: Int64? = nil, fills: Fills = Fills(), orders: Orders = Orders(), equity: Equity = Equity(),
                stats: [(name: String, value: Double)] = []) {
        self.name = name; self.kind = kind; self.strategy = strategy; self.strategyKind = strategyKind
        self.parameters = parameters; self.dataset = dataset; self.datasetHash = datasetHash
        self.datasetPath = datasetPath; self.symbol = symbol; self.tickSize = tickSize; self.lotSize = lotSize
        self.engineVersion = engineVersion; self.status = status; self.events = events; self.seed = seed
        self.sweepID = sweepID; self.fills = fills; self.orders = orders; self.equity = equity; self.stats = stats
    }
}

/// Writes and reads runs in the session database (the journal's file).
public final class RunStore {
    public let database: Database

    public static let schema = """
    CREATE TABLE IF NOT EXISTS runs(
        id INTEGER PRIMARY KEY,
        session_id INTEGER,                -- sessions(id) of the journal, when there is one
        name TEXT NOT NULL,                -- r1, r2, ... as shown in the shell
        kind TEXT NOT NULL,                -- backtest | live | sweep
        strategy TEXT NOT NULL, strategy_kind TEXT NOT NULL,
        parameters TEXT NOT NULL,          -- key=value lines, in the order given
        dataset TEXT NOT NULL, dataset_hash TEXT NOT NULL, dataset_path TEXT NOT NULL,
        symbol TEXT NOT NULL, tick_size TEXT NOT NULL, lot_size TEXT NOT NULL,
        engine_version TEXT NOT NULL,
        status TEXT NOT NULL,              -- complete | cancelled (partial results kept)
        events INTEGER NOT NULL, seed INTEGER NOT NULL, sweep_id INTEGER,
        sweep_key TEXT, sweep_index INTEGER,   -- sweep identity and grid position (shards merge by them)
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE IF NOT EXISTS run_stats(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
        name TEXT NOT NULL, value REAL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS fills(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
        exch_ts INTEGER NOT NULL, local_ts INTEGER NOT NULL, order_id INTEGER NOT NULL, side INTEGER NOT NULL,
        price_ticks INTEGER NOT NULL, qty_lots INTEGER NOT NULL, maker INTEGER NOT NULL, fee REAL NOT NULL,
        PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS orders(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
        order_id INTEGER NOT NULL,            -- the strategy's id; may be reused after an order ends
        submit_ts INTEGER NOT NULL, side INTEGER NOT NULL, type TEXT NOT NULL, tif TEXT NOT NULL,
        price_ticks INTEGER NOT NULL, qty_lots INTEGER NOT NULL, filled_lots INTEGER NOT NULL,
        status TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS equity(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
        ts INTEGER NOT NULL, position_lots INTEGER NOT NULL, mid_ticks INTEGER NOT NULL, equity REAL NOT NULL,
        PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS breaches(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
        ts INTEGER NOT NULL, limit_name TEXT NOT NULL, action TEXT NOT NULL, order_id INTEGER NOT NULL,
        value REAL NOT NULL, threshold REAL NOT NULL, count INTEGER NOT NULL, detail TEXT NOT NULL,
        PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
    """

    /// Added for multi-instrument runs; older databases get the `leg` columns on open.
    public static let instrumentsSchema = """
    CREATE TABLE IF NOT EXISTS run_instruments(run_id INTEGER NOT NULL REFERENCES runs(id), leg INTEGER NOT NULL,
        name TEXT NOT NULL, dataset TEXT NOT NULL, dataset_hash TEXT NOT NULL, dataset_path TEXT NOT NULL,
        symbol TEXT NOT NULL, tick_size TEXT NOT NULL, lot_size TEXT NOT NULL,
        currency TEXT NOT NULL, fx_rate TEXT NOT NULL,   -- money currency and its rate into the run's base currency
        PRIMARY KEY(run_id, leg)) WITHOUT ROWID;
    """

    public init(database: Database) throws {
        self.database = database
        try database.execute(RunStore.schema)
        try database.execute(RunStore.instrumentsSchema)
        // fills/orders/equity.leg: the instrument of the row (0 for single-instrument runs;
        // equity -1 = the total in the base currency); run_stats.leg: NULL = the run's totals.
        for (table, definition) in [("fills", "leg INTEGER NOT NULL DEFAULT 0"), ("orders", "leg INTEGER NOT NULL DEFAULT 0"),
                                    ("equity", "leg INTEGER NOT NULL DEFAULT 0"), ("run_stats", "leg INTEGER")]
            where !(try tableColumns("main", table)).contains("leg") {
            try database.execute("ALTER TABLE \(table) ADD COLUMN \(definition)")
        }
    }

    /// Writes a run and everything in it in one transaction; returns its row id.
    @discardableResult
    public func save(_ run: RunRecord, sessionID: Int64?) throws -> Int64 {
        try database.transaction {
            try database.prepare("""
                INSERT INTO runs(session_id, name, kind, strategy, strategy_kind, parameters, dataset, dataset_hash,
                    dataset_path, symbol, tick_size, lot_size, engine_version, status, events, seed, sweep_id, sweep_key, sweep_index)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).run([sessionID.map { .integer($0) } ?? .null, .text(run.name), .text(run.kind), .text(run.strategy),
                          .text(run.strategyKind), .text(run.parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")),
                          .text(run.dataset), .text(run.datasetHash), .text(run.datasetPath), .text(run.symbol),
                          .text(run.tickSize), .text(run.lotSize), .text(run.engineVersion), .text(run.status),
                          .integer(run.events), .integer(run.seed), run.sweepID.map { .integer($0) } ?? .null,
                          run.sweepKey.map { .text($0) } ?? .null, run.sweepIndex.map { .integer($0) } ?? .null])
            let id = database.lastInsertRowID
            let stat = try database.prepare("INSERT INTO run_stats(run_id, seq, name, value, leg) VALUES(?, ?, ?, ?, ?)")
            for (i, (name, value)) in run.stats.enumerated() {
                try stat.run([.integer(id), .integer(Int64(i)), .text(name), value.isNaN ? .null : .real(value), .null])
            }
            for (i, (leg, name, value)) in run.legStats.enumerated() {
                try stat.run([.integer(id), .integer(Int64(run.stats.count + i)), .text(name), value.isNaN ? .null : .real(value), .integer(leg)])
            }
            let instrument = try database.prepare("INSERT INTO run_instruments VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for (k, x) in run.instruments.enumerated() {
                try instrument.run([.integer(id), .integer(Int64(k)), .text(x.name), .text(x.dataset), .text(x.datasetHash),
                                    .text(x.datasetPath), .text(x.symbol), .text(x.tickSize), .text(x.lotSize), .text(x.currency), .text(x.fxRate)])
            }
            func leg(_ legs: [Int64], _ i: Int) -> Database.Value { .integer(legs.isEmpty ? 0 : legs[i]) }
            let f = run.fills
            let fill = try database.prepare("""
                INSERT INTO fills(run_id, seq, exch_ts, local_ts, order_id, side, price_ticks, qty_lots, maker, fee, leg)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for i in 0..<f.count {
                try fill.run([.integer(id), .integer(Int64(i)), .integer(f.exchTime[i]), .integer(f.localTime[i]),
                              .integer(f.orderID[i]), .integer(Int64(f.side[i])), .integer(f.priceTicks[i]),
                              .integer(f.quantityLots[i]), .integer(f.isMaker[i] ? 1 : 0), .real(f.fee[i]), leg(f.leg, i)])
            }
            let o = run.orders
            let order = try database.prepare("""
                INSERT INTO orders(run_id, seq, order_id, submit_ts, side, type, tif, price_ticks, qty_lots, filled_lots, status, reason, leg)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for i in 0..<o.count {
                try order.run([.integer(id), .integer(Int64(i)), .integer(o.orderID[i]), .integer(o.submitTime[i]), .integer(Int64(o.side[i])),
                               .text(o.type[i]), .text(o.timeInForce[i]), .integer(o.priceTicks[i]),
                               .integer(o.quantityLots[i]), .integer(o.filledLots[i]), .text(o.status[i]), .text(o.reason[i]), leg(o.leg, i)])
            }
            let b = run.breaches
            if b.rows > 0 {
                let br = try database.prepare("INSERT INTO breaches VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                for i in 0..<b.rows {
                    try br.run([.integer(id), .integer(Int64(i)), .integer(b.time[i]), .text(b.limit[i]), .text(b.action[i]),
                                .integer(b.orderID[i]), .real(b.value[i]), .real(b.threshold[i]), .integer(b.merged[i]), .text(b.detail[i])])
                }
            }
            let e = run.equity
            let eq = try database.prepare("INSERT INTO equity(run_id, seq, ts, position_lots, mid_ticks, equity, leg) VALUES(?, ?, ?, ?, ?, ?, ?)")
            for i in 0..<e.count {
                try eq.run([.integer(id), .integer(Int64(i)), .integer(e.time[i]), .integer(e.positionLots[i]),
                            .integer(e.midTicks[i]), .real(e.equity[i]), leg(e.leg, i)])
            }
            return id
        }
    }

    /// Runs stored, newest last: (row id, name, kind, strategy, dataset, status, created_at).
    public func list() throws -> [(id: Int64, name: String, kind: String, strategy: String, dataset: String, status: String, created: String)] {
        let s = try database.prepare("SELECT id, name, kind, strategy, dataset, status, created_at FROM runs ORDER BY id")
        var out: [(Int64, String, String, String, String, String, String)] = []
        while try s.step() {
            out.append((s.int(0), s.string(1) ?? "", s.string(2) ?? "", s.string(3) ?? "", s.string(4) ?? "",
                        s.string(5) ?? "", s.string(6) ?? ""))
        }
        return out.map { (id: $0.0, name: $0.1, kind: $0.2, strategy: $0.3, dataset: $0.4, status: $0.5, created: $0.6) }
    }

    /// The statistics of a stored run.
    public func stats(runID: Int64) throws -> [(name: String, value: Double)] {
        let s = try database.prepare("SELECT name, value FROM run_stats WHERE run_id = ? AND leg IS NULL ORDER BY seq")
        try s.bind([.integer(runID)])
        var out: [(String, Double)] = []
        while try s.step() { out.append((s.string(0) ?? "", s.isNull(1) ? .nan : s.double(1))) }
        return out.map { (name: $0.0, value: $0.1) }
    }

    /// Copies the runs of shard databases into this store, in one transaction. Every shard must
    /// hold runs of one sweep (one `sweep_key`), the same for all shards; grid positions must not
    /// repeat. Returns (name, sweep index, run id here) of the runs copied, in grid order.
    public func merge(shards paths: [String]) throws -> [(name: String, index: Int64, id: Int64)] {
        var key: String?
        var seen = Set<Int64>()
        for (i, path) in paths.enumerated() {
            try database.prepare("ATTACH DATABASE ? AS shard\(i)").run([.text(path)])
        }
        defer { for i in paths.indices { try? database.execute("DETACH DATABASE shard\(i)") } }
        for (i, path) in paths.enumerated() {
            let keys = try database.prepare("SELECT DISTINCT sweep_key FROM shard\(i).runs")
            var found: [String?] = []
            while try keys.step() { found.append(keys.string(0)) }
            guard found.count == 1, let k = found[0] else {
                throw StoreError(code: 0, message: "\(path) does not hold the runs of exactly one sweep", sql: nil)
            }
            if let key, key != k { throw StoreError(code: 0, message: "\(path) holds a different sweep (\(k.prefix(12)) instead of \(key.prefix(12)))", sql: nil) }
            key = k
            let idx = try database.prepare("SELECT sweep_index FROM shard\(i).runs")
            while try idx.step() {
                guard seen.insert(idx.int(0)).inserted else {
                    throw StoreError(code: 0, message: "\(path) repeats grid position \(idx.int(0)) of the sweep", sql: nil)
                }
            }
        }
        let columns = "name, kind, strategy, strategy_kind, parameters, dataset, dataset_hash, dataset_path, symbol, tick_size, lot_size, engine_version, status, events, seed, sweep_id, sweep_key, sweep_index"
        return try database.transaction {
            var out: [(String, Int64, Int64)] = []
            for i in paths.indices {
                let runs = try database.prepare("SELECT id, name, sweep_index FROM shard\(i).runs ORDER BY sweep_index")
                var rows: [(Int64, String, Int64)] = []
                while try runs.step() { rows.append((runs.int(0), runs.string(1) ?? "", runs.int(2))) }
                for (old, name, index) in rows {
                    try database.prepare("INSERT INTO runs(\(columns)) SELECT \(columns) FROM shard\(i).runs WHERE id = ?").run([.integer(old)])
                    let new = database.lastInsertRowID
                    for table in ["run_stats", "fills", "orders", "equity", "run_instruments", "breaches"]
                        where try !tableColumns("shard\(i)", table).isEmpty {
                        let cols = try tableColumns("shard\(i)", table).filter { $0 != "run_id" }.joined(separator: ", ")
                        try database.prepare("INSERT INTO \(table)(run_id, \(cols)) SELECT ?, \(cols) FROM shard\(i).\(table) WHERE run_id = ?")
                            .run([.integer(new), .integer(old)])
                    }
                    out.append((name, index, new))
                }
            }
            return out.sorted { $0.1 < $1.1 }.map { (name: $0.0, index: $0.1, id: $0.2) }
        }
    }

    private func tableColumns(_ schema: String, _ table: String) throws -> [String] {
        let s = try database.prepare("PRAGMA \(schema).table_info(\(table))")
        var out: [String] = []
        while try s.step() { out.append(s.string(1) ?? "") }
        return out
    }

    /// The breaches stored for a run: (ts, limit, action, value, threshold, count, detail).
    public func breaches(runID: Int64) throws -> [(time: Int64, limit: String, action: String, value: Double, threshold: Double, count: Int64, detail: String)] {
        let s = try database.prepare("SELECT ts, limit_name, action, value, threshold, count, detail FROM breaches WHERE run_id = ? ORDER BY seq")
        try s.bind([.integer(runID)])
        var out: [(Int64, String, String, Double, Double, Int64, String)] = []
        while try s.step() { out.append((s.int(0), s.string(1) ?? "", s.string(2) ?? "", s.double(3), s.double(4), s.int(5), s.string(6) ?? "")) }
        return out.map { (time: $0.0, limit: $0.1, action: $0.2, value: $0.3, threshold: $0.4, count: $0.5, detail: $0.6) }
    }

    /// Number of fills stored for a run.
    public func fillCount(runID: Int64) throws -> Int {
        let s = try database.prepare("SELECT count(*) FROM fills WHERE run_id = ?")
        try s.bind([.integer(runID)])
        return try s.step() ? Int(s.int(0)) : 0
    }
}
