import Foundation
import MithaiLanguage
import MithaiMarketData

/// Sessions as Markdown notebooks: every statement in a ```` ```mithai ```` block with its
/// `#=` digest line, then what it printed in a ```` ```text ```` block and the chart it drew
/// as an image. The digests live inside the code blocks, so they survive any Markdown
/// renderer or editor; `mithai NOTEBOOK.md --verify` runs the ```` ```mithai ```` blocks
/// only, with the rest of the file blanked out, so error lines are the notebook's own.
public enum Notebook {
    /// The text a statement printed (without colour) and the chart file it wrote.
    static func capture(_ value: Value, printed: Bool, session: Session) -> (String, String?) {
        var figure: String?
        if case .object(let o) = value, let chart = o.as(ChartObject.self) { figure = chart.path }
        guard printed else { return ("", figure) }
        if figure != nil { return ("", figure) }
        var style = session.style
        style.color = false
        return (clipped(stripEscapes(Renderer.render(value, format: session.workspace.settings.format, style: style))), nil)
    }

    /// Long output (a whole table printed with `set rows=0`) is kept to its first 200 lines.
    static func clipped(_ text: String, lines limit: Int = 200) -> String {
        guard text.utf8.count > 4_000 else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > limit + 1 else { return text }
        return lines.prefix(limit).joined(separator: "\n") + "\n... (\(Renderer.grouped(lines.count - limit - 1)) more lines)\n"
    }

    /// Removes ANSI escape sequences (terminal charts are drawn in colour) and sixel pictures
    /// (device control strings, ESC P ... ESC \\), which are images, not text.
    static func stripEscapes(_ s: String) -> String {
        guard s.contains("\u{1B}") else { return s }
        var out = ""
        enum State { case text, escape, csi, dcs, dcsEscape }
        var state = State.text
        for ch in s.unicodeScalars {
            switch state {
            case .text:
                if ch == "\u{1B}" { state = .escape } else { out.unicodeScalars.append(ch) }
            case .escape:
                state = ch == "[" ? .csi : ch == "P" ? .dcs : .text
            case .csi:
                if (0x40...0x7E).contains(ch.value) { state = .text }
            case .dcs:
                if ch == "\u{1B}" { state = .dcsEscape }
            case .dcsEscape:
                state = ch == "\\" ? .text : .dcs
            }
        }
        return out
    }

    /// A fence longer than any run of backticks in `text`.
    static func fence(for text: String) -> String {
        var longest = 0, run = 0
        for ch in text { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        return String(repeating: "`", count: max(3, longest + 1))
    }

    /// `target` relative to the folder `base` when it lies under it, else absolute.
    static func relativePath(_ target: String, from base: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { (p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p) as String) }
        let t = (absolute(target) as NSString).standardizingPath, b = (absolute(base) as NSString).standardizingPath
        let tp = t.split(separator: "/"), bp = b.split(separator: "/")
        var common = 0
        while common < tp.count && common < bp.count && tp[common] == bp[common] { common += 1 }
        let up = Array(repeating: "..", count: bp.count - common)
        let rel = (up + tp[common...].map(String.init)).joined(separator: "/")
        return rel.isEmpty ? t : rel
    }

    /// The notebook of `records` (successful statements, dot-commands left out), to be written at `path`.
    public static func render(_ records: [Session.Record], name: String, savedAt: String, path: String) -> String {
        let kept = records.filter { $0.ok && !$0.isDotCommand }
        let folder = (path as NSString).deletingLastPathComponent
        var out = "# \(name)\n\n"
        out += "Mithai \(Session.engineVersion) notebook, saved \(savedAt), \(kept.count) statement\(kept.count == 1 ? "" : "s"). "
        out += "Replay it and check every result: `mithai \(path) --verify`\n"
        for r in kept {
            var code = r.text + "\n"
            if let d = r.digest { code += "#= \(r.summary.replacingOccurrences(of: "\n", with: " ")) [sha256:\(d)]\n" }
            let f = fence(for: code)
            out += "\n\(f)mithai\n\(code)\(f)\n"
            let shown = r.output.trimmingCharacters(in: .newlines)
            if !shown.isEmpty {
                let g = fence(for: shown)
                out += "\n\(g)text\n\(shown)\n\(g)\n"
            }
            if let figure = r.figure {
                let rel = relativePath(figure, from: folder.isEmpty ? "." : folder)
                let ext = (figure as NSString).pathExtension.lowercased()
                out += ext == "pdf" ? "\n[\(rel)](\(rel))\n" : "\n![\(rel)](\(rel))\n"
            }
        }
        return out
    }

    /// The statements of a Markdown notebook as a script: the lines inside ```` ```mithai ````
    /// blocks kept in place, every other line blank (so line numbers are the notebook's).
    public static func scriptSource(fromMarkdown text: String) -> String {
        var out: [Substring] = []
        // The open fence and whether its block holds statements.
        var open: (fence: Substring, statements: Bool)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let o = open {
                let closes = trimmed.hasPrefix(o.fence) && trimmed.drop(while: { $0 == "`" }).allSatisfy(\.isWhitespace)
                if closes { open = nil }
                out.append(o.statements && !closes ? line : "")
                continue
            }
            if trimmed.hasPrefix("```") {
                let ticks = trimmed.prefix { $0 == "`" }
                let info = trimmed.dropFirst(ticks.count).trimmingCharacters(in: .whitespaces)
                open = (ticks, info == "mithai" || info.hasPrefix("mithai "))
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    /// Whether `path` names a Markdown file (a notebook or a report).
    public static func isMarkdown(_ path: String) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        return ext == "md" || ext == "markdown"
    }

    /// `.save NAME notebook` / `.save NAME.md`.
    static func save(_ ctx: CommandContext, name: String, range: SourceRange) throws(WorkbenchError) -> Value {
        var path: String
        var display: String
        if name.contains("/") || isMarkdown(name) {
            path = (name as NSString).expandingTildeInPath
            if !isMarkdown(path) { path += ".md" }
            display = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        } else {
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                throw .at(range, "a notebook name may hold letters, digits, '-', '_' and '.'")
            }
            path = (ctx.session.options.sessionsFolder as NSString).appendingPathComponent(name + ".md")
            display = name
        }
        let text = render(ctx.session.records, name: display, savedAt: ISO8601DateFormatter().string(from: Date()), path: path)
        do { try OutputFile.write(Array(text.utf8), to: path) } catch {
            throw .failed("cannot write \(path): \(error)")
        }
        let count = ctx.session.records.filter { $0.ok && !$0.isDotCommand }.count
        return .message("saved \(count) statement\(count == 1 ? "" : "s") as a notebook to \(path)")
    }
}
