import MithaiEngine
import Testing

@Suite("Event model")
struct EventModelTests {
    @Test("Event is 32 bytes with the documented field offsets")
    func layout() {
        #expect(MemoryLayout<Event>.size == 32)
        #expect(MemoryLayout<Event>.stride == 32)
        #expect(MemoryLayout<Event>.alignment == 8)
        #expect(MemoryLayout<Event>.offset(of: \.exchTime) == 0)
        #expect(MemoryLayout<Event>.offset(of: \.localTime) == 8)
        #expect(MemoryLayout<Event>.offset(of: \.price) == 16)
        #expect(MemoryLayout<Event>.offset(of: \.quantity) == 20)
        #expect(MemoryLayout<Event>.offset(of: \.orderID) == 24)
        #expect(MemoryLayout<Event>.offset(of: \.kind) == 28)
        #expect(MemoryLayout<Event>.offset(of: \.side) == 29)
        #expect(MemoryLayout<Event>.offset(of: \.flags) == 30)
        #expect(MemoryLayout<EventKind>.size == 1)
        #expect(MemoryLayout<Side>.size == 1)
    }

    @Test("Enum tags are stable (the cache stores them): case indices in declaration order")
    func storedTags() {
        func tag<T>(_ v: T) -> UInt8 { withUnsafeBytes(of: v) { $0[0] } }
        #expect(EventKind.allCases.map(tag) == Array(0..<11))
        #expect(EventKind.allCases.map(\.rawValue) == [1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 20])
        #expect(Side.allCases.map(tag) == [0, 1, 2])
        #expect(Side.allCases == [.sell, .none, .buy])
        let e = Event(kind: .snapshot, side: .buy, price: -2, quantity: 7, orderID: 9, exchTime: 1, localTime: 2, flags: .snapshotEnd)
        let bytes = withUnsafeBytes(of: e) { Array($0) }
        #expect(bytes[28] == 3 && bytes[29] == 2 && bytes[30] == 2 && bytes[31] == 0)
        #expect(bytes[16..<20] == [0xFE, 0xFF, 0xFF, 0xFF][...] && bytes[24] == 9)
    }

    @Test("Raw values are stable (hftbacktest's kinds, npz conversion)")
    func rawValues() {
        #expect(EventKind.depth.rawValue == 1)
        #expect(EventKind.trade.rawValue == 2)
        #expect(EventKind.clear.rawValue == 3)
        #expect(EventKind.snapshot.rawValue == 4)
        #expect(EventKind.bbo.rawValue == 5)
        #expect(EventKind.add.rawValue == 10)
        #expect(EventKind.status.rawValue == 20)
        #expect(Side.buy.rawValue == 1 && Side.sell.rawValue == -1 && Side.none.rawValue == 0)
        #expect(EventFlags.inferred.rawValue == 32)
    }

    @Test func counts() {
        var c = EventCounts()
        c.count(.depth); c.count(.depth); c.count(.trade)
        #expect(c[.depth] == 2 && c[.trade] == 1 && c.total == 3)
        #expect(c.description == "depth=2 trade=1")
    }
}

@Suite("Exact decimals and instruments")
struct DecimalTests {
    @Test(arguments: [
        ("61659.70", 6_165_970, 2), ("-0.5", -5, 1), (".25", 25, 2), ("7", 7, 0), ("+3.0", 30, 1),
        ("1e-05", 1, 5), ("2.5E3", 2500, 0), ("0.00000000", 0, 8),
    ])
    func parses(text: String, mantissa: Int64, scale: Int8) throws {
        let d = try #require(ExactDecimal(text))
        #expect(d.mantissa == mantissa)
        #expect(d.scale == scale)
    }

    @Test(arguments: ["", "-", ".", "1.2.3", "12a", "1e", "e5", "99999999999999999999", "1e-30", "--1", "1,5"])
    func rejects(text: String) {
        #expect(ExactDecimal(text) == nil)
    }

    @Test func formatsExactly() {
        #expect(ExactDecimal(mantissa: -5, scale: 3).description == "-0.005")
        #expect(ExactDecimal(mantissa: 616_597, scale: 1).description == "61659.7")
        #expect(ExactDecimal(mantissa: 1500, scale: 3).normalized().description == "1.5")
        #expect(ExactDecimal(mantissa: Int64.min, scale: 0).description == "-9223372036854775808")
        #expect(ExactDecimal("1.50") == ExactDecimal("1.5"))
        #expect(ExactDecimal("1.50")!.hashValue == ExactDecimal("1.5")!.hashValue)
        #expect(ExactDecimal("0.1")! < ExactDecimal("0.11")!)
    }

    @Test func multiplesNeverRound() {
        let tick = ExactDecimal("0.1")!
        #expect(ExactDecimal("61659.7")!.multiple(of: tick) == 616_597)
        #expect(ExactDecimal("61659.70")!.multiple(of: tick) == 616_597)
        #expect(ExactDecimal("61659.75")!.multiple(of: tick) == nil)
        #expect(ExactDecimal("10")!.multiple(of: ExactDecimal("0.25")!) == 40)
        #expect(ExactDecimal("10.1")!.multiple(of: ExactDecimal("0.25")!) == nil)
        #expect(ExactDecimal("1")!.multiple(of: ExactDecimal("0")!) == nil)
        #expect(ExactDecimal("92233720368547758.07")!.multiple(of: ExactDecimal("0.001")!) == nil)  // overflow
    }

    @Test func instrumentConversions() throws {
        let btc = Instrument(symbol: "BTCUSDT", venue: "binance-usdm", tickSize: ExactDecimal("0.1")!,
                             lotSize: ExactDecimal("0.001")!, currency: "USDT")
        try btc.validate()
        #expect(try btc.ticks(ExactDecimal("61659.7")!) == 616_597)
        #expect(try btc.lots(ExactDecimal("1.486")!) == 1486)
        #expect(btc.price(616_597).description == "61659.7")
        #expect(btc.quantity(1486).description == "1.486")
        #expect(throws: Instrument.ConversionError.self) { try btc.ticks(ExactDecimal("1.05")!) }
        let error = Instrument.ConversionError.notAMultiple(value: ExactDecimal("1.05")!, step: ExactDecimal("0.1")!, what: "price")
        #expect(error.description == "price 1.05 is not a whole number of ticks of 0.1")
        let bad = Instrument(symbol: "X", tickSize: .zero, lotSize: .one)
        #expect(throws: Instrument.ConversionError.self) { try bad.validate() }
    }
}
