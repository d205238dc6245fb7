import Foundation
import MithaiLanguage
public import MithaiEngine
public import MithaiMarketData

/// A loaded dataset under a name. Immutable; `instrument NAME key=...` makes a new one that
/// shares the events and differs in instrument metadata.
public final class DatasetObject: WorkspaceObject {
    public let kind = "dataset"
    public let name: String
    public let dataset: Dataset
    /// The instrument as the user sees it (metadata may differ from the dataset's own).
    public let instrument: Instrument
    /// Fee rates set with `instrument NAME maker= taker=` (fractions of traded value).
    public let makerFee: ExactDecimal?
    public let takerFee: ExactDecimal?
    /// Fee table, funding and preset set with `instrument NAME preset= fees= funding=`.
    public let costs: InstrumentCosts?

    init(name: String, dataset: Dataset, instrument: Instrument? = nil, makerFee: ExactDecimal? = nil, takerFee: ExactDecimal? = nil,
         costs: InstrumentCosts? = nil) {
        self.costs = costs
        self.name = name
        self.dataset = dataset
        self.instrument = instrument ?? dataset.instrument
        self.makerFee = makerFee
        self.takerFee = takerFee
    }

    var zone: String { instrument.timeZone.isEmpty ? "UTC" : instrument.timeZone }

    public var summary: String {
        var s = "dataset \(name): \(Renderer.grouped(dataset.eventCount)) events"
        if !dataset.bars.isEmpty { s += ", \(Renderer.grouped(dataset.bars.count)) bars" }
        return s + ", \(instrument.symbol) (\(dataset.format))"
    }

    /// `load`'s one line: events by kind, time span, instrument.
    public var display: String {
        var kinds: [String] = []
        for k in EventKind.allCases where dataset.counts[k] > 0 { kinds.append("\(Renderer.grouped(dataset.counts[k])) \(k)") }
        var s = "\(name): \(Renderer.grouped(dataset.eventCount)) events"
        if !kinds.isEmpty { s += " (" + kinds.joined(separator: ", ") + ")" }
        if !dataset.bars.isEmpty { s += ", \(Renderer.grouped(dataset.bars.count)) bars" }
        if let span = spanText { s += ", " + span }
        s += "; \(instrument.symbol)"
        if !instrument.venue.isEmpty { s += " on \(instrument.venue)" }
        s += ", tick \(instrument.tickSize), lot \(instrument.lotSize)"
        if dataset.loadedFromCache { s += " (cached)" }
        if let key = costs?.presetKey { s += ", preset \(key)" }
        // The reader's notes: warnings (skipped rows, ...) and what it corrected or inferred.
        for note in dataset.notes { s += "\n  " + note }
        return s
    }

    var span: ClosedRange<Nanos>? {
        if let t = dataset.timeSpan { return t }
        guard let first = dataset.bars.first?.time, let last = dataset.bars.last?.time else { return nil }
        return first...last
    }

    var spanText: String? {
        guard let span else { return nil }
        let a = Format.timestamp(span.lowerBound, zone: zone), b = Format.timestamp(span.upperBound, zone: zone)
        let sameDay = a.prefix(10) == b.prefix(10)
        return "\(a)..\(sameDay ? String(b.dropFirst(11)) : b) \(zone)"
    }

    public var canonical: String {
        var s = "\(dataset.contentHash)|\(dataset.format)|\(dataset.eventCount)|\(dataset.bars.count)|\(instrument)"
        for k in EventKind.allCases { s += ",\(dataset.counts[k])" }
        if let c = costs { s += "|costs:" + c.canonical }
        return s
    }

    /// A price in ticks as an exact decimal column value (mantissa at the tick's scale).
    func priceMantissa(_ ticks: Ticks) -> Int64 { ticks &* instrument.tickSize.mantissa }
    var priceScale: Int { Int(instrument.tickSize.scale) }
    func quantityMantissa(_ lots: Lots) -> Int64 { lots &* instrument.lotSize.mantissa }
    var quantityScale: Int { Int(instrument.lotSize.scale) }
}

/// Calls the progress bar from the loader's callbacks (the load runs on the caller's thread).
final class ProgressRelay: @unchecked Sendable {
    // @unchecked: used only on the thread that runs the command.
    let session: Session
    let label: String
    init(session: Session, label: String) { self.session = session; self.label = label }
    func update(_ fraction: Double) { session.progress?.update(label, fraction: fraction) }
}

public enum DataCommands {
    static let formats = DataFormat.allCases.map(\.rawValue)

    static let specs: [CommandSpec] = [
        CommandSpec("load", category: "data",
                    summary: "loads a market-data file (LOBSTER, Binance capture, hftbacktest .npz, Tardis, CSV ticks, Breeze NSE ticks, bars)",
                    parameters: [
                        Parameter("path", .positional, .path, required: true, "the file (format detected from its content)"),
                        Parameter("name", .keyword("as"), .name, default: "from the symbol or file name", "the dataset's name"),
                        Parameter("format", .option, .choice(formats), default: "detected", "the file's format"),
                        Parameter("symbol", .option, .word, "instrument symbol, when the file does not say; the symbol to keep from a file with several (Tardis, tick CSV, Breeze)"),
                        Parameter("tz", .option, .word, "time zone of the data's local times (IANA, e.g. Asia/Kolkata)"),
                        Parameter("tick", .option, .number, default: "from the data", "tick size (price step)"),
                        Parameter("lot", .option, .number, default: "from the data", "lot size (quantity step)"),
                        Parameter("cache", .option, .bool, default: "on", "keep a binary cache beside the file (.mithai-cache/)"),
                    ],
                    examples: ["load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn",
                               "load Datasets/binance/binance-usdm-btcusdt_20240808.gz as btc tick=0.1 lot=0.001"],
                    details: "The first load writes a binary cache keyed by the file's SHA-256; the next one maps it instead of parsing. The reader's notes (rows skipped, sorted or de-duplicated, inferred steps) are printed under the summary; formats: docs/DATA.md.",
                    handler: { ctx in try load(&ctx) }),
        CommandSpec("datasets", category: "data", summary: "lists the loaded datasets",
                    examples: ["datasets", "datasets | sort events desc"],
                    handler: { ctx in datasets(ctx.workspace) }),
        CommandSpec("instrument", category: "data",
                    summary: "lists instrument presets, shows one preset's full specification, or shows and changes a dataset's instrument, fee table and funding",
                    parameters: InstrumentCommands.parameters,
                    examples: ["instrument", "instrument nse:RELIANCE", "instrument amzn", "instrument amzn currency=USD tz=America/New_York",
                               "instrument btc preset=binance:BTCUSDT fees=vip3 funding=1bp"],
                    details: "Fee tables (NSE/BSE statutory charges, futures, CME per-contract, Binance tiers) with sources and dates: docs/INSTRUMENTS.md. A run charges the dataset's fee table when one is set (it replaces maker=/taker=) and settles funding when a rate or file is given.",
                    handler: { ctx in try InstrumentCommands.instrument(&ctx) }),
        CommandSpec("book", category: "data", summary: "the order book of a dataset at a time: an L2 ladder, or the L3 queue",
                    parameters: [
                        Parameter("data", .positional, .object("dataset"), default: "the live session's book", "the dataset"),
                        Parameter("time", .keyword("at"), .time, default: "the end of the data", "a time of day (on the data's first day, in its zone) or a timestamp"),
                        Parameter("depth", .keyword("depth"), .integer, default: "10", "price levels per side"),
                        Parameter("levels", .option, .choice(["l2", "l3"]), default: "l2", "l3 lists the orders queued at each level"),
                    ],
                    examples: ["book amzn at 10:00 depth 5", "book amzn at 10:00:00.5 depth 3 levels=l3"],
                    handler: { ctx in try book(&ctx) }),
    ]

    static func datasetObject(_ v: Value, range: SourceRange) throws(WorkbenchError) -> DatasetObject {
        guard case .object(let o) = v, let d = o.as(DatasetObject.self) else {
            throw .at(range, "expected a dataset, got \(v.kindName)", notes: ["load one with: load PATH as NAME"])
        }
        return d
    }

    static func dataset(_ ctx: inout CommandContext, _ name: String = "data") throws(WorkbenchError) -> DatasetObject {
        if name == "data", let d = ctx.datasetOverride { return d }
        let range = ctx.range(name)
        if let e = ctx.exprs(name).first, case .name(let n, let r) = e, ctx.workspace[n] == nil {
            let known = ctx.workspace.names.filter { if case .object(let o) = ctx.workspace[$0], o.object is DatasetObject { true } else { false } }
            throw .at(r, "no dataset named '\(n)'", suggestions: Suggest.names(for: n, among: known),
                      notes: known.isEmpty ? ["load one with: load PATH as NAME"] : ["datasets: " + known.joined(separator: " ")])
        }
        guard let v = try ctx.value(name) else { throw .at(range, "which dataset?") }
        return try datasetObject(v, range: range)
    }

    static func exact(_ ctx: inout CommandContext, _ name: String) throws(WorkbenchError) -> ExactDecimal? {
        guard let v = try ctx.value(name) else { return nil }
        guard case .number(let n) = v, case .decimal(let m, let s) = n, m > 0 else {
            throw .at(ctx.range(name), "\(name) must be a positive decimal number")
        }
        return ExactDecimal(mantissa: m, scale: Int8(s))
    }

    static func checkZone(_ ctx: CommandContext, _ name: String, _ zone: String?) throws(WorkbenchError) {
        guard let zone, TimeZone(identifier: zone) == nil else { return }
        throw .at(ctx.range(name), "unknown time zone '\(zone)'", suggestions: Suggest.names(for: zone, among: TimeZone.knownTimeZoneIdentifiers),
                  notes: ["use an IANA name such as UTC, Asia/Kolkata, America/New_York"])
    }

    static func load(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let path = try ctx.path("path")!
        let expanded = (path as NSString).expandingTildeInPath
        guard FileManager.default.fileExists(atPath: expanded) else {
            let dir = (expanded as NSString).deletingLastPathComponent
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
            throw .at(ctx.range("path"), "no such file '\(path)'",
                      suggestions: Suggest.names(for: (path as NSString).lastPathComponent, among: names))
        }
        let format = try ctx.choice("format").flatMap(DataFormat.init(rawValue:))
        let symbol = try ctx.word("symbol")
        let tz = try ctx.path("tz")
        try checkZone(ctx, "tz", tz)
        let tick = try exact(&ctx, "tick"), lot = try exact(&ctx, "lot")
        let useCache = try ctx.bool("cache") ?? true
        let cacheDirectory = useCache ? cacheFolder(for: expanded, home: ctx.session.options.home) : nil
        let relay = ProgressRelay(session: ctx.session, label: "load \((path as NSString).lastPathComponent)")
        let cancellation = ctx.session.cancellation
        let dataset: Dataset
        do {
            dataset = try DatasetLoader.load(path: expanded, format: format, symbol: symbol, tz: tz, tick: tick, lot: lot,
                                             cacheDirectory: cacheDirectory, progress: { relay.update($0) },
                                             isCancelled: { cancellation.isCancelled })
        } catch let e as DataError {
            throw .failed(e.description.replacingOccurrences(of: expanded, with: path))
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .failed("\(path): \(error)")
        }
        let name = try ctx.word("name") ?? defaultName(for: dataset, path: path, taken: ctx.workspace.names)
        guard ctx.session.registry.lookup(name) == nil else {
            throw .at(ctx.range("name"), "'\(name)' is a command; choose another name with: as NAME")
        }
        let object = DatasetObject(name: name, dataset: dataset, costs: InstrumentCommands.presetCosts(dataset.presetKey))
        ctx.workspace.define(name, .object(ObjectRef(object)))
        return .object(ObjectRef(object))
    }

    /// `.mithai-cache/` beside the file when that folder is writable, else under the home.
    public static func cacheFolder(for path: String, home: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let beside = ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(".mithai-cache")
        if FileManager.default.isWritableFile(atPath: dir.isEmpty ? "." : dir) { return beside }
        return (home as NSString).appendingPathComponent(".mithai-cache")
    }

    static func defaultName(for dataset: Dataset, path: String, taken: [String]) -> String {
        var base = dataset.instrument.symbol.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
        if base.isEmpty || base.first!.isNumber {
            base = ((path as NSString).lastPathComponent.components(separatedBy: ".").first ?? "data")
                .lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) }
            if base.isEmpty || base.first!.isNumber { base = "d" + base }
        }
        var name = base, k = 2
        while taken.contains(name) || Commands.standard.lookup(name) != nil { name = "\(base)\(k)"; k += 1 }
        return name
    }

    static func allDatasets(_ ws: Workspace) -> [DatasetObject] {
        ws.names.compactMap { if case .object(let o) = ws[$0], let d = o.as(DatasetObject.self), d.name == $0 { d } else { nil } }
    }

    static func datasets(_ ws: Workspace) -> Value {
        let all = allDatasets(ws)
        return .table(Table([
            Column("name", .text(all.map(\.name))),
            Column("format", .text(all.map { $0.dataset.format.rawValue })),
            Column("symbol", .text(all.map(\.instrument.symbol))),
            Column("events", .int(all.map { Int64($0.dataset.eventCount) })),
            Column("bars", .int(all.map { Int64($0.dataset.bars.count) })),
            Column("from", .text(all.map { $0.span.map { Format.timestamp($0.lowerBound, zone: "UTC") } ?? "" })),
            Column("to", .text(all.map { $0.span.map { Format.timestamp($0.upperBound, zone: "UTC") } ?? "" })),
            Column("zone", .text(all.map(\.zone))),
            Column("tick", .text(all.map { $0.instrument.tickSize.description })),
            Column("lot", .text(all.map { $0.instrument.lotSize.description })),
            Column("sha256", .text(all.map { String($0.dataset.contentHash.prefix(12)) })),
            Column("cached", .bool(all.map(\.dataset.loadedFromCache))),
        ]))
    }

    static func instrument(_ ctx: inout CommandContext, costs: InstrumentCosts?) throws(WorkbenchError) -> Value {
        let d = try dataset(&ctx)
        var inst = d.instrument
        var changed = false
        for (name, current) in [("tick", inst.tickSize), ("lot", inst.lotSize)] {
            if let v = try exact(&ctx, name), v != current {
                throw .at(ctx.range(name), "the \(name) size is fixed when the data is loaded (it is \(current))",
                          notes: ["load it again with: load PATH \(name)=\(v)"])
            }
        }
        if let m = try exact(&ctx, "multiplier") { inst.contractMultiplier = m; changed = true }
        if let c = try ctx.word("currency") { inst.currency = c; changed = true }
        if let z = try ctx.path("tz") { try checkZone(ctx, "tz", z); inst.timeZone = z; changed = true }
        if let v = try ctx.word("venue") { inst.venue = v; changed = true }
        if let i = try ctx.bool("inverse") { inst.isInverse = i; changed = true }
        var maker = d.makerFee, taker = d.takerFee
        if let m = try BacktestCommands.rate(&ctx, "maker") { maker = m; changed = true }
        if let t = try BacktestCommands.rate(&ctx, "taker") { taker = t; changed = true }
        if changed || costs != d.costs {
            let object = DatasetObject(name: d.name, dataset: d.dataset, instrument: inst, makerFee: maker, takerFee: taker, costs: costs)
            ctx.workspace.define(d.name, .object(ObjectRef(object)))
        }
        return .table(Table([
            Column("field", .text(["symbol", "venue", "tick", "lot", "multiplier", "currency", "tz", "inverse", "maker", "taker"])),
            Column("value", .text([inst.symbol, inst.venue, inst.tickSize.description, inst.lotSize.description,
                                   inst.contractMultiplier.description, inst.currency, inst.timeZone, inst.isInverse ? "yes" : "no",
                                   maker.map { "\($0)" } ?? "", taker.map { "\($0)" } ?? ""])),
        ]))
    }

    /// Resolves `at TIME` to nanoseconds since the epoch: a time of day is taken on the data's
    /// first day in the instrument's zone; a timestamp as is.
    static func instant(_ v: Value, for d: DatasetObject, range: SourceRange) throws(WorkbenchError) -> Nanos {
        switch v {
        case .timestamp(let t, _): return t
        case .time(let tod):
            guard let start = d.span?.lowerBound else { throw .at(range, "the dataset has no events") }
            return QueryEngine.sameDay(start, tod, d.zone)
        default:
            throw .at(range, "expected a time (10:00, 10:00:00.250) or a timestamp, got \(v.kindName)")
        }
    }

    /// Index one past the last event with local time <= t.
    static func eventsUpTo(_ t: Nanos, in dataset: Dataset) -> Int { dataset.eventCount(upTo: t) }

    static func book(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        if !ctx.has("data") { return try LiveCommands.book(&ctx) }
        let d = try dataset(&ctx)
        let depth = try ctx.integer("depth") ?? 10
        guard (1...1000).contains(depth) else { throw .at(ctx.range("depth"), "depth must be 1...1000") }
        var end = d.dataset.eventCount
        if let v = try ctx.value("time") { end = eventsUpTo(try instant(v, for: d, range: ctx.range("time")), in: d.dataset) }
        let levels = try ctx.choice("levels") ?? "l2"
        let isL3 = d.dataset.isOrderByOrder
        if levels == "l3" && !isL3 { throw .at(ctx.range("levels"), "\(d.name) has no order-by-order (L3) events") }
        if levels == "l3" { return queueTable(d.dataset.l3Book(upTo: end), d: d, depth: depth) }
        let book = d.dataset.l2Book(upTo: end)
        return ladder(bids: book.levels(.buy, maxLevels: depth), asks: book.levels(.sell, maxLevels: depth), d: d)
    }

    /// Bids on the left, asks on the right, best prices in the first row.
    static func ladder(bids: [BookLevel], asks: [BookLevel], d: DatasetObject) -> Value {
        let n = max(bids.count, asks.count)
        func col(_ levels: [BookLevel], _ f: (BookLevel) -> Int64) -> [Int64] {
            (0..<n).map { $0 < levels.count ? f(levels[$0]) : Column.null }
        }
        let showOrders = bids.contains { $0.orders > 0 } || asks.contains { $0.orders > 0 }
        var columns: [Column] = [Column("level", .int((0..<n).map { Int64($0 + 1) }))]
        if showOrders { columns.append(Column("bid_orders", .int(col(bids) { Int64($0.orders) }))) }
        columns += [
            Column("bid_qty", .decimal(col(bids) { d.quantityMantissa($0.quantity) }, scale: d.quantityScale)),
            Column("bid", .decimal(col(bids) { d.priceMantissa($0.price) }, scale: d.priceScale)),
            Column("ask", .decimal(col(asks) { d.priceMantissa($0.price) }, scale: d.priceScale)),
            Column("ask_qty", .decimal(col(asks) { d.quantityMantissa($0.quantity) }, scale: d.quantityScale)),
        ]
        if showOrders { columns.append(Column("ask_orders", .int(col(asks) { Int64($0.orders) }))) }
        return .table(Table(columns))
    }

    static func queueTable(_ book: L3Book, d: DatasetObject, depth: Int) -> Value {
        var side: [String] = [], price: [Int64] = [], position: [Int64] = [], order: [Int64] = [], qty: [Int64] = []
        for s in [Side.sell, .buy] {
            var levels = book.l2.levels(s, maxLevels: depth)
            if s == .sell { levels.reverse() }
            for level in levels {
                for (i, entry) in book.queue(s, at: level.price).enumerated() {
                    side.append(s == .buy ? "bid" : "ask")
                    price.append(d.priceMantissa(level.price))
                    position.append(Int64(i + 1))
                    order.append(entry.orderID == 0 ? Column.null : Int64(bitPattern: d.dataset.originalOrderID(entry.orderID)))
                    qty.append(d.quantityMantissa(entry.quantity))
                }
            }
        }
        return .table(Table([
            Column("side", .text(side)), Column("price", .decimal(price, scale: d.priceScale)),
            Column("position", .int(position)), Column("order_id", .int(order)),
            Column("qty", .decimal(qty, scale: d.quantityScale)),
        ]))
    }
}
