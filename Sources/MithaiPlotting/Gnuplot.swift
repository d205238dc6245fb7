import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why a chart could not be drawn, in words for the user (never gnuplot's stream line numbers).
public struct PlotError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// One persistent gnuplot process per session. Scripts go through its stdin; data goes through
/// temporary binary files (Debian's gnuplot reads stdin one byte per system call). After each
/// script it prints a marker on stdout and on stderr; everything before the stderr marker is
/// that script's error text. Only this type starts gnuplot.
public final class Gnuplot {
    private var process: Process?
    private var input: FileHandle?
    private var stdoutFD: Int32 = -1
    private var stderrFD: Int32 = -1
    private let folder: URL
    private var counter = 0
    /// Polled while waiting for gnuplot; when it turns true the render is abandoned and the
    /// process killed (a new one starts with the next chart).
    public var isCancelled: () -> Bool = { false }

    public init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-plot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The gnuplot executable, or nil when it is not installed.
    public static var executable: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(dir)/gnuplot"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static let installHint = "gnuplot is not installed: run scripts/deps (or apt-get install gnuplot-nox)"

    private func start() throws {
        if let process, process.isRunning { return }
        guard let executable = Gnuplot.executable else { throw PlotError(Gnuplot.installHint) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = []
        var env = ProcessInfo.processInfo.environment
        env["GNUTERM"] = "dumb"
        env.removeValue(forKey: "DISPLAY")
        p.environment = env
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        process = p
        input = inPipe.fileHandleForWriting
        stdoutFD = outPipe.fileHandleForReading.fileDescriptor
        stderrFD = errPipe.fileHandleForReading.fileDescriptor
        try send("set print \"-\"\n")
        _ = try wait()
    }

    /// Kills the process (after a cancelled or failed render, and at the end).
    public func stop() {
        if let process, process.isRunning {
            try? input?.close()
            process.terminate()
            process.waitUntilExit()
        }
        process = nil
        input = nil
    }

    private func send(_ text: String) throws {
        guard let input else { throw PlotError("gnuplot is not running") }
        do { try input.write(contentsOf: Data(text.utf8)) } catch {
            stop()
            throw PlotError("gnuplot stopped unexpectedly")
        }
    }

    static let marker = "__MITHAI_PLOT_DONE__"

    /// Reads both streams until each shows the marker; returns (stdout text, stderr text).
    private func wait() throws -> (String, String) {
        try send("print \"\(Gnuplot.marker)\"\nprinterr \"\(Gnuplot.marker)\"\n")
        var out = [UInt8](), err = [UInt8]()
        var outDone = false, errDone = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        let markerBytes = Array((Gnuplot.marker + "\n").utf8)
        func ends(_ data: [UInt8]) -> Bool {
            data.count >= markerBytes.count && Array(data.suffix(markerBytes.count)) == markerBytes
        }
        while !(outDone && errDone) {
            if isCancelled() {
                stop()
                throw PlotError("cancelled")
            }
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 2, 100)
            if r < 0 && errno != EINTR { break }
            if r <= 0 {
                if let process, !process.isRunning { stop(); throw PlotError("gnuplot exited unexpectedly") }
                continue
            }
            for (i, fd) in [stdoutFD, stderrFD].enumerated() where fds[i].revents != 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { stop(); throw PlotError("gnuplot exited unexpectedly") }
                if i == 0 { out += buffer[0..<n]; outDone = ends(out) } else { err += buffer[0..<n]; errDone = ends(err) }
            }
        }
        func strip(_ d: [UInt8]) -> String {
            String(decoding: d.dropLast(markerBytes.count), as: UTF8.self)
        }
        return (strip(out), strip(err))
    }

    /// Draws a chart. For text and sixel outputs returns what to print; for files, nil (the
    /// file exists and is complete when this returns).
    @discardableResult
    public func draw(_ spec: PlotSpec) throws -> String? {
        try start()
        var files: [[String]] = []
        var written: [URL] = []
        defer { for url in written { try? FileManager.default.removeItem(at: url) } }
        for panel in spec.panels {
            var panelFiles: [String] = []
            for series in panel.series {
                counter += 1
                let url = folder.appendingPathComponent("s\(counter).bin")
                try Gnuplot.writeBinary(series.columns, to: url)
                written.append(url)
                panelFiles.append(url.path)
            }
            files.append(panelFiles)
        }
        if case .file(let path, _, _, _, _) = spec.output {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        let script = GnuplotScript.render(spec, files: files)
        try send(script)
        let (out, err) = try wait()
        let problems = err.split(separator: "\n").map(String.init).filter { line in
            !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.contains("warning: Skipping data file with no valid points")
        }
        if let message = Gnuplot.explain(problems) {
            try? send("unset output\n")
            _ = try? wait()
            throw PlotError(message)
        }
        switch spec.output {
        case .file: return nil
        default: return out
        }
    }

    /// gnuplot's error lines, stripped of stream positions, as one message; nil if only
    /// harmless warnings.
    static func explain(_ lines: [String]) -> String? {
        let errors = lines.filter {
            !$0.lowercased().contains("warning:") && !$0.hasPrefix(" ") && $0.trimmingCharacters(in: .whitespaces) != "^"
        }
        guard !errors.isEmpty else { return nil }
        let text = (errors.isEmpty ? lines : errors).map { line -> String in
            // "line 12: undefined variable: x" -> "undefined variable: x"
            if let r = line.range(of: #"^(\"[^\"]*\", )?line \d+: "#, options: .regularExpression) {
                return String(line[r.upperBound...])
            }
            return line
        }
        return "gnuplot could not draw the chart: " + text.joined(separator: "; ")
    }

    /// Writes parallel columns as float64 records (native little-endian).
    static func writeBinary(_ columns: [[Double]], to url: URL) throws {
        let n = columns.first?.count ?? 0
        var data = [Double]()
        data.reserveCapacity(n * columns.count)
        for i in 0..<n { for c in columns { data.append(i < c.count ? c[i] : .nan) } }
        try data.withUnsafeBytes { try Data($0).write(to: url) }
    }
}
