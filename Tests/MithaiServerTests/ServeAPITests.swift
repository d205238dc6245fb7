import Foundation
import Testing
import Logging
import HummingbirdWSClient
@testable import MithaiServer
import MithaiWorkbench
import MithaiLanguage


/// The bot's stream as JSON messages: connects to /ws?QUERY and collects until `done` says so.
/// The messages of one WebSocket connection until `done` says so or `seconds` pass (then what
/// came so far, or a `TestFailure` with `timeoutThrows`). A refused upgrade throws.
func streamMessages(port: Int, query: String, seconds: Double, timeoutThrows: Bool = false,
                    done: @escaping @Sendable ([JSONValue]) -> Bool) async throws -> [JSONValue] {
    let box = MessageBox()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws\(query)", configuration: .init(maxFrameSize: 1 << 20),
                                              logger: Logger(label: "test")) { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    guard case .text(let text) = message else { continue }
                    if box.add(try JSONValue.parse(Data(text.utf8)), done) { break }
                }
            }
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            if timeoutThrows { throw TestFailure("no answer from /ws\(query) within \(seconds) s") }
        }
        _ = try await group.next()
        group.cancelAll()
    }
    return box.all
}

final class MessageBox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [JSONValue] = []
    func add(_ m: JSONValue, _ done: ([JSONValue]) -> Bool) -> Bool {
        lock.lock(); defer { lock.unlock() }
        messages.append(m)
        return done(messages)
    }
    var all: [JSONValue] { lock.lock(); defer { lock.unlock() }; return messages }
}

@Suite("serve: REST API and streams", .serialized)
struct ServeAPITests {
    let served: ServedSession
    let spec: OpenAPI

    init() async throws {
        served = try await SharedSession.api.get()
        spec = try OpenAPI()
    }

    func startBot(speed: Int = 40) async throws {
        let r = try await served.post("/api/hft/start", json: #"{"strategy": "mm", "dataset": "btc", "speed": \#(speed)}"#)
        #expect(r.status == 200, "\(r.text)")
        // Generous: the backtest behind the replay is computed first, on a machine that may be loaded.
        let last = MessageBox()
        let running = try await waitUntil(seconds: 180) {
            let s = try await served.get("/api/hft/status").json()
            // A replay that ran to its end on a loaded machine before a poll saw it running still
            // holds its fills, book and frames: that is what the endpoint checks need.
            return last.add(s) { _ in ["running", "finished"].contains(s["state"]?.string ?? "") && (s["fills"]?.number ?? 0) > 0 }
        }
        #expect(running, "the bot did not start trading: \(last.all.last ?? .null)")
    }

    @Test("every endpoint of docs/openapi.yaml answers with its documented schema")
    func everyEndpointMatchesTheSpec() async throws {
        try await startBot()
        var covered: Set<String> = []
        for (path, methods) in spec.paths.sorted(by: { $0.key < $1.key }) {
            for method in methods.keys.sorted() {
                guard let op = spec.operation(method, path) else { continue }
                var concrete = path
                var query: [String] = []
                for p in (op["parameters"] as? [[String: Any]]) ?? [] {
                    guard let name = p["name"] as? String, let example = p["example"] else { continue }
                    if p["in"] as? String == "path" { concrete = concrete.replacingOccurrences(of: "{\(name)}", with: "\(example)") }
                    else if p["in"] as? String == "query", path != "/api/hft/l2data" { query.append("\(name)=\(example)") }
                }
                let url = concrete + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
                let reply: HTTPReply
                if method == "post" {
                    let body = path == "/api/hft/start" ? #"{"strategy": "mm", "dataset": "btc", "speed": 40, "options": {"latency": "10ms"}}"# : "{}"
                    reply = try await served.post(url, json: body)
                } else {
                    reply = try await served.get(url)
                }
                #expect(reply.status == 200, "\(method.uppercased()) \(url): \(reply.status) \(reply.text)")
                let schema = try #require(spec.responseSchema(method, path, status: reply.status), "\(url): status \(reply.status) not documented")
                if reply.headers["content-type"]?.hasPrefix("application/json") == true {
                    let problems = spec.check(try reply.json(), against: schema)
                    #expect(problems.isEmpty, "\(method.uppercased()) \(url): \(problems.prefix(5))")
                } else {
                    #expect(reply.headers["content-type"]?.hasPrefix("text/csv") == true)
                }
                covered.insert("\(method) \(path)")
                if path == "/api/hft/start" { try await startBot() }
            }
        }
        // The book of a dataset at a time: the documented example, checked separately.
        let at = try await served.get("/api/hft/l2data?levels=10&dataset=btc&at=23:58:00")
        #expect(at.status == 200, "\(at.text)")
        #expect(spec.check(try at.json(), against: try #require(spec.responseSchema("get", "/api/hft/l2data", status: 200))).isEmpty)
        #expect(covered.count == spec.paths.values.reduce(0) { $0 + $1.count } && covered.count >= 13)
    }

    @Test("bad requests get a 4xx JSON error naming the field")
    func badRequestsNameTheField() async throws {
        let cases: [(String, String, String?, Int, String)] = [
            ("GET", "/api/hft/trades?limit=abc", nil, 400, "limit"),
            ("GET", "/api/hft/trades?limit=0", nil, 400, "limit"),
            ("GET", "/api/hft/trades?before=-3", nil, 400, "before"),
            ("GET", "/api/hft/l2data?levels=9999", nil, 400, "levels"),
            ("GET", "/api/hft/l2data?at=10:00", nil, 400, "dataset"),
            ("GET", "/api/hft/l2data?dataset=btc", nil, 400, "at"),
            ("GET", "/api/hft/l2data?dataset=nope&at=10:00", nil, 404, "dataset"),
            ("GET", "/api/hft/l2data?dataset=btc&at=drop%20btc", nil, 400, "at"),
            ("GET", "/api/hft/history?limit=0", nil, 400, "limit"),
            ("GET", "/api/runs/r99", nil, 404, "run"),
            ("GET", "/api/runs/..%2F..%2Fetc/stats", nil, 400, "run"),
            ("GET", "/api/runs/r1/markouts?horizons=soon", nil, 400, "horizons"),
            ("GET", "/api/runs/r1/export/fills.json", nil, 400, "file"),
            ("GET", "/api/runs/r1/export/passwd.csv", nil, 404, "file"),
            ("POST", "/api/hft/start", "{}", 400, "strategy"),
            ("POST", "/api/hft/start", "not json", 400, "body"),
            ("POST", "/api/hft/start", #"{"strategy": 5}"#, 400, "strategy"),
            ("POST", "/api/hft/start", #"{"strategy": "nope", "dataset": "btc"}"#, 404, "strategy"),
            ("POST", "/api/hft/start", #"{"strategy": "mm"}"#, 400, "dataset"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "eth"}"#, 404, "dataset"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "market": "nowhere"}"#, 404, "market"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "market": "nse:RELIANCE", "dataset": "btc"}"#, 400, "dataset"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "market": "nse:RELIANCE", "options": {"bin": "1m"}}"#, 400, "options.bin"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "market": "binance:BTCUSDT", "options": {"latency": "soon"}}"#, 400, "options.latency"),
            // mm trades 0.001 BTC: not a multiple of RELIANCE's lot of 1 share.
            ("POST", "/api/hft/start", #"{"strategy": "mm", "market": "nse:RELIANCE"}"#, 400, "strategy"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "btc", "speed": -1}"#, 400, "speed"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "btc", "options": {"latency": "/etc/passwd"}}"#, 400, "options.latency"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "btc", "options": {"latency": "fast"}}"#, 400, "options.latency"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "btc", "options": {"queue": "magic"}}"#, 400, "options.queue"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "btc", "options": {"colour": "red"}}"#, 400, "options.colour"),
            ("POST", "/api/hft/start", #"{"strategy": "grid", "dataset": "btc", "params": {"levels": "many"}}"#, 400, "params.levels"),
            ("POST", "/api/hft/start", #"{"strategy": "grid", "dataset": "btc", "params": {"qty": "0.0000001"}}"#, 400, "params"),
            ("POST", "/api/hft/start", #"{"strategy": "mm", "dataset": "btc", "params": {"levels": "3"}}"#, 400, "params"),
        ]
        for (method, path, body, status, field) in cases {
            let r = method == "GET" ? try await served.get(path) : try await served.post(path, json: body)
            #expect(r.status == status, "\(method) \(path) \(body ?? ""): got \(r.status) \(r.text)")
            #expect(r.errorField == field, "\(method) \(path) \(body ?? ""): field \(r.errorField ?? "none"), want \(field): \(r.text)")
            #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
            let problems = spec.check(try r.json(), against: try #require(spec.responseSchema("get", "/api/runs/{name}", status: 404)))
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    @Test("paging walks the fills newest first without gaps or repeats")
    func tradesPaging() async throws {
        try await startBot()
        _ = try await served.post("/api/hft/stop", json: "{}")
        let first = try await served.get("/api/hft/trades?limit=7").json()
        let total = Int(first["total"]?.number ?? 0)
        var seqs = (first["fills"]?.array ?? []).compactMap { $0["seq"]?.number }.map(Int.init)
        var next = first["next_before"]?.number.map(Int.init)
        while let before = next, seqs.count < 60 {
            let page = try await served.get("/api/hft/trades?limit=7&before=\(before)").json()
            seqs += (page["fills"]?.array ?? []).compactMap { $0["seq"]?.number }.map(Int.init)
            next = page["next_before"]?.number.map(Int.init)
        }
        #expect(total > 0)
        #expect(seqs.first == total)
        #expect(seqs == Array(stride(from: total, to: total - seqs.count, by: -1)), "\(seqs)")
    }

    @Test("the book at a time is the shell's book at that time, best levels first")
    func bookAtATime() async throws {
        let r = try await served.get("/api/hft/l2data?levels=5&dataset=btc&at=23:58:00").json()
        let bids = (r["bids"]?.array ?? []).compactMap { $0["price"]?.number }
        let asks = (r["asks"]?.array ?? []).compactMap { $0["price"]?.number }
        #expect(bids.count == 5 && asks.count == 5)
        #expect(bids == bids.sorted(by: >) && asks == asks.sorted())
        #expect(bids[0] < asks[0])
        // The same ladder as `book btc depth 5 time=23:58:00` prints.
        served.session.workspace.settings.format = .csv
        let before = served.output.all.count
        _ = await served.run("book btc depth 5 time=23:58:00")
        let printed = String(served.output.all.dropFirst(before))
        served.session.workspace.settings.format = .table
        let firstRow = printed.split(whereSeparator: \.isNewline).dropFirst().first.map { $0.split(separator: ",").map(String.init) } ?? []
        #expect(firstRow.contains(String(format: "%.2f", bids[0])) && firstRow.contains(String(format: "%.2f", asks[0])), "\(printed)")
        let nanos = try await served.get("/api/hft/l2data?levels=5&dataset=btc&at=\(r["time"]?.number.map { Int64($0) } ?? 0)").json()
        #expect(nanos["bids"]?.array?.first?["price"]?.number == bids[0])
    }

    @Test("CSV exports are the run's tables as files")
    func csvExports() async throws {
        let fills = try await served.get("/api/runs/r1/export/fills.csv")
        #expect(fills.status == 200)
        #expect(fills.headers["content-disposition"] == "attachment; filename=\"r1-fills.csv\"")
        let lines = fills.text.split(whereSeparator: \.isNewline)
        #expect(lines.first == "ts,local_ts,order_id,side,px,qty,maker,fee,position")
        let runs = try await served.get("/api/runs").json()
        #expect(lines.count - 1 == Int(runs.array?.first?["fills"]?.number ?? -1))
        for table in ["orders", "equity", "stats", "markouts"] {
            let r = try await served.get("/api/runs/r1/export/\(table).csv")
            #expect(r.status == 200 && r.text.split(whereSeparator: \.isNewline).count > 2, "\(table): \(r.status)")
        }
    }

    @Test("requests for other hosts and origins, and non-JSON posts, are refused")
    func hostAndOriginChecks() async throws {
        let rebound = try await served.get("/api/hft/status", headers: ["Host": "evil.example:\(served.port)"])
        #expect(rebound.status == 403 && rebound.errorField == "host")
        let crossSite = try await served.post("/api/hft/stop", json: "{}", headers: ["Origin": "http://evil.example"])
        #expect(crossSite.status == 403 && crossSite.errorField == "origin")
        let sameSite = try await served.post("/api/hft/stop", json: "{}", headers: ["Origin": "http://127.0.0.1:\(served.port)"])
        #expect(sameSite.status == 200)
        let form = try await served.post("/api/hft/stop", json: "a=b", headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(form.status == 415 && form.errorField == "content-type")
        let escape = try await served.get("/vendor/chart.js/../../../../etc/passwd")
        #expect(!escape.text.contains("root:"))
    }

    @Test("pages and Chart.js are served from this server")
    func pagesAndAssets() async throws {
        for page in ["/", "/hft", "/advanced_charts"] {
            let r = try await served.get(page)
            #expect(r.status == 200 && r.text.contains("/vendor/chart.js/chart.min.js") && !r.text.contains("cdn"), "\(page)")
            #expect(r.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        }
        #expect(try await served.get("/assets/mithai.js").status == 200)
        let chart = try await served.get("/vendor/chart.js/chart.min.js")
        if FileManager.default.fileExists(atPath: Assets.chartJSPath) {
            #expect(chart.status == 200 && chart.text.contains("Chart.js v3.9"))
        } else {
            #expect(chart.status == 503 && chart.text.contains("libjs-chart.js"))
        }
    }

    @Test("the stream sends status, price, fill, P&L and depth messages as documented")
    func streamMessagesFollowTheSchema() async throws {
        try await startBot(speed: 30)
        let messages = try await streamMessages(port: served.port, query: "", seconds: 40) { all in
            Set(all.compactMap { $0["type"]?.string }).isSuperset(of: ["status", "price", "fill", "pnl", "depth"]) && all.count > 40
        }
        let types = Set(messages.compactMap { $0["type"]?.string })
        #expect(types.isSuperset(of: ["status", "price", "fill", "pnl", "depth"]), "\(types)")
        let schemaOf = ["status": "Status", "price": "Price", "fill": "Fill", "pnl": "PnL", "depth": "Book"]
        for (i, m) in messages.enumerated() {
            #expect(spec.check(m, against: ["$ref": "#/components/schemas/StreamMessage"]).isEmpty)
            #expect(m["seq"]?.number == Double(i + 1))
            let type = m["type"]?.string ?? ""
            let problems = spec.check(m["data"] ?? .null, against: ["$ref": "#/components/schemas/\(schemaOf[type] ?? "?")"])
            #expect(problems.isEmpty, "\(type): \(problems.prefix(3))")
        }
        // Price frames at most ~10 per second of wall time.
        let prices = messages.filter { $0["type"]?.string == "price" }.count
        #expect(prices <= 10 * 40 + 5)
        // Only the channels asked for.
        let fillsOnly = try await streamMessages(port: served.port, query: "?channels=fills,pnl", seconds: 20) { $0.count >= 10 }
        #expect(!fillsOnly.isEmpty && fillsOnly.allSatisfy { ["fill", "pnl"].contains($0["type"]?.string ?? "") })
        await #expect(throws: (any Error).self) {
            _ = try await streamMessages(port: served.port, query: "?channels=secrets", seconds: 5) { _ in true }
        }
    }

    @Test("a client that stops reading does not hold the bot back, and one that goes is removed")
    func slowAndVanishedClients() async throws {
        let control = try #require(served.session.live as? SessionLiveControl)
        let base = control.subscriberCount
        let port = served.port
        let fd = try await onThread { try HTTP.stalledWebSocket(port: port, path: "/ws") }
        #expect(try await waitUntil(seconds: 10) { control.subscriberCount == base + 1 })
        try await startBot(speed: 60)
        let first = try await served.get("/api/hft/status").json()["progress"]?.number ?? 0
        try await Task.sleep(for: .seconds(3))
        let later = try await served.get("/api/hft/status").json()
        #expect((later["progress"]?.number ?? 0) > first || later["state"]?.string == "finished", "the bot stalled behind a client that does not read")
        close(fd)
        #expect(try await waitUntil(seconds: 30) { control.subscriberCount == base }, "the vanished client was not removed")
        _ = try await served.post("/api/hft/stop", json: "{}")
    }

    @Test("start and stop from the API change the bot's state")
    func startStop() async throws {
        try await startBot(speed: 20)
        let stopped = try await served.post("/api/hft/stop", json: "{}").json()
        #expect(stopped["state"]?.string == "stopped")
        let fills = try await served.get("/api/hft/status").json()["fills"]?.number
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await served.get("/api/hft/status").json()["fills"]?.number == fills, "fills kept coming after stop")
        let kind = try await served.post("/api/hft/start", json: #"{"strategy": "grid", "dataset": "btc", "speed": 50, "params": {"half_spread": "5", "step": "2", "levels": "3", "qty": "0.001", "max_position": "0.01"}}"#)
        #expect(kind.status == 200, "\(kind.text)")
        #expect(try kind.json()["strategy_kind"]?.string == "grid")
        _ = try await served.post("/api/hft/stop", json: "{}")
        // The bot's runs never enter the workspace: the session stays replayable.
        #expect(served.session.workspace.names.filter { $0.hasPrefix("bot") || $0 == "r2" }.isEmpty)
    }
}

@Suite("serve: token and binding")
struct ServeTokenTests {
    @Test("a token is checked on every request and WebSocket upgrade")
    func tokenChecks() async throws {
        let token = "a1b2c3d4e5f60718293a4b5c"
        let served = try await ServedSession.make(token: token)
        defer { served.stop() }
        let none = try await served.get("/api/hft/status", authorized: false)
        #expect(none.status == 401 && none.errorField == "token")
        #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        let wrong = try await served.get("/api/hft/status", headers: ["Authorization": "Bearer a1b2c3d4e5f60718293a4b5d"], authorized: false)
        #expect(wrong.status == 401 && wrong.errorField == "token")
        let short = try await served.get("/api/hft/status?token=a1b2", authorized: false)
        #expect(short.status == 401)
        for path in ["/", "/hft", "/api/runs", "/api/runs/r1/export/fills.csv"] {
            let r = try await served.get(path, authorized: false)
            #expect(r.status == 401, "\(path)")
        }
        #expect(try await served.post("/api/hft/stop", json: "{}", authorized: false).status == 401)
        #expect(try await served.get("/api/hft/status").status == 200)
        // A page opened with ?token= carries it on its own script and style URLs.
        let page = try await served.get("/hft?token=\(token)", authorized: false)
        #expect(page.status == 200 && page.text.contains("/vendor/chart.js/chart.min.js?token=\(token)") && page.text.contains("/assets/mithai.js?token=\(token)"))
        #expect(try await served.get("/vendor/chart.js/chart.min.js?token=\(token)", authorized: false).status != 401)
        #expect(try await served.get("/assets/mithai.css?token=\(token)", authorized: false).status == 200)
        #expect(try await served.get("/api/hft/status?token=\(token)", authorized: false).status == 200)
        // The upgrade itself is refused (asked with a raw request: `streamMessages` returns what it
        // has when its time is up, so on a loaded machine a refused upgrade slower than its timeout
        // looked like "no error" — the flake seen on main). hummingbird-websocket answers a refused
        // upgrade 400 with no body; the same request with the token is upgraded (101).
        let upgrade = ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="]
        for query in ["", "?token=wrongwrongwrongwrong", "?token=\(token.dropLast())"] {
            let refused = try await served.get("/ws" + query, headers: upgrade, authorized: false)
            #expect((400..<500).contains(refused.status), "/ws\(query): \(refused.status) \(refused.text)")
        }
        let port = served.port
        let upgraded = try await onThread { try HTTP.stalledWebSocket(port: port, path: "/ws?token=\(token)") }
        close(upgraded)
        await #expect(throws: (any Error).self) {
            _ = try await streamMessages(port: served.port, query: "", seconds: 120, timeoutThrows: true) { _ in true }
        }
        let ok = try await streamMessages(port: served.port, query: "?token=\(token)", seconds: 10) { $0.contains { $0["type"]?.string == "status" } }
        #expect(ok.contains { $0["type"]?.string == "status" })
    }

    @Test("binding to a non-loopback address without a token is refused")
    func nonLoopbackNeedsAToken() async throws {
        let output = Capture()
        let session = Session(options: SessionOptions(mode: .command, home: try Paths.temporaryFolder("bind").path), output: output)
        let server = MithaiHTTPServer()
        session.server = server
        func run(_ text: String) async -> Session.RunResult { await onThread { session.run(Source(text, name: "<test>")) } }
        #expect(await run("serve host=0.0.0.0 port=0").failure != nil)
        #expect(output.all.contains("needs token=") && server.url == nil)
        #expect(await run("serve host=0.0.0.0 port=0 token=short").failure != nil)
        #expect(server.url == nil)
        #expect(await run("serve host=0.0.0.0 port=0 token=\"0123456789abcdef0123\"").failure == nil, "\(output.all)")
        #expect(server.url != nil)
        #expect(await run("serve port=0").failure != nil, "a second serve must be refused")
        #expect(await run("serve stop").failure == nil)
        #expect(server.url == nil)
        #expect(ServeConfiguration.isLoopback("127.0.0.1") && ServeConfiguration.isLoopback("::1") && ServeConfiguration.isLoopback("localhost"))
        #expect(!ServeConfiguration.isLoopback("0.0.0.0") && !ServeConfiguration.isLoopback("10.0.0.1") && !ServeConfiguration.isLoopback("127.0.0.1.evil.com"))
    }

    @Test("the token comparison looks at every byte")
    func constantTime() {
        typealias S = SecurityMiddleware<API.Context>
        #expect(S.constantTimeEqual("abcdef", "abcdef"))
        #expect(!S.constantTimeEqual("abcdef", "abcdeg"))
        #expect(!S.constantTimeEqual("abcdef", "abcde"))
        #expect(!S.constantTimeEqual("", "a"))
        #expect(S.bearer("Bearer xyz") == "xyz" && S.bearer("Basic xyz") == nil)
    }
}

@Suite("serve: slow and vanished subscribers")
struct SubscriptionTests {
    @Test("a full queue drops the oldest frames and says how many")
    func dropOldest() async {
        let s = LiveSubscription(capacity: 4)
        for i in 1...10 { s.publish(.price(PriceFrame(time: Int64(i), volume: 0))) }
        var times: [Int64] = []
        var dropped: [Int] = []
        for _ in 0..<4 {
            guard let (u, d) = await s.next(), case .price(let p) = u else { break }
            times.append(p.time)
            dropped.append(d)
        }
        #expect(times == [7, 8, 9, 10])
        #expect(dropped == [6, 0, 0, 0])
    }

    @Test("a cancelled subscriber wakes up, ends, and leaves the broadcaster")
    func cancelEnds() async {
        let b = LiveBroadcaster()
        let s = b.subscribe(capacity: 8)
        let waiter = Task { await s.next() == nil }
        try? await Task.sleep(for: .milliseconds(50))
        s.cancel()
        #expect(await waiter.value)
        b.publish(.price(PriceFrame(time: 1, volume: 0)))
        #expect(b.count == 0)
    }
}

/// The bot behind the API is the session's real live session (`live STRAT on MARKET`).
@Suite("serve: live sessions behind the API", .serialized)
struct ServeLiveTests {
    /// Status until `condition` holds (generous: the machine may be loaded).
    func status(_ served: ServedSession, seconds: Double = 120, until condition: @escaping @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
        let box = MessageBox()
        let ok = try await waitUntil(seconds: seconds) {
            let s = try await served.get("/api/hft/status").json()
            return box.add(s) { condition($0.last!) }
        }
        let last = box.all.last ?? .null
        #expect(ok, "condition not reached; last status: \(last)")
        return last
    }

    @Test("start with a preset market runs a live session; status, trades, l2data and streams read it; stop stores its run")
    func startOnAPreset() async throws {
        let served = try await ServedSession.make()
        defer { served.stop() }
        let spec = try OpenAPI()
        let statusSchema: [String: Any] = ["$ref": "#/components/schemas/Status"]
        let r = try await served.post("/api/hft/start", json: #"{"strategy": "mm", "market": "binance:BTCUSDT", "speed": 50, "options": {"seed": "7", "latency": "5ms"}}"#)
        #expect(r.status == 200, "\(r.text)")
        let started = try r.json()
        #expect(started["mode"]?.string == "live" && started["market"]?.string == "btcusdt" && started["session"]?.string == "live1", "\(started)")
        #expect(started["state"]?.string == "running" && started["symbol"]?.string == "BTCUSDT" && started["speed"]?.number == 50)
        #expect(spec.check(started, against: statusSchema).isEmpty)
        // The start ran real statements of the session: shell commands see the same session.
        let texts = served.session.records.map(\.text)
        #expect(texts.contains("market btcusdt = zi preset=binance:BTCUSDT seed=7"), "\(texts)")
        #expect(texts.contains("live mm on btcusdt speed=50x latency=5ms"), "\(texts)")

        let trading = try await status(served) { ($0["fills"]?.number ?? 0) >= 3 && $0["best_bid"]?.number != nil }
        #expect(trading["state"]?.string == "running")
        #expect(spec.check(trading, against: statusSchema).isEmpty, "\(spec.check(trading, against: statusSchema))")
        if let bid = trading["best_bid"]?.number, let ask = trading["best_ask"]?.number { #expect(bid < ask) }

        // Trades: newest first, seq numbers counting down, each a documented Fill.
        let page = try await served.get("/api/hft/trades?limit=5").json()
        let fills = page["fills"]?.array ?? []
        #expect(!fills.isEmpty && Int(page["total"]?.number ?? 0) >= fills.count)
        let seqs = fills.compactMap { $0["seq"]?.number }.map(Int.init)
        #expect(seqs == seqs.sorted(by: >) && seqs.first == Int(page["total"]?.number ?? -1), "\(seqs)")
        #expect(spec.check(page, against: try #require(spec.responseSchema("get", "/api/hft/trades", status: 200))).isEmpty)

        // The book: both sides, best first, on the preset's tick.
        let book = try await served.get("/api/hft/l2data?levels=10").json()
        let bids = (book["bids"]?.array ?? []).compactMap { $0["price"]?.number }
        let asks = (book["asks"]?.array ?? []).compactMap { $0["price"]?.number }
        #expect(book["symbol"]?.string == "BTCUSDT" && !bids.isEmpty && !asks.isEmpty && bids.count <= 10)
        #expect(bids == bids.sorted(by: >) && asks == asks.sorted() && (bids.first ?? 0) < (asks.first ?? 0))
        // The shell sees the same session.
        #expect(await served.run("status").failure == nil)
        #expect(served.output.all.contains("live1"), "\(served.output.all)")

        // Streams: all five kinds, each as documented.
        let messages = try await streamMessages(port: served.port, query: "", seconds: 90) { all in
            Set(all.compactMap { $0["type"]?.string }).isSuperset(of: ["status", "price", "pnl", "depth"]) && all.count > 20
        }
        let types = Set(messages.compactMap { $0["type"]?.string })
        #expect(types.isSuperset(of: ["status", "price", "pnl", "depth"]), "\(types)")
        let schemaOf = ["status": "Status", "price": "Price", "fill": "Fill", "pnl": "PnL", "depth": "Book"]
        for m in messages {
            let type = m["type"]?.string ?? ""
            #expect(spec.check(m["data"] ?? .null, against: ["$ref": "#/components/schemas/\(schemaOf[type] ?? "?")"]).isEmpty, "\(type)")
        }
        let history = try await served.get("/api/hft/history?limit=50").json()
        #expect((history["prices"]?.array?.count ?? 0) > 0 && (history["pnl"]?.array?.count ?? 0) > 0)

        // Stop: the session becomes a stored run, as `stop` does in the shell.
        let stopped = try await served.post("/api/hft/stop", json: "{}").json()
        #expect(stopped["state"]?.string == "stopped", "\(stopped)")
        #expect(stopped["runs"]?.array?.compactMap(\.string) == ["r2"], "\(stopped)")
        #expect(served.session.records.last?.text == "stop")
        let run = try await served.get("/api/runs/r2")
        #expect(run.status == 200, "\(run.text)")
        #expect(try await served.get("/api/runs").text.contains("\"r2\""))
        let fillsAtStop = stopped["fills"]?.number
        #expect(try await served.get("/api/hft/status").json()["fills"]?.number == fillsAtStop)
        // A second stop is not an error and changes nothing.
        #expect(try await served.post("/api/hft/stop", json: "{}").json()["runs"]?.array?.count == 1)
    }

    @Test("a live session started in the shell is the bot of the API; stop in the shell shows as stopped")
    func shellSession() async throws {
        let served = try await ServedSession.make()
        defer { served.stop() }
        let setup = await served.run("""
        market sim = zi preset=binance:BTCUSDT seed=3
        live mm on sim speed=50x
        """)
        #expect(setup.failure == nil, "\(served.output.all)")
        let s = try await status(served) { $0["session"]?.string == "live1" && ($0["fills"]?.number ?? 0) > 0 }
        #expect(s["mode"]?.string == "live" && s["market"]?.string == "sim" && s["strategy"]?.string == "mm")
        let page = try await served.get("/api/hft/trades?limit=3").json()
        #expect((page["fills"]?.array?.count ?? 0) > 0)
        #expect(await served.run("stop").failure == nil, "\(served.output.all)")
        let after = try await status(served, seconds: 30) { $0["runs"]?.array?.isEmpty == false }
        #expect(after["state"]?.string == "stopped" && after["runs"]?.array?.compactMap(\.string) == ["r2"], "\(after)")
        // Starting from the API again is a new session (live2) on the same market.
        let again = try await served.post("/api/hft/start", json: #"{"strategy": "grid", "market": "sim", "speed": 20, "params": {"half_spread": "5", "step": "2", "levels": "3", "qty": "0.001", "max_position": "0.01"}}"#)
        #expect(again.status == 200, "\(again.text)")
        #expect(try again.json()["session"]?.string == "live2")
        #expect(try again.json()["strategy_kind"]?.string == "grid")
        let stopped = try await served.post("/api/hft/stop", json: "{}").json()
        #expect(stopped["runs"]?.array?.compactMap(\.string) == ["r3"], "\(stopped)")
    }
}
