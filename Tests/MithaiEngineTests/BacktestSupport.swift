import Foundation
import MithaiEngine
import Testing

/// Market data for backtest tests: the events each side sees (exchange feed in exchange-time
/// order, local feed in local-time order) and the base tick.
struct Feed {
    var base: Ticks
    var exchange: [Event]
    /// nil when the local feed is the exchange feed (every row seen by both sides).
    var local: [Event]?

    func withFeeds<R>(_ body: (UnsafeBufferPointer<Event>, UnsafeBufferPointer<Event>) -> R) -> R {
        exchange.withUnsafeBufferPointer { ex in
            if let local {
                return local.withUnsafeBufferPointer { lo in body(ex, lo) }
            }
            return body(ex, ex)
        }
    }
}

enum BenchData {
    static let benchDirectory = ProcessInfo.processInfo.environment["MITHAI_BENCH_DIR"] ?? "/tmp/mithai-bench"
    static var dataDirectory: String { benchDirectory + "/data" }
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let tick = 0.1
    static let lot = 0.001

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads the bench CSV (`exch_ts,local_ts,side,kind,price,qty`; prices with 1 decimal, sizes
    /// with 3): every row is seen by both sides.
    static func loadCSV(_ path: String) throws -> Feed {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var events: [Event] = []
        events.reserveCapacity(data.count / 60)
        var base: Ticks? = nil
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = bytes.count
            // skip header
            while i < n && bytes[i] != 10 { i += 1 }
            i += 1
            func integer(_ scaleDigits: Int) -> Int64 {
                // parses [-]digits[.digits] with exactly `scaleDigits` decimals (or fewer) -> scaled
                var neg = false
                if bytes[i] == 45 { neg = true; i += 1 }
                var v: Int64 = 0
                var frac = -1
                while i < n {
                    let c = bytes[i]
                    if c == 46 { frac = 0; i += 1; continue }
                    if c < 48 || c > 57 { break }
                    v = v * 10 + Int64(c - 48)
                    if frac >= 0 { frac += 1 }
                    i += 1
                }
                var f = max(frac, 0)
                while f < scaleDigits { v *= 10; f += 1 }
                return neg ? -v : v
            }
            func word() -> String {
                let start = i
                while i < n && bytes[i] != 44 { i += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            while i < n {
                if bytes[i] == 10 { i += 1; continue }
                let ex = integer(0); i += 1
                let lo = integer(0); i += 1
                let sideWord = word(); i += 1
                let kindWord = word(); i += 1
                let px = integer(1); i += 1
                let qty = integer(3)
                while i < n && bytes[i] != 10 { i += 1 }
                i += 1
                let side: Side = sideWord == "buy" ? .buy : (sideWord == "sell" ? .sell : .none)
                let kind: EventKind
                switch kindWord {
                case "depth": kind = .depth
                case "trade": kind = .trade
                case "snapshot": kind = .snapshot
                case "clear": kind = .clear
                default: throw CocoaError(.fileReadCorruptFile)
                }
                if base == nil { base = px }
                events.append(Event(kind: kind, side: side, price: Int32(px - base!), quantity: Int32(qty),
                                    exchTime: ex, localTime: lo))
            }
        }
        return Feed(base: base ?? 0, exchange: events, local: nil)
    }

    /// Reads an hftbacktest .npz (member `data.npy`, 64-byte rows). The member is extracted
    /// once with the bench venv's Python into a cache directory; rows flagged EXCH go to the
    /// exchange feed, rows flagged LOCAL to the local feed (identical arrays collapse to one).
    static func loadNPZ(_ path: String) throws -> Feed {
        let cacheDir = NSTemporaryDirectory() + "mithai-bt-cache"
        try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let npy = cacheDir + "/" + name + ".npy"
        if !exists(npy) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: benchDirectory + "/venv/bin/python")
            p.arguments = ["-c", "import zipfile,sys; open(sys.argv[2]+'.tmp','wb').write(zipfile.ZipFile(sys.argv[1]).read('data.npy')); import os; os.rename(sys.argv[2]+'.tmp', sys.argv[2])", path, npy]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: npy), options: .alwaysMapped)
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Feed in
            // NPY header: magic(6) major minor, header_len u16 (v1) or u32 (v2/3)
            let major = raw[6]
            let headerLength: Int
            let start: Int
            if major == 1 {
                headerLength = Int(raw[8]) | Int(raw[9]) << 8
                start = 10 + headerLength
            } else {
                headerLength = Int(raw[8]) | Int(raw[9]) << 8 | Int(raw[10]) << 16 | Int(raw[11]) << 24
                start = 12 + headerLength
            }
            let rows = (raw.count - start) / 64
            var exch: [Event] = []
            var local: [Event] = []
            exch.reserveCapacity(rows)
            local.reserveCapacity(rows)
            var base: Ticks? = nil
            var identical = true
            for r in 0..<rows {
                let o = start + r * 64
                let ev = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)
                let exchTs = raw.loadUnaligned(fromByteOffset: o + 8, as: Int64.self)
                let localTs = raw.loadUnaligned(fromByteOffset: o + 16, as: Int64.self)
                let px = raw.loadUnaligned(fromByteOffset: o + 24, as: Double.self)
                let qty = raw.loadUnaligned(fromByteOffset: o + 32, as: Double.self)
                let kindRaw = UInt8(ev & 0xff)
                let side: Side = ev & (1 << 29) != 0 ? .buy : (ev & (1 << 28) != 0 ? .sell : .none)
                guard let kind = EventKind(rawValue: kindRaw) else { continue }
                var flags: EventFlags = []
                var ticks: Ticks = 0
                if px.isFinite {
                    ticks = Ticks((px / tick).rounded())
                } else if kind == .clear {
                    flags.insert(.entireSide)
                }
                if base == nil && px.isFinite && px > 0 { base = ticks }
                let lots = qty.isFinite ? Lots((qty / lot).rounded()) : 0
                let e = Event(kind: kind, side: side, price: Int32(ticks - (base ?? ticks)), quantity: Int32(lots),
                              exchTime: exchTs, localTime: localTs, flags: flags)
                let toExch = ev & (1 << 31) != 0
                let toLocal = ev & (1 << 30) != 0
                if toExch != toLocal { identical = false }
                if toExch { exch.append(e) }
                if toLocal { local.append(e) }
            }
            return Feed(base: base ?? 0, exchange: exch, local: identical ? nil : local)
        }
    }
}

/// The configuration of bench_grid.py (README "Parity targets").
enum BenchGrid {
    static let tickSize = ExactDecimal("0.1")!
    static let lotSize = ExactDecimal("0.001")!
    static let fees = TradingValueFees(makerRate: ExactDecimal("-0.00005")!, takerRate: ExactDecimal("0.0007")!)
    static var valuation: Valuation {
        Valuation(contract: .linear, tickSize: tickSize, lotSize: lotSize, multiplier: .one,
                  digits: Valuation.requiredDigits(contract: .linear, tickSize: tickSize, lotSize: lotSize,
                                                   multiplier: .one, rateScale: fees.rateScale,
                                                   fixedFees: fees.fixedFees))
    }

    struct Outcome {
        var result: BacktestResult
        var grid: GridMarketMaker
    }

    static func run(_ feed: Feed, parameters: GridParameters = .benchReference, checkInvariants: Bool = false) -> Outcome {
        let v = valuation
        let exchange = NoPartialFillExchange(base: feed.base, queue: RiskAverseQueue(), fees: fees, valuation: v)
        var bt = Backtest(exchange: exchange, trader: Trader(base: feed.base, valuation: v),
                          latency: ConstantLatency(entry: 10 * Time.millisecond, response: 10 * Time.millisecond),
                          settings: BacktestSettings(decisionInterval: parameters.decisionInterval,
                                                     checkInvariants: checkInvariants))
        var grid = GridMarketMaker(parameters: parameters, tickSize: tickSize, lotSize: lotSize)
        let r = feed.withFeeds { ex, lo in bt.run(&grid, exchangeFeed: ex, localFeed: lo) }
        return Outcome(result: r, grid: grid)
    }
}

/// Formats money of a bench-grid run as a decimal rounded to 6 digits (as bench_grid.py prints).
func six(_ m: Money, _ v: Valuation = BenchGrid.valuation) -> String { v.scale.format(m, fractionDigits: 6) }
