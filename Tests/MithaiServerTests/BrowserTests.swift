import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import Logging
import HummingbirdWSClient

/// A process this test started, with its stderr collected as it arrives.
final class Child: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var err = ""

    init(_ executable: String, _ arguments: [String], folder: URL, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.err += String(decoding: d, as: UTF8.self); self.lock.unlock()
        }
        try process.run()
    }

    var stderr: String { lock.lock(); defer { lock.unlock() }; return err }

    /// The first match of `pattern`'s group 1 in stderr, waiting up to `seconds`.
    func await(_ pattern: String, seconds: Double) async throws -> String? {
        let regex = try NSRegularExpression(pattern: pattern)
        func match() -> String? {
            let text = stderr
            guard let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), let r = Range(m.range(at: 1), in: text) else { return nil }
            return String(text[r])
        }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = match() { return found }
            if !process.isRunning { return match() }
            try await Task.sleep(for: .milliseconds(100))
        }
        // A busy machine may resume this task late: look once more.
        return match()
    }

    func signal(_ sig: Int32) { if process.isRunning { kill(process.processIdentifier, sig) } }
}

/// A DevTools-protocol session with one page of headless Chromium.
final class DevTools: @unchecked Sendable {
    private var iterator: WebSocketInboundMessageStream.AsyncIterator
    private let outbound: WebSocketOutboundWriter
    private var nextID = 0

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        iterator = inbound.messages(maxSize: 1 << 28).makeAsyncIterator()
        self.outbound = outbound
    }

    /// Sends a command and returns its `result` (events in between are skipped).
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:]) async throws -> JSONValue {
        nextID += 1
        let id = nextID
        let data = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
        while let message = try await iterator.next() {
            guard case .text(let text) = message else { continue }
            let v = try JSONValue.parse(Data(text.utf8))
            guard v["id"]?.number == Double(id) else { continue }
            if let e = v["error"] { throw TestFailure("\(method): \(e["message"]?.string ?? "\(e)")") }
            return v["result"] ?? .null
        }
        throw TestFailure("DevTools closed during \(method)")
    }

    /// Evaluates a JavaScript expression in the page and returns its value (JSON).
    func evaluate(_ expression: String) async throws -> JSONValue {
        let r = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let ex = r["exceptionDetails"] { throw TestFailure("script failed: \(ex["exception"]?["description"]?.string ?? "\(ex)")") }
        return r["result"]?["value"] ?? .null
    }

    /// Polls `expression` (returning a JSON object of facts) until `ok` holds; returns the last facts.
    func wait(_ expression: String, seconds: Double, until ok: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(seconds)
        var facts = JSONValue.null
        while Date() < deadline {
            facts = try await evaluate(expression)
            if ok(facts) { return facts }
            try await Task.sleep(for: .milliseconds(250))
        }
        return try await evaluate(expression)
    }

    func navigate(_ url: String) async throws {
        try await send("Page.navigate", ["url": url])
        _ = try await wait("document.readyState", seconds: 20) { $0.string == "complete" }
    }

    func viewport(_ width: Int, _ height: Int) async throws {
        try await send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
    }

    func screenshot(_ name: String) async throws -> URL {
        // Charts redraw at most every 250 ms: let the last data reach the canvas.
        try await Task.sleep(for: .milliseconds(700))
        let r = try await send("Page.captureScreenshot", ["format": "png"])
        guard let b64 = r["data"]?.string, let png = Data(base64Encoded: b64) else { throw TestFailure("no screenshot") }
        try FileManager.default.createDirectory(at: Paths.artifacts, withIntermediateDirectories: true)
        let url = Paths.artifacts.appendingPathComponent(name)
        try png.write(to: url)
        return url
    }
}

@Suite("serve: the pages in headless Chromium", .serialized)
struct BrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Facts the page exposes: counters of stream messages, table rows, chart points, errors.
    static let facts = """
    (() => { const M = window.mithai || {}; const rows = (id) => { const t = document.getElementById(id); return t ? t.tBodies[0].rows.length : -1; };
      const pts = (id, i) => { const c = window.Chart && Chart.getChart(id); return c ? (i === undefined ? c.data.datasets.reduce((n, d) => n + d.data.length, 0) : (c.data.datasets[i] ? c.data.datasets[i].data.length : 0)) : -1; };
      const labels = (id) => { const c = window.Chart && Chart.getChart(id); return c ? c.data.labels.length : -1; };
      const sets = (id) => { const c = window.Chart && Chart.getChart(id); return c ? c.data.datasets.length : -1; };
      const text = (id) => { const e = document.getElementById(id); return e ? e.textContent : null; };
      return { state: M.state, price: M.price || 0, fills: M.fills || 0, pnl: M.pnl || 0, depth: M.depth || 0, errors: M.errors || ['no mithai'],
        chart: !!window.Chart, banner: !document.getElementById('banner').hidden,
        fillRows: rows('fills'), ladderRows: rows('ladder'), bookRows: rows('book'), datasetRows: rows('datasets'), runRows: rows('runs'),
        runsText: text('runs'), datasetsText: text('datasets'), strategies: document.querySelectorAll('#f-strategy option').length,
        priceMid: pts('c-price', 2), pnlPoints: pts('c-pnl', 0), midPoints: pts('c-mid', 0), candles: labels('c-candles'), depthPoints: pts('c-depth'),
        markoutSets: sets('c-markout'), latencySets: sets('c-latency'), metricState: text('m-state'), bid: text('t-bid'), net: text('m-net'),
        overflow: document.documentElement.scrollWidth - window.innerWidth };
    })()
    """

    @Test("/, /hft and /advanced_charts fill with live data, and start/stop work from the page")
    func pagesInChromium() async throws {
        guard let chromium = Self.chromium else {
            if ProcessInfo.processInfo.environment["MITHAI_SKIP_BROWSER"] != nil { return }
            Issue.record("chromium is not installed (scripts/deps installs it; MITHAI_SKIP_BROWSER=1 skips this test)")
            return
        }
        let binary = try #require(Paths.binary, "the mithai binary is not built")
        let folder = try Paths.temporaryFolder("browser")
        try """
        load "\(Paths.spotData)" as btc
        strategy mm = grid half_spread=5 step=2 levels=5 qty=0.001 max_position=0.01
        backtest mm on btc bin=1m
        market sim = zi preset=binance:BTCUSDT seed=5
        """.write(to: folder.appendingPathComponent("init.mithai"), atomically: true, encoding: .utf8)
        let server = try Child(binary.path, ["serve", "port=0", "--init", "init.mithai", "--no-journal"], folder: folder,
                               environment: ["MITHAI_HOME": folder.path])
        defer { server.signal(SIGKILL) }
        let base = try #require(try await server.await(#"serving (http://127\.0\.0\.1:\d+) until"#, seconds: 240), "mithai serve did not start: \(server.stderr)")

        let profile = try Paths.temporaryFolder("chromium")
        let browser = try Child(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                                           "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=\(profile.path)",
                                           "--window-size=1600,900", "about:blank"], folder: folder)
        defer { browser.signal(SIGKILL); try? FileManager.default.removeItem(at: profile) }
        let devtoolsPort = try #require(try await browser.await(#"DevTools listening on ws://127\.0\.0\.1:(\d+)/"#, seconds: 60).flatMap(Int.init),
                                        "chromium did not start: \(browser.stderr)")
        let list = try await onThread { try HTTP.send("GET", "/json/list", port: devtoolsPort) }
        let page = try #require(try list.json().array?.first { $0["type"]?.string == "page" }?["webSocketDebuggerUrl"]?.string)

        let outcome = OutcomeBox()
        try await WebSocketClient.connect(url: page, configuration: .init(maxFrameSize: 1 << 28), logger: Logger(label: "cdp")) { inbound, outbound, _ in
            let cdp = DevTools(inbound: inbound, outbound: outbound)
            do { try await Self.script(cdp, base: base, outcome: outcome) } catch { outcome.fail("\(error)") }
        }
        for problem in outcome.problems { Issue.record(Comment(rawValue: problem)) }
        #expect(outcome.finished, "the browser script did not finish")

        // Ctrl-C ends `mithai serve` cleanly.
        server.signal(SIGINT)
        let stopped = try await waitUntil(seconds: 20) { !server.process.isRunning }
        #expect(stopped && server.process.terminationStatus == 0, "\(server.stderr)")
        #expect(server.stderr.contains("stopped serving"))
    }

    static func script(_ cdp: DevTools, base: String, outcome: OutcomeBox) async throws {
        func check(_ ok: Bool, _ what: String, _ facts: JSONValue) { if !ok { outcome.fail("\(what): \(facts)") } }
        func count(_ f: JSONValue, _ k: String) -> Double { f[k]?.number ?? -1 }
        try await cdp.send("Page.enable")
        try await cdp.viewport(1600, 900)

        // The trading screen: start the bot from the page, on the live market `sim` (a real live session).
        try await cdp.navigate(base + "/hft")
        var f = try await cdp.wait(facts, seconds: 20) { count($0, "strategies") > 0 }
        check(count(f, "strategies") > 0, "/hft lists no strategies", f)
        _ = try await cdp.evaluate("""
            document.getElementById('f-strategy').value = 'mm'; document.getElementById('f-dataset').value = 'market:sim';
            document.getElementById('f-speed').value = '20'; document.getElementById('btn-start').click(); true
            """)
        f = try await cdp.wait(facts, seconds: 180) { f in
            f["state"]?.string == "running" && count(f, "fillRows") >= 8 && count(f, "ladderRows") >= 20 && count(f, "priceMid") >= 30 && count(f, "pnlPoints") >= 30
        }
        check(f["state"]?.string == "running", "/hft: the bot did not run after START", f)
        check(count(f, "fillRows") >= 8 && count(f, "ladderRows") >= 20, "/hft: fills and ladder did not fill", f)
        check(count(f, "priceMid") >= 30 && count(f, "pnlPoints") >= 30, "/hft: price and P&L charts did not fill", f)
        check(f["chart"] == .bool(true) && f["banner"] == .bool(false) && (f["errors"]?.array?.isEmpty ?? false), "/hft: errors on the page", f)
        check(f["net"]?.string != "—", "/hft: no P&L shown", f)
        _ = try await cdp.screenshot("hft.png")

        // The market summary while the bot runs.
        try await cdp.navigate(base + "/")
        f = try await cdp.wait(facts, seconds: 30) { f in
            count(f, "midPoints") >= 15 && count(f, "bookRows") >= 5 && (f["runsText"]?.string ?? "").contains("r1") && (f["datasetsText"]?.string ?? "").contains("btc") && f["bid"]?.string != "—"
        }
        check(count(f, "midPoints") >= 15 && f["bid"]?.string != "—", "/: the mid chart and tiles did not fill", f)
        check(count(f, "bookRows") >= 5, "/: the book did not fill", f)
        check((f["runsText"]?.string ?? "").contains("r1") && (f["datasetsText"]?.string ?? "").contains("btc"), "/: runs and datasets missing", f)
        check(f["errors"]?.array?.isEmpty ?? false, "/: errors on the page", f)
        _ = try await cdp.screenshot("index.png")

        // The advanced charts.
        try await cdp.navigate(base + "/advanced_charts")
        f = try await cdp.wait(facts, seconds: 40) { f in
            count(f, "candles") >= 8 && count(f, "depthPoints") >= 10 && count(f, "markoutSets") >= 1 && count(f, "latencySets") >= 4
        }
        check(count(f, "candles") >= 8, "/advanced_charts: too few candles", f)
        check(count(f, "depthPoints") >= 10, "/advanced_charts: no depth", f)
        check(count(f, "markoutSets") >= 1 && count(f, "latencySets") >= 4, "/advanced_charts: no markouts, or latency without the run's", f)
        check(f["errors"]?.array?.isEmpty ?? false, "/advanced_charts: errors on the page", f)
        _ = try await cdp.screenshot("advanced_charts.png")

        // Back to the trading screen: STOP from the page.
        try await cdp.navigate(base + "/hft")
        f = try await cdp.wait(facts, seconds: 20) { $0["state"]?.string == "running" && count($0, "fillRows") > 0 }
        check(f["state"]?.string == "running", "/hft: the bot was no longer running before STOP", f)
        _ = try await cdp.evaluate("document.getElementById('btn-stop').click(); true")
        f = try await cdp.wait(facts, seconds: 20) { $0["state"]?.string == "stopped" && ($0["metricState"]?.string ?? "").hasPrefix("STOPPED") }
        check(f["state"]?.string == "stopped", "/hft: STOP did not stop the bot", f)
        let port = Int(base.split(separator: ":").last ?? "") ?? 0
        let status = try await onThread { try HTTP.send("GET", "/api/hft/status", port: port) }
        check(try status.json()["state"]?.string == "stopped", "the API does not report the stop", try status.json())
        // The live session became a stored run, as `stop` in the shell makes it.
        let after = try status.json()
        check(after["mode"]?.string == "live" && after["runs"]?.array?.first?.string == "r2", "the live session was not stored as r2", after)

        // A tablet: the trading screen reflows without horizontal scrolling.
        try await cdp.viewport(1024, 768)
        try await cdp.navigate(base + "/hft")
        f = try await cdp.wait(facts, seconds: 20) { count($0, "fillRows") > 0 && count($0, "ladderRows") > 0 && count($0, "priceMid") >= 30 }
        check(count(f, "overflow") <= 0, "/hft on a 1024 px tablet scrolls sideways", f)
        // Opened after the stop: the charts come from /api/hft/history, not the stream.
        check(count(f, "priceMid") >= 30 && count(f, "pnlPoints") >= 30, "/hft: history did not fill the charts", f)
        _ = try await cdp.screenshot("hft-tablet.png")
        outcome.finish()
    }
}

@Suite("serve: the process")
struct ServeProcessTests {
    @Test("mithai -c 'serve port=0' keeps serving until Ctrl-C; a public bind without a token exits 65")
    func commandLineServe() async throws {
        let binary = try #require(Paths.binary, "the mithai binary is not built")
        let folder = try Paths.temporaryFolder("serve-c")
        let server = try Child(binary.path, ["--no-journal", "-c", "serve port=0"], folder: folder, environment: ["MITHAI_HOME": folder.path])
        defer { server.signal(SIGKILL) }
        let base = try #require(try await server.await(#"serving (http://127\.0\.0\.1:\d+) until interrupted"#, seconds: 180), "\(server.stderr)")
        let port = Int(base.split(separator: ":").last ?? "") ?? 0
        try await Task.sleep(for: .seconds(1))
        #expect(server.process.isRunning, "the process left after -c")
        let status = try await onThread { try HTTP.send("GET", "/api/hft/status", port: port) }
        let state = try status.json()["state"]?.string
        #expect(status.status == 200 && state == "idle")
        server.signal(SIGINT)
        #expect(try await waitUntil(seconds: 20) { !server.process.isRunning })
        #expect(server.process.terminationStatus == 0 && server.stderr.contains("stopped serving \(base)"))

        let open = try Child(binary.path, ["--no-journal", "-c", "serve host=0.0.0.0 port=0"], folder: folder, environment: ["MITHAI_HOME": folder.path])
        defer { open.signal(SIGKILL) }
        #expect(try await waitUntil(seconds: 30) { !open.process.isRunning })
        #expect(open.process.terminationStatus == 65)
        #expect(open.stderr.contains("needs token="), "\(open.stderr)")
    }
}

final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    private var done = false
    func fail(_ p: String) { lock.lock(); list.append(p); lock.unlock() }
    func finish() { lock.lock(); done = true; lock.unlock() }
    var problems: [String] { lock.lock(); defer { lock.unlock() }; return list }
    var finished: Bool { lock.lock(); defer { lock.unlock() }; return done }
}
