import MithaiEngine

/// Reads the benchmark CSV of `/work/shared/bench` (`exch_ts,local_ts,side,kind,price,qty`):
/// times in ns; `side` buy|sell (the book side for depth/snapshot/clear, the aggressor for
/// trades); `kind` depth|trade|snapshot|clear; `clear` removes that side from `price` to the
/// touch. Decimal prices and sizes; tick and lot are inferred from the decimals when not given.
struct BenchCSVReader {
    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    func read() throws -> DatasetBuilder {
        var tick = options.tick
        var lot = options.lot
        if tick == nil || lot == nil {
            let (stream, name) = try openText(file)
            let lines = LineReader(stream, name: name)
            var prices = StepInference(normalize: false)  // written with exactly the step's decimals
            var sizes = StepInference(normalize: false)
            var fields = FieldSplitter()
            _ = try lines.next()
            while lines.lineNumber < 100_000, let line = try lines.next() {
                fields.split(line)
                guard fields.count == 6 else { continue }
                if let p = ExactDecimal.parse(fields[4]) { prices.observe(p) }
                if let q = ExactDecimal.parse(fields[5]) { sizes.observe(q) }
            }
            tick = tick ?? prices.step
            lot = lot ?? sizes.step ?? .one
        }
        guard let tick, let lot else { throw DataError(file: file.path, "no prices to infer the tick size from: pass tick") }
        let inferred = options.tick == nil || options.lot == nil
        let instrument = Instrument(symbol: options.symbol ?? "", venue: "bench", tickSize: tick, lotSize: lot,
                                    timeZone: options.timeZone ?? "UTC")
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        let priceScaler = StepScaler(tick)
        let lotScaler = StepScaler(lot)
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name)
        builder.fraction = { fraction(lines.progress) }
        guard let header = try lines.next() else { throw DataError(file: name, "empty file") }
        guard header.string.trimmingCharacters(in: " \u{FEFF}") == "exch_ts,local_ts,side,kind,price,qty" else {
            throw lines.error("expected the header exch_ts,local_ts,side,kind,price,qty")
        }
        var fields = FieldSplitter()
        while let line = try lines.next() {
            if line.isEmpty { continue }
            fields.split(line)
            guard fields.count == 6 else { throw lines.error("expected 6 columns, found \(fields.count)") }
            guard let exch = parseInt64(fields[0]), let local = parseInt64(fields[1]) else {
                throw lines.error("exch_ts and local_ts must be integer nanoseconds")
            }
            let sideText = fields[2]
            let side: Side
            if sideText.equals("buy") { side = .buy } else if sideText.equals("sell") { side = .sell } else {
                throw lines.error("side must be buy or sell, not '\(sideText.string)'")
            }
            let k = fields[3]
            let kind: EventKind
            if k.equals("depth") { kind = .depth } else if k.equals("trade") { kind = .trade } else if k.equals("snapshot") {
                kind = .snapshot
            } else if k.equals("clear") { kind = .clear } else {
                throw lines.error("kind must be depth, trade, snapshot or clear, not '\(k.string)'")
            }
            let price = try units(decimal(fields[4], "price", lines), priceScaler, "price", inferred: inferred, lines)
            let qty = try units(decimal(fields[5], "qty", lines), lotScaler, "qty", inferred: inferred, lines)
            try builder.append(Event(kind: kind, side: side, price: try builder.price(price, line: lines.lineNumber),
                                     quantity: try builder.quantity(qty, line: lines.lineNumber), exchTime: exch, localTime: local))
        }
        return builder
    }
}
