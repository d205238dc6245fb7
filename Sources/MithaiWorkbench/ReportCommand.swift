import Foundation
import MithaiLanguage
import MithaiEngine
import MithaiMarketData
import MithaiPlotting
import Crypto

/// What a report records for `mithai verify`: embedded in every report (base64 JSON in a
/// comment), so the report alone says how to re-create each of its numbers and figures.
public struct ReportManifest: Codable, Equatable, Sendable {
    public var version = 1
    /// The report file as it was named when written.
    public var path: String
    public var engine: String
    public var runs: [String]
    public var theme: String
    public var figureFormat: String
    public var data: [DataEntry]
    /// One row per statistic: its name and its text for each run, in `runs` order.
    public var stats: [StatRow]
    public var figures: [FigureEntry]
    /// The session's successful statements before the report, with their `#=` digests.
    public var script: String

    public struct DataEntry: Codable, Equatable, Sendable {
        public var name: String
        public var files: [String]
        public var sha256: String
        public var format: String
        public var events: Int
        public var span: String
    }

    public struct StatRow: Codable, Equatable, Sendable {
        public var stat: String
        /// As shown in the report.
        public var values: [String]
        /// The full-precision value (shortest round-trip double), for verification.
        public var exact: [String]
    }

    public struct FigureEntry: Codable, Equatable, Sendable {
        public var name: String
        public var title: String
        public var file: String?
        /// Digest of the plotted data series (not the image bytes); empty when not drawable.
        public var fingerprint: String
        public var note: String?
    }

    static let marker = "mithai-report v1 "

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ((try? encoder.encode(self)) ?? Data()).base64EncodedString()
    }

    /// The manifest embedded in a report's text, if any.
    public static func extract(from text: String) -> ReportManifest? {
        guard let r = text.range(of: marker) else { return nil }
        let token = text[r.upperBound...].prefix { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(token)) else { return nil }
        return try? JSONDecoder().decode(ReportManifest.self, from: data)
    }
}

/// A report the session wrote.
final class ReportObject: WorkspaceObject {
    let kind = "report"
    let path: String
    let manifest: ReportManifest
    let files: [String]

    init(path: String, manifest: ReportManifest, files: [String]) {
        self.path = path
        self.manifest = manifest
        self.files = files
    }

    var summary: String {
        "report \(path): \(manifest.runs.joined(separator: " ")), \(manifest.stats.count) statistics, \(manifest.figures.filter { !$0.fingerprint.isEmpty }.count) figures, \(manifest.theme)"
    }
    var display: String { "wrote " + ([path] + files).joined(separator: ", ") }
    /// The manifest without file names of figures (which exist only where gnuplot does), so
    /// the digest is the same with and without gnuplot.
    var canonical: String {
        var m = manifest
        for i in m.figures.indices { m.figures[i].file = nil }
        return m.encoded()
    }
}

/// `report`: a paper-ready account of runs (parameters, data provenance, engine, the session
/// script, statistics, standard figures) as Markdown, one self-contained HTML file, or LaTeX.
enum ReportCommand {
    static let spec = CommandSpec(
        "report", category: "backtests",
        summary: "writes a report of runs: parameters, data provenance, script, statistics and figures (.md, .html or .tex)",
        parameters: [
            Parameter("runs", .positional, .object("run"), required: true, variadic: true, "one or more runs"),
            Parameter("file", .keyword("to"), .path, required: true, "FILE.md, FILE.html (self-contained) or FILE.tex"),
            Parameter("theme", .option, .choice(["paper", "dark"]), default: "paper", "paper: white, serif, print; dark: the terminal look"),
            Parameter("figures", .option, .choice(["png", "svg", "pdf"]), default: "png (pdf for .tex)", "format of the figure files written beside the report"),
        ],
        examples: ["report r1 to out/r1.md", "report r1 r2 to out/grid.html theme=dark", "report r1 to out/r1.tex"],
        details: """
        Figures (P&L and drawdown, inventory, fills on the mid, markouts, latency) are written beside \
        the report as FILE-pnl.png, ...; the HTML report embeds them, so it is one file. Markdown and \
        HTML reports also write FILE-stats.tex, the statistics as a LaTeX (booktabs) table. Every \
        report embeds the session script and a record of its numbers and figure data: `mithai verify \
        FILE` re-runs the script and checks them, and fails when a data file changed. See docs/REPORTS.md.
        """,
        handler: { ctx in try run(&ctx) })

    static func run(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        var runs: [RunObject] = []
        for e in ctx.exprs("runs") {
            if case .list(let items, _) = e { for i in items { runs.append(try BacktestCommands.run(i, &ctx)) } } else {
                runs.append(try BacktestCommands.run(e, &ctx))
            }
        }
        let path = (try ctx.path("file")! as NSString).expandingTildeInPath
        let ext = (path as NSString).pathExtension.lowercased()
        guard ["md", "markdown", "html", "htm", "tex"].contains(ext) else {
            throw .at(ctx.range("file"), "reports are written as .md, .html or .tex, not '.\(ext)'")
        }
        let theme = try ctx.choice("theme") ?? "paper"
        let figureFormat = try ctx.choice("figures") ?? (ext == "tex" ? "pdf" : "png")
        let script = scriptText(ctx.session.records)
        let canDraw = Gnuplot.executable != nil
        let manifest = try build(runs: runs, path: path, theme: theme, figureFormat: figureFormat, script: script,
                                 drawImages: canDraw, ctx: &ctx)
        var written: [String] = manifest.figures.compactMap(\.file).filter { FileManager.default.fileExists(atPath: $0) }
        let text = render(manifest, runs: runs)
        do {
            try OutputFile.write(Array(text.utf8), to: path)
            if ext != "tex" {
                let stats = statsPath(path)
                try OutputFile.write(Array(Renderer.latex(statsTable(manifest)).utf8), to: stats)
                written.append(stats)
            }
        } catch {
            throw .failed("cannot write the report: \(error)")
        }
        if !canDraw { ctx.session.print("note: gnuplot is not installed: the report lists its figures' data digests but has no images (\(Gnuplot.installHint))\n", to: .err) }
        ctx.session.recordArtifact(kind: "report", path: path)
        for f in written { ctx.session.recordArtifact(kind: "report-file", path: f) }
        return .object(ObjectRef(ReportObject(path: path, manifest: manifest, files: written)))
    }

    /// The report's text in the format its file name asks for.
    static func render(_ m: ReportManifest, runs: [RunObject]) -> String {
        switch (m.path as NSString).pathExtension.lowercased() {
        case "html", "htm": html(m, runs: runs, path: m.path)
        case "tex": latexDocument(m, runs: runs, path: m.path)
        default: markdown(m, runs: runs, path: m.path)
        }
    }

    /// The text with embedded images and the manifest left out, to compare reports by content.
    static func comparable(_ text: String) -> [Substring] {
        var out = ""
        var rest = Substring(text)
        while let r = rest.range(of: ";base64,") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...].drop { $0 != "\"" }
        }
        out += rest
        return out.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains(ReportManifest.marker) }
    }

    static func statsPath(_ path: String) -> String { (path as NSString).deletingPathExtension + "-stats.tex" }

    /// The statements a saved script would hold: successful ones, dot-commands left out, each
    /// followed by its `#=` line.
    static func scriptText(_ records: [Session.Record]) -> String {
        var out = ""
        for r in records where r.ok && !r.isDotCommand {
            out += r.text + "\n"
            if let d = r.digest { out += "#= \(r.summary.replacingOccurrences(of: "\n", with: " ")) [sha256:\(d)]\n" }
        }
        return out
    }

    /// The standard figures of the runs: (name, title, runs drawn).
    static func figurePlan(_ runs: [RunObject]) -> [(String, String, [RunObject])] {
        var plan: [(String, String, [RunObject])] = [("pnl", runs.count > 1 ? "Equity" : "Equity and drawdown", runs), ("inventory", "Inventory", runs)]
        for r in runs {
            let suffix = runs.count > 1 ? " (\(r.name))" : ""
            // Drawdown is drawn for one run at a time.
            if runs.count > 1 { plan.append(("pnl", "Equity and drawdown" + suffix, [r])) }
            plan += [("fills", "Fills on the mid price" + suffix, [r]), ("markouts", "Markouts" + suffix, [r]),
                     ("latency", "Latency" + suffix, [r])]
        }
        return plan
    }

    /// Everything a report states, computed from the runs (figures drawn when `drawImages`).
    static func build(runs: [RunObject], path: String, theme: String, figureFormat: String, script: String,
                      drawImages: Bool, ctx: inout CommandContext) throws(WorkbenchError) -> ReportManifest {
        var data: [ReportManifest.DataEntry] = []
        for r in runs where !data.contains(where: { $0.name == r.data.name }) {
            let d = r.data
            data.append(.init(name: d.name, files: d.dataset.sources, sha256: d.dataset.contentHash, format: "\(d.dataset.format)",
                              events: d.dataset.eventCount, span: d.spanText ?? ""))
        }
        let rows = runs.map(BacktestCommands.statisticsRows)
        let stats = rows[0].indices.map { i in ReportManifest.StatRow(stat: rows[0][i].0, values: rows.map { $0[i].1 },
                                                                              exact: rows.map { Number.format($0[i].2) }) }
        let base = (path as NSString).deletingPathExtension
        let plotTheme: Theme = theme == "dark" ? .terminal : .paper
        let format = Output.FileFormat(rawValue: figureFormat) ?? .png
        var figures: [ReportManifest.FigureEntry] = []
        for (i, (chart, title, drawn)) in figurePlan(runs).enumerated() {
            let file = base + "-" + (i < 2 || runs.count == 1 ? chart : "\(drawn[0].name)-\(chart)") + "." + figureFormat
            let request = PlotCommand.ChartRequest(output: .file(path: file, format: format, width: 1200, height: 700, dpi: 96),
                                                   theme: plotTheme, drawImage: drawImages)
            let objects = drawn.map { Expr.name($0.name, ctx.verbRange) }
            do throws(WorkbenchError) {
                let value = try PlotCommand.runChart(chart, range: ctx.verbRange, objects: objects, ctx: &ctx, request: request)
                guard case .object(let o) = value, let c = o.as(ChartObject.self) else { throw WorkbenchError.internal("report chart") }
                figures.append(.init(name: chart, title: title, file: drawImages ? file : nil, fingerprint: c.fingerprint, note: nil))
            } catch {
                if case .cancelled = error { throw error }
                let message: String
                switch error {
                case .diagnostic(let d): message = d.message
                case .failed(let m), .internal(let m): message = m
                case .cancelled: message = "cancelled"
                }
                figures.append(.init(name: chart, title: title, file: nil, fingerprint: "", note: message))
            }
        }
        return ReportManifest(path: path, engine: Session.engineVersion, runs: runs.map(\.name), theme: theme, figureFormat: figureFormat,
                              data: data, stats: stats, figures: figures, script: script)
    }

    static func statsTable(_ m: ReportManifest) -> Table {
        Table([Column("stat", .text(m.stats.map(\.stat)))] + m.runs.indices.map { i in Column(m.runs[i], .text(m.stats.map { $0.values[i] })) })
    }

    /// Parameters of the runs side by side (strategy values, then the backtest's settings).
    static func parameterTable(_ runs: [RunObject]) -> Table {
        var keys: [String] = ["strategy", "data"]
        var values: [[String: String]] = []
        for r in runs {
            var v: [String: String] = ["strategy": "\(r.strategy.strategyKind.name) \(r.strategy.name)", "data": r.data.name]
            for (k, x) in r.strategy.values.map({ ($0.name, $0.value.display) }) + r.configurationText {
                if !keys.contains(k) { keys.append(k) }
                v[k] = k == "from" || k == "to" ? Int64(x).map { Format.isoTimestamp($0, zone: r.data.zone) } ?? x : x
            }
            v["status"] = r.status
            values.append(v)
        }
        keys.append("status")
        return Table([Column("parameter", .text(keys))] + runs.indices.map { i in Column(runs[i].name, .text(keys.map { values[i][$0] ?? "" })) })
    }

    static func dataTable(_ m: ReportManifest, runs: [RunObject]) -> Table {
        let instruments = m.data.map { d in runs.first { $0.data.name == d.name }.map { r in
            "\(r.data.instrument.symbol) tick \(r.data.instrument.tickSize) lot \(r.data.instrument.lotSize)" } ?? "" }
        return Table([
            Column("dataset", .text(m.data.map(\.name))), Column("file", .text(m.data.map { $0.files.joined(separator: " + ") })),
            Column("sha256", .text(m.data.map(\.sha256))), Column("format", .text(m.data.map(\.format))),
            Column("events", .int(m.data.map { Int64($0.events) })), Column("span", .text(m.data.map(\.span))),
            Column("instrument", .text(instruments)),
        ])
    }

    /// The run's one-line account without its leading name.
    static func runLine(_ r: RunObject) -> String {
        let d = r.display
        return d.hasPrefix(r.name + ": ") ? String(d.dropFirst(r.name.count + 2)) : d
    }

    static func title(_ m: ReportManifest) -> String { "Backtest report: " + m.runs.joined(separator: ", ") }

    // MARK: - Markdown

    static func markdown(_ m: ReportManifest, runs: [RunObject], path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        func rel(_ p: String) -> String { Notebook.relativePath(p, from: folder.isEmpty ? "." : folder) }
        var out = "# \(title(m))\n\n"
        out += "Mithai \(m.engine), theme \(m.theme). Check every number and figure: `mithai verify \(path)`\n\n"
        out += "## Runs\n\n" + runs.map { "- **\($0.name)**: \(runLine($0))\n" }.joined() + "\n"
        out += "## Parameters\n\n" + Renderer.markdown(parameterTable(runs)) + "\n"
        out += "## Data\n\n" + Renderer.markdown(dataTable(m, runs: runs)) + "\n"
        out += "## Statistics\n\n" + Renderer.markdown(statsTable(m))
        out += "\nAs a LaTeX table: [\(rel(statsPath(path)))](\(rel(statsPath(path)))). Formulas: docs/STATISTICS.md.\n\n"
        out += "## Figures\n"
        for f in m.figures {
            out += "\n### \(f.title)\n\n"
            if let file = f.file {
                out += m.figureFormat == "pdf" ? "[\(rel(file))](\(rel(file)))\n" : "![\(f.title)](\(rel(file)))\n"
            }
            if let note = f.note { out += "_Not drawn: \(note)_\n" }
            if !f.fingerprint.isEmpty { out += "\n<sub>data sha256:\(f.fingerprint)</sub>\n" }
        }
        let fence = Notebook.fence(for: m.script)
        out += "\n## Session script\n\nThe statements that produced these runs, with their result digests:\n\n\(fence)mithai\n\(m.script)\(fence)\n"
        out += "\n<!-- \(ReportManifest.marker)\(m.encoded()) -->\n"
        return out
    }

    // MARK: - HTML

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func htmlTable(_ t: Table) -> String {
        var out = "<table>\n<thead><tr>" + t.columns.map { "<th>\(escape($0.name))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for r in 0..<t.rowCount {
            out += "<tr>" + t.columns.map { "<td\($0.isNumeric ? " class=\"n\"" : "")>\(escape($0.cell(r)))</td>" }.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    static func html(_ m: ReportManifest, runs: [RunObject], path: String) -> String {
        let dark = m.theme == "dark"
        let css = dark
            ? "body{background:#000;color:#ffb000;font-family:ui-monospace,Menlo,monospace}a{color:#4fc3f7}th{color:#4fc3f7}td,th{border-bottom:1px solid #333}pre{background:#111;color:#ddd}"
            : "body{background:#fff;color:#111;font-family:Georgia,'Times New Roman',serif}td,th{border-bottom:1px solid #ccc}pre{background:#f6f6f6}"
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escape(title(m)))</title>
        <style>body{max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{padding:2px 10px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%}pre{padding:1em;overflow-x:auto;font-size:85%}small{opacity:.7}\(css)</style>
        </head>
        <body>
        <h1>\(escape(title(m)))</h1>
        <p>Mithai \(escape(m.engine)), theme \(escape(m.theme)). Check every number and figure: <code>mithai verify \(escape(path))</code></p>

        """
        out += "<h2>Runs</h2>\n<ul>\n" + runs.map { "<li><b>\(escape($0.name))</b>: \(escape(runLine($0)))</li>\n" }.joined() + "</ul>\n"
        out += "<h2>Parameters</h2>\n" + htmlTable(parameterTable(runs))
        out += "<h2>Data</h2>\n" + htmlTable(dataTable(m, runs: runs))
        out += "<h2>Statistics</h2>\n" + htmlTable(statsTable(m))
        out += "<h2>Figures</h2>\n"
        for f in m.figures {
            out += "<figure>\n"
            if let file = f.file, let bytes = OutputFile.contents(of: file) {
                let mime = m.figureFormat == "svg" ? "image/svg+xml" : m.figureFormat == "pdf" ? "application/pdf" : "image/png"
                let b64 = Data(bytes).base64EncodedString()
                out += m.figureFormat == "pdf"
                    ? "<object data=\"data:\(mime);base64,\(b64)\" type=\"\(mime)\" width=\"100%\" height=\"600\"></object>\n"
                    : "<img alt=\"\(escape(f.title))\" src=\"data:\(mime);base64,\(b64)\">\n"
            }
            out += "<figcaption>\(escape(f.title))"
            if let note = f.note { out += ": not drawn: \(escape(note))" }
            if !f.fingerprint.isEmpty { out += " <small>data sha256:\(f.fingerprint)</small>" }
            out += "</figcaption>\n</figure>\n"
        }
        out += "<h2>Session script</h2>\n<pre><code class=\"language-mithai\">\(escape(m.script))</code></pre>\n"
        out += "<!-- \(ReportManifest.marker)\(m.encoded()) -->\n</body>\n</html>\n"
        return out
    }

    // MARK: - LaTeX

    static func latexDocument(_ m: ReportManifest, runs: [RunObject], path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        func small(_ t: Table) -> String { "{\\small\n" + Renderer.latex(t) + "}\n" }
        var out = "% \(ReportManifest.marker)\(m.encoded())\n"
        out += """
        \\documentclass[11pt]{article}
        \\usepackage[margin=2cm]{geometry}
        \\usepackage{booktabs,graphicx,fancyvrb}
        \\title{\(Renderer.latexEscape(title(m)))}
        \\date{}
        \\begin{document}
        \\maketitle
        \\noindent Mithai \(Renderer.latexEscape(m.engine)), theme \(m.theme). Check every number and figure: \\texttt{mithai verify \(Renderer.latexEscape(path))}.

        \\section*{Runs}
        \\begin{itemize}

        """
        for r in runs { out += "\\item \\textbf{\(Renderer.latexEscape(r.name))}: \(Renderer.latexEscape(runLine(r)))\n" }
        out += "\\end{itemize}\n\n\\section*{Parameters}\n" + small(parameterTable(runs))
        // The hash and path are long: the data table is scaled to the text width.
        out += "\n\\section*{Data}\n\\noindent\\resizebox{\\linewidth}{!}{%\n" + Renderer.latex(dataTable(m, runs: runs)) + "}\n"
        out += "\n\\section*{Statistics}\n" + small(statsTable(m))
        out += "\n\\section*{Figures}\n"
        for f in m.figures {
            if let file = f.file {
                out += "\\begin{figure}[htbp]\n\\centering\n\\includegraphics[width=\\linewidth]{\(Notebook.relativePath(file, from: folder.isEmpty ? "." : folder))}\n"
                out += "\\caption{\(Renderer.latexEscape(f.title)) (data sha256:\(f.fingerprint))}\n\\end{figure}\n"
            } else if let note = f.note {
                out += "\\noindent \(Renderer.latexEscape(f.title)): not drawn: \(Renderer.latexEscape(note))\\par\n"
            }
        }
        out += "\n\\section*{Session script}\n\\begin{Verbatim}[fontsize=\\small]\n\(m.script)\\end{Verbatim}\n\\end{document}\n"
        return out
    }
}
