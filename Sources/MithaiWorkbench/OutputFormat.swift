import Foundation

/// How results are printed: `--format` on the command line, `.mode` in the shell.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, csv, json, jsonl, markdown, latex

    /// Formats meant for programs: confirmations go to stderr so stdout stays parseable.
    public var isMachineReadable: Bool { self == .csv || self == .json || self == .jsonl }
}

/// Presentation settings for text output.
public struct RenderStyle: Sendable, Equatable {
    /// Terminal columns; 0 means unlimited (piped output).
    public var width: Int
    /// Rows shown before the middle of a long table is elided; 0 shows all.
    public var maxRows: Int
    /// ANSI colour (terminal only, and never with NO_COLOR).
    public var color: Bool

    public init(width: Int = 0, maxRows: Int = 40, color: Bool = false) {
        self.width = width
        self.maxRows = maxRows
        self.color = color
    }
}

/// Renders values in every output format. Pure: same input, same bytes.
public enum Renderer {
    static let amber = "\u{1B}[1;38;5;214m", cyan = "\u{1B}[38;5;45m", dim = "\u{1B}[2m", reset = "\u{1B}[0m"

    /// The text to print for `value`, ending in a newline (empty for `.none`).
    public static func render(_ value: Value, format: OutputFormat, style: RenderStyle) -> String {
        switch value {
        case .none: return ""
        case .table(let t): return render(t, format: format, style: style)
        case .text(let s): return s.hasSuffix("\n") ? s : s + "\n"
        case .message(let m): return m + "\n"
        case .object(let o):
            let d = o.object.display
            return format == .json || format == .jsonl ? jsonString(d) + "\n" : (d.hasSuffix("\n") ? d : d + "\n")
        default:
            switch format {
            case .json, .jsonl: return jsonScalar(value) + "\n"
            case .csv: return csvField(value.display) + "\n"
            default: return value.display + "\n"
            }
        }
    }

    public static func render(_ table: Table, format: OutputFormat, style: RenderStyle) -> String {
        switch format {
        case .table: return text(table, style: style)
        case .csv: return csv(table)
        case .json: return json(table)
        case .jsonl: return (0..<table.rowCount).map { jsonRow(table, $0) + "\n" }.joined()
        case .markdown: return markdown(table)
        case .latex: return latex(table)
        }
    }

    // MARK: text

    static func clip(_ s: String, _ limit: Int) -> String {
        s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }

    static func text(_ table: Table, style: RenderStyle) -> String {
        let n = table.rowCount
        var rows: [Int]
        var hidden = 0
        if style.maxRows > 0 && n > style.maxRows {
            let head = (style.maxRows + 1) / 2, tail = style.maxRows / 2
            rows = Array(0..<head) + Array((n - tail)..<n)
            hidden = n - head - tail
        } else {
            rows = Array(0..<n)
        }
        let cellLimit = 48
        var cols: [(header: String, cells: [String], numeric: Bool, width: Int)] = table.columns.map { c in
            let cells = rows.map { clip(c.cell($0), cellLimit) }
            let width = max(c.name.count, cells.map(\.count).max() ?? 0)
            return (c.name, cells, c.isNumeric, width)
        }
        var omitted: [String] = []
        if style.width > 0 {
            var used = 0
            var keep = 0
            for (i, c) in cols.enumerated() {
                let need = c.width + (i == 0 ? 0 : 2)
                if used + need > style.width && i > 0 { break }
                used += need
                keep = i + 1
            }
            if keep < cols.count {
                omitted = cols[keep...].map(\.header)
                cols = Array(cols[..<keep])
            }
        }
        func pad(_ s: String, _ w: Int, right: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return right ? fill + s : s + fill
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cols.enumerated() { parts.append(pad(cells[i], c.width, right: c.numeric)) }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        var out = ""
        let header = line(cols.map(\.header))
        out += style.color ? amber + header + reset + "\n" : header + "\n"
        let rule = cols.map { String(repeating: "─", count: $0.width) }.joined(separator: "  ")
        out += style.color ? dim + rule + reset + "\n" : rule + "\n"
        let head = hidden > 0 ? (style.maxRows + 1) / 2 : rows.count
        for r in 0..<rows.count {
            if r == head && hidden > 0 {
                let note = "... \(grouped(hidden)) rows ..."
                out += style.color ? dim + note + reset + "\n" : note + "\n"
            }
            out += line(cols.map { $0.cells[r] }) + "\n"
        }
        if !omitted.isEmpty {
            let note = "(\(omitted.count) more column\(omitted.count == 1 ? "" : "s"): \(omitted.joined(separator: " ")))"
            out += style.color ? dim + note + reset + "\n" : note + "\n"
        }
        return out
    }

    /// `1234567` -> `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    // MARK: csv

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func csv(_ table: Table) -> String {
        var out = table.columnNames.map(csvField).joined(separator: ",") + "\r\n"
        for r in 0..<table.rowCount {
            out += table.columns.map { csvField($0.exactCell(r)) }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    // MARK: json

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    static func jsonScalar(_ v: Value) -> String {
        switch v {
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            if case .real(let d) = n, !d.isFinite { return "null" }
            return n.description
        case .duration(let d): return String(d)
        case .list(let items): return "[" + items.map(jsonScalar).joined(separator: ",") + "]"
        case .table(let t): return json(t).trimmingCharacters(in: .newlines)
        default: return jsonString(v.display)
        }
    }

    static func jsonCell(_ c: Column, _ r: Int) -> String {
        let s = c.exactCell(r)
        switch c.data {
        case .real(let v) where !v[r].isFinite: return "null"  // JSON has no inf or nan
        case .int, .real, .decimal, .duration: return s.isEmpty ? "null" : s
        case .bool: return s
        default:
            if case .timestamp(let v, _) = c.data, v[r] == Column.null { return "null" }
            return jsonString(s)
        }
    }

    static func jsonRow(_ t: Table, _ r: Int) -> String {
        "{" + t.columns.map { jsonString($0.name) + ":" + jsonCell($0, r) }.joined(separator: ",") + "}"
    }

    static func json(_ t: Table) -> String {
        "[" + (0..<t.rowCount).map { jsonRow(t, $0) }.joined(separator: ",\n ") + "]\n"
    }

    // MARK: markdown and latex

    static func markdown(_ t: Table) -> String {
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var out = "| " + t.columnNames.map(esc).joined(separator: " | ") + " |\n"
        out += "|" + t.columns.map { $0.isNumeric ? "---:" : ":---" }.joined(separator: "|") + "|\n"
        for r in 0..<t.rowCount {
            out += "| " + t.columns.map { esc($0.cell(r)) }.joined(separator: " | ") + " |\n"
        }
        return out
    }

    static func latexEscape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "\\": out += "\\textbackslash{}"
            case "&", "%", "$", "#", "_", "{", "}": out += "\\" + String(ch)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            default: out.append(ch)
            }
        }
        return out
    }

    static func latex(_ t: Table) -> String {
        let spec = t.columns.map { $0.isNumeric ? "r" : "l" }.joined()
        var out = "\\begin{tabular}{\(spec)}\n\\toprule\n"
        out += t.columnNames.map(latexEscape).joined(separator: " & ") + " \\\\\n\\midrule\n"
        for r in 0..<t.rowCount {
            out += t.columns.map { latexEscape($0.cell(r)) }.joined(separator: " & ") + " \\\\\n"
        }
        return out + "\\bottomrule\n\\end{tabular}\n"
    }
}
