import MithaiEngine

extension DatasetLoader {
    /// Detects the format of `path` from its content (not its name): compression and archive
    /// members first, then the first lines of text.
    /// - Throws: `DataError` when the content matches no supported format.
    public static func detectFormat(path: String) throws -> DataFormat {
        let file = try InputFile(path: path)
        let head = try file.head(8)
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npz }
        if Compression.detect(head) == .zip {
            let archive = try ZipArchive(file)
            let names = archive.members.map(\.name)
            if names.contains(where: { $0 == "data.npy" || $0.hasSuffix(".npy") }) { return .npz }
            if names.contains(where: { LobsterFiles.isMessageFile($0) }) { return .lobster }
        }
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name, bufferSize: 1 << 16)
        var sample: [String] = []
        while sample.count < 3, let line = try lines.next() {
            if line.isEmpty { continue }
            sample.append(String(decoding: line.prefix(4096), as: UTF8.self))
        }
        guard let format = detectText(sample, fileName: path) else {
            let first = sample.first.map { " (first line: \(String($0.prefix(80))))" } ?? " (no text)"
            throw DataError(file: name, "cannot tell the data format from the content\(first): pass format: one of \(DataFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }

    /// Classifies the first non-empty lines of a text file.
    static func detectText(_ lines: [String], fileName: String) -> DataFormat? {
        guard let first = lines.first else { return nil }
        // Binance capture: `<receive ns> {json}`.
        if let space = first.firstIndex(of: " "), first[..<space].allSatisfy(\.isNumber),
           first[first.index(after: space)...].hasPrefix("{")
        {
            return .binance
        }
        let header = first.lowercased().split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " \"\t") }
        if header == ["exch_ts", "local_ts", "side", "kind", "price", "qty"] { return .benchCSV }
        if header.starts(with: ["exchange", "symbol", "timestamp", "local_timestamp"]) { return .tardis }
        if LobsterFiles.looksLikeMessageLine(first) || LobsterFiles.looksLikeOrderBookLine(first) { return .lobster }
        if BreezeReader.matches(header: header) { return .breeze }
        if BarsReader.detect(lines) != nil { return .bars }
        if TickCSVReader.columns(header) != nil { return .tickCSV }
        return nil
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
