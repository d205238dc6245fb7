/// Names and line shapes of LOBSTER files.
enum LobsterFiles {
    /// `TICKER_YYYY-MM-DD_START_END_message_LEVEL.csv`.
    static func isMessageFile(_ name: String) -> Bool {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        return base.contains("_message_") && base.hasSuffix(".csv")
    }

    /// `TICKER_YYYY-MM-DD_START_END_orderbook_LEVEL.csv`.
    static func isOrderBookFile(_ name: String) -> Bool {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        return base.contains("_orderbook_") && base.hasSuffix(".csv")
    }

    /// `time,type,id,size,price,direction`: seconds with decimals, type 1...7, three integers, ±1.
    static func looksLikeMessageLine(_ line: String) -> Bool {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 6, Double(f[0]) != nil, let type = Int(f[1]), (1...7).contains(type),
              Int(f[2]) != nil, Int(f[3]) != nil, Int(f[4]) != nil, let d = Int(f[5]), d == 1 || d == -1
        else { return false }
        return true
    }

    /// `ask price, ask size, bid price, bid size` repeated: a multiple of 4 integers.
    static func looksLikeOrderBookLine(_ line: String) -> Bool {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        return f.count >= 4 && f.count % 4 == 0 && f.allSatisfy { Int($0) != nil }
    }
}
