import Foundation
import MithaiLanguage

/// TAB completion driven by the command table: verbs first; then, for the command at hand,
/// its keyword words, `key=` options not yet given, and values by parameter type (names of
/// workspace objects, choices, file paths after `load`, `.read`, `to`); inside `select`, the
/// columns of the table named after `from`, read ahead in the line.
public enum Completer {
    public struct Completion: Sendable, Equatable {
        /// UTF-8 offset in the line where the word being completed starts.
        public var start: Int
        /// Full replacements for that word, sorted, without duplicates.
        public var candidates: [String]
    }

    static let breakers: Set<UInt8> = [32, 9, UInt8(ascii: "|"), UInt8(ascii: ";"), UInt8(ascii: ","),
                                       UInt8(ascii: "("), UInt8(ascii: "="), UInt8(ascii: ")")]

    public static func complete(line: String, cursor: Int, session: Session) -> Completion {
        let bytes = Array(line.utf8)
        let end = min(cursor, bytes.count)
        var start = end
        while start > 0 && !breakers.contains(bytes[start - 1]) { start -= 1 }
        let word = String(decoding: bytes[start..<end], as: UTF8.self)
        let candidates = Array(Set(candidatesFor(bytes: bytes, wordStart: start, word: word, session: session)
            .filter { $0.hasPrefix(word) && $0 != word || word.isEmpty })).sorted()
        return Completion(start: start, candidates: candidates)
    }

    static func candidatesFor(bytes: [UInt8], wordStart: Int, word: String, session: Session) -> [String] {
        let before = String(decoding: bytes[0..<wordStart], as: UTF8.self)
        let fullLine = String(decoding: bytes, as: UTF8.self)
        // The current stage: text after the last top-level `|` or `;`.
        var stageStart = 0, depth = 0
        for (i, b) in bytes[0..<wordStart].enumerated() {
            if b == UInt8(ascii: "(") { depth += 1 } else if b == UInt8(ascii: ")") { depth = max(0, depth - 1) }
            else if depth == 0 && (b == UInt8(ascii: "|") || b == UInt8(ascii: ";")) { stageStart = i + 1 }
        }
        let stage = String(decoding: bytes[stageStart..<wordStart], as: UTF8.self)
        var words = stage.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        // `x = verb ...`: complete as if the statement began at the verb.
        if words.count >= 2 && words[1] == "=" { words.removeFirst(2) }
        if words.count == 1 && words[0].hasSuffix("=") && !words[0].contains("(") && before.hasSuffix("= ") { words.removeFirst() }
        let registry = session.registry
        let ws = session.workspace
        let pipedInto = stageStart > 0 && bytes[stageStart - 1] == UInt8(ascii: "|")

        if words.isEmpty {
            if word.hasPrefix(".") && stageStart == 0 { return registry.dotNames }
            var out = registry.verbNames + ["select", "where"]
            if !pipedInto { out += ws.names }
            return out
        }
        let verb = words[0]
        let afterEquals = wordStart > 0 && bytes[wordStart - 1] == UInt8(ascii: "=")
        if verb == "select" || verb == "where" {
            return queryCandidates(words: words, line: fullLine, session: session)
        }
        guard let spec = registry.lookup(verb) else { return [] }
        if verb == "strategy" {
            // After `strategy NAME = `, the kinds; after the kind, its parameters not yet given.
            if words.last == "=" || (words.count == 2 && !afterEquals) { return Strategies.all.map(\.name) }
            if let kind = words.dropFirst().compactMap({ Strategies.kind($0) }).first {
                let given = Set(words.compactMap { $0.split(separator: "=").first.map(String.init) })
                return kind.parameters.filter { !given.contains($0.name) }.map { $0.name + "=" }
            }
        }
        if afterEquals, let key = words.last.map({ String($0.dropLast()) }) ?? nil,
           let p = spec.parameters.first(where: { $0.name == key }) {
            return values(for: p, word: word, session: session)
        }
        if afterEquals {
            // `key=value` glued into one word by the split above.
            let glued = before.split(separator: " ").last.map(String.init) ?? ""
            let key = String(glued.prefix { $0 != "=" })
            if let p = spec.parameters.first(where: { $0.name == key }) { return values(for: p, word: word, session: session) }
            return []
        }
        let args = Array(words.dropFirst())
        if let last = args.last, let p = spec.parameters.first(where: { $0.form == .keyword(last) }) {
            return values(for: p, word: word, session: session)
        }
        // Which positional parameter comes next?
        var used = Set<String>()
        var positionalCount = 0
        var skipNext = false
        for a in args {
            if skipNext { skipNext = false; continue }
            if let eq = a.firstIndex(of: "=") { used.insert(String(a[..<eq])); continue }
            if let p = spec.parameters.first(where: { $0.form == .keyword(a) }) { used.insert(p.name); skipNext = true; continue }
            positionalCount += 1
        }
        let positional = spec.parameters.filter { $0.form == .positional }
        var out: [String] = []
        if positionalCount < positional.count || positional.last?.variadic == true {
            let p = positionalCount < positional.count ? positional[positionalCount] : positional.last!
            out += values(for: p, word: word, session: session)
        }
        if word.contains("/") || word.hasPrefix("~") || word.hasPrefix(".") { return out.isEmpty ? paths(word) : out }
        for p in spec.parameters where !used.contains(p.name) {
            switch p.form {
            case .keyword(let w): out.append(w)
            case .option: out.append(p.name + "=")
            case .positional: break
            }
        }
        return out
    }

    static func values(for p: Parameter, word: String, session: Session) -> [String] {
        let ws = session.workspace
        switch p.type {
        case .path: return paths(word)
        case .choice(let words): return words
        case .bool: return ["on", "off"]
        case .verb: return session.registry.allNames + Settings.specs.map(\.name) + Strategies.all.map(\.name) + ["syntax"]
        case .setting: return Settings.specs.map { $0.name + "=" }
        case .object(let kind): return ws.names.filter { ws[$0].map { objectKind(of: $0) == kind } ?? false }
        case .name, .word, .value: return ws.names
        default: return []
        }
    }

    /// The object kind of a value, as `ParameterType.object` names it.
    static func objectKind(of v: Value) -> String {
        switch v {
        case .table: "table"
        case .object(let o): o.object.kind
        default: v.kindName
        }
    }

    static func queryCandidates(words: [String], line: String, session: Session) -> [String] {
        let ws = session.workspace
        if words.last == "from" {
            return ws.names.filter { if case .table = ws[$0] { true } else { false } }
        }
        // Read ahead: the table after `from`, if it names a workspace table.
        var columns: [String] = []
        let all = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
        if let i = all.firstIndex(of: "from"), i + 1 < all.count, case .table(let t) = ws[all[i + 1]] {
            columns = t.columnNames
        } else if case .table(let t) = ws.last {
            columns = t.columnNames
        }
        return columns + ["by", "from", "where"] + QueryEngine.aggregateNames + IndicatorFunctions.names.sorted()
    }

    /// File names in the folder of `word`, folders with a trailing slash.
    static func paths(_ word: String) -> [String] {
        let expanded = (word as NSString).expandingTildeInPath
        let folder: String
        let prefix: String
        if word.hasSuffix("/") {
            folder = expanded
            prefix = ""
        } else {
            folder = (expanded as NSString).deletingLastPathComponent
            prefix = (expanded as NSString).lastPathComponent
        }
        let listFolder = folder.isEmpty ? "." : folder
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: listFolder) else { return [] }
        let typedFolder: String
        if word.hasSuffix("/") { typedFolder = word } else if let slash = word.lastIndex(of: "/") { typedFolder = String(word[...slash]) } else { typedFolder = "" }
        var out: [String] = []
        for e in entries.sorted() where e.hasPrefix(prefix) && (!e.hasPrefix(".") || prefix.hasPrefix(".")) {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (listFolder as NSString).appendingPathComponent(e), isDirectory: &isDir)
            out.append(typedFolder + e + (isDir.boolValue ? "/" : ""))
        }
        return out
    }
}
