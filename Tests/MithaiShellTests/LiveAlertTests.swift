import Foundation
import Testing
import MithaiStore
#if canImport(Glibc)
import Glibc
#endif

/// Alerts in live sessions (issue 11's done-when): at 10x an alert on the mid fires once at its
/// simulated time, prints above the prompt without breaking the typed line, rings the bell and
/// is journaled; the same statements piped at max speed, piped at 10x and run as a script file
/// print the same alert line.
@Suite(.serialized) struct LiveAlertTests {
    static func statements(speed: String) -> [String] {
        [
            "market sim = zi preset=binance:BTCUSDT seed=7",
            "strategy mm = grid half_spread=1 step=1 levels=3 qty=0.01 max_position=0.1",
            "alert peak when mid(sim) > 60001 once bell",
            "live mm on sim speed=\(speed) for=50s",
        ]
    }

    /// A price condition is checked at every event that changes its values: it fires at the
    /// local time of the message that lifted the mid above 60001 (27.830294406 s after the open
    /// of the simulated day; the market has impact, so the bot's quotes are in the crowd's
    /// book), not at the next 100 ms grid point.
    static let firedLine = "alert peak fired at 2026-01-05 00:00:27.830294406 UTC: mid(sim) > 60001  [mid(sim)=60001.05]"
    static let firedNanos: Int64 = 1_767_571_227_830_294_406

    static func alertLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("alert ") && $0.contains(" fired at ") }
    }

    @Test func atTenTimesTheAlertPrintsAboveThePromptAndIsJournaled() throws {
        guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
        let dir = try Paths.temporaryFolder("pty-live-alert")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["HOME": dir.path, "TERM": "xterm", "NO_COLOR": "1", "MITHAI_HOME": dir.path,
                   "MITHAI_HISTORY": dir.appendingPathComponent("history").path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MITHAI_SIXEL": "0"]
        let tty = try PseudoTerminal(binary, environment: env, folder: dir)
        #expect(tty.waitFor("mithai> "))
        for s in LiveAlertTests.statements(speed: "10x") {
            tty.waitForEditing()
            let mark = tty.mark
            tty.send(s + "\r")
            #expect(tty.waitFor("\nmithai> ", after: mark))
        }
        // The session runs 50 simulated seconds in 5 wall seconds; the alert fires 4.56 s in,
        // while a line is half typed (if the machine is slow to get here, it fires at the
        // prompt before the typing, and the checks below still hold).
        tty.waitForEditing()
        var mark = tty.mark
        tty.send("x = 40 + ")
        #expect(tty.waitFor(LiveAlertTests.firedLine, after: mark))
        #expect(tty.waitFor("\u{07}", after: mark))
        #expect(tty.waitFor("mithai> x = 40 + ", after: mark))
        let shown = String(tty.transcript.dropFirst(mark))
        if let alert = shown.range(of: LiveAlertTests.firedLine),
           shown.range(of: "mithai> x = 40 + ", range: alert.upperBound..<shown.endIndex) == nil {
            Issue.record("the prompt and the typed text were not redrawn under the alert: \(shown.debugDescription)")
        }
        #expect(shown.components(separatedBy: " fired at ").count == 2, "\(shown.debugDescription)")
        // The typed line is intact.
        tty.waitForEditing()
        mark = tty.mark
        tty.send("2\r")
        tty.waitFor("\nmithai> ", after: mark)
        tty.waitForEditing()
        mark = tty.mark
        tty.send("x\r")
        #expect(tty.waitFor("42", after: mark))
        tty.waitForEditing()
        mark = tty.mark
        tty.send("wait\r")
        #expect(tty.waitFor("r1: grid mm on sim", after: mark))
        tty.waitForEditing()
        mark = tty.mark
        tty.send("alerts\r")
        #expect(tty.waitFor("2026-01-05 00:00:27.830", after: mark))
        tty.waitForEditing()
        tty.send(".quit\r")
        #expect([0, 256].contains(tty.exitStatus()))
        // Fired once, journaled with its simulated time, outside any statement (at the prompt).
        // (The line once above the prompt, once in the `alerts` table's last_fired column is a
        // time, not a line.)
        #expect(tty.transcript.components(separatedBy: " fired at ").count == 2, "\(tty.transcript.debugDescription)")
        let db = try Database(path: dir.appendingPathComponent("Sessions/journal.sqlite").path)
        let row = try db.prepare("SELECT name, sim_ts, command_id IS NULL, observed FROM alerts")
        #expect(try row.step())
        #expect(row.string(0) == "peak" && row.int(1) == LiveAlertTests.firedNanos && row.int(2) == 1)
        #expect(row.string(3) == "mid(sim)=60001.05")
        #expect(try !row.step())
    }

    @Test func pipedAndScriptedSessionsPrintTheSameAlertLines() throws {
        let dir = try Paths.temporaryFolder("pipe-live-alert")
        defer { try? FileManager.default.removeItem(at: dir) }
        func script(_ speed: String) -> String {
            (LiveAlertTests.statements(speed: speed) + ["wait", "alerts history"]).joined(separator: "\n") + "\n"
        }
        let piped = try mithai(["--no-journal"], stdin: script("max"), in: dir)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(LiveAlertTests.alertLines(piped.stdout) == [LiveAlertTests.firedLine], "\(piped.stdout)")
        #expect(!piped.stdout.contains("\u{07}"))
        // Printed while `wait` blocks, before its result; listed by `alerts history`.
        let out = piped.stdout
        if let a = out.range(of: LiveAlertTests.firedLine), let r = out.range(of: "r1: grid mm on sim") {
            #expect(a.upperBound <= r.lowerBound)
        }
        #expect(out.contains("2026-01-05 00:00:27.830294406  peak"))
        // A script file (statements run by the script driver) and a piped session paced at 10x.
        let file = dir.appendingPathComponent("live-alert.mithai")
        try script("max").write(to: file, atomically: true, encoding: .utf8)
        let scripted = try mithai(["--no-journal", file.path], in: dir)
        #expect(scripted.status == 0, "\(scripted.stderr)")
        #expect(LiveAlertTests.alertLines(scripted.stdout) == [LiveAlertTests.firedLine], "\(scripted.stdout)")
        let paced = try mithai(["--no-journal"], stdin: script("10x"), in: dir)
        #expect(paced.status == 0, "\(paced.stderr)")
        #expect(LiveAlertTests.alertLines(paced.stdout) == [LiveAlertTests.firedLine], "\(paced.stdout)")
    }

    /// Alerts defined, switched off and redefined while a (paused, stepped) session runs take
    /// effect at once; a script without `wait` gets the alerts of the session it leaves running.
    @Test func alertsChangedDuringTheSessionTakeEffect() throws {
        let dir = try Paths.temporaryFolder("live-alert-change")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The exogenous market (impact=off): its mid path does not depend on the bot.
        let script = """
        market sim = zi preset=binance:BTCUSDT seed=7 impact=off
        strategy mm = grid half_spread=1 step=1 levels=3 qty=0.01 max_position=0.1
        live mm on sim speed=max for=20s paused=on
        step 5s
        alert dip when mid(sim) < 59999.5
        step 5s
        alert dip off
        alert up when mid(BTCUSDT) > 60000 once
        alert inv when position(live1) >= 0.03
        step 10s
        alert late when mid(sim) > 0 once
        live mm on sim speed=max for=3s

        """
        let run = try mithai(["--no-journal"], stdin: script, in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = LiveAlertTests.alertLines(run.stdout)
        // dip only between 5 s and 10 s, up from 10 s; late in the second session (live2), at
        // the opening book (1 ms feed latency), delivered when the script ends. Price
        // conditions fire at their event's time; position(live1) on the 100 ms grid.
        #expect(lines.first == "alert dip fired at 2026-01-05 00:00:09.412906699 UTC: mid(sim) < 59999.5  [mid(sim)=59999.45]", "\(run.stdout)")
        #expect(lines.filter { $0.hasPrefix("alert dip ") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("alert up ") }.count == 1)
        #expect(lines.contains { $0.hasPrefix("alert up fired at 2026-01-05 00:00:1") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("alert inv fired at 2026-01-05 00:00:1") }, "\(lines)")
        #expect(lines.last == "alert late fired at 2026-01-05 00:00:00.001 UTC: mid(sim) > 0  [mid(sim)=60000]", "\(run.stdout)")
        #expect(lines.contains { $0.hasPrefix("alert inv fired at 2026-01-05 00:00:10.800 UTC") }, "\(lines)")
        // In time order within the first session.
        let first = lines.dropLast()
        let times = first.compactMap { line in line.range(of: " fired at ").map { String(line[$0.upperBound...].prefix(23)) } }
        #expect(times == times.sorted(), "\(lines)")
    }

    /// `quotes NAME` reads members that are live instruments (a market's name, a symbol) from
    /// the live session: the same figures as `status` at the same simulated time.
    @Test func watchlistsReadTheLiveSession() throws {
        let dir = try Paths.temporaryFolder("live-watchlist")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
        market sim = zi preset=binance:BTCUSDT seed=7
        strategy mm = grid half_spread=1 step=1 levels=3 qty=0.01 max_position=0.1
        watchlist w = sim, btcusdt
        live mm on sim speed=max for=20s paused=on
        step 10s
        quotes w | select symbol, bid, ask, as_of
        status | select symbol, bid, ask, time
        step 10s
        quotes w | select symbol, bid, ask, as_of

        """
        let run = try mithai(["--no-journal", "--format", "csv"], stdin: script, in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = parseCSV(run.stdout)
        // Two quotes tables (header + 2 rows each) and the status table (header + 1 row).
        #expect(rows.count == 8, "\(run.stdout)")
        guard rows.count == 8 else { return }
        #expect(rows[1][0] == "BTCUSDT" && rows[2][0] == "BTCUSDT")
        // Compared as numbers: `quotes` prints 60000 where `status` prints 60000.0.
        #expect(Double(rows[1][1]) == Double(rows[4][1]) && Double(rows[1][2]) == Double(rows[4][2]), "\(run.stdout)")
        #expect(rows[1][3].hasPrefix("2026-01-05T00:00:10") && rows[4][3] == "2026-01-05 00:00:10", "\(run.stdout)")
        #expect(rows[6][3].hasPrefix("2026-01-05T00:00:20"), "\(run.stdout)")
    }
}
