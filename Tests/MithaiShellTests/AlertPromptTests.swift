import Foundation
import Testing
import MithaiStore
#if canImport(Glibc)
import Glibc
#endif

/// Alerts fired in the background print one line above the prompt and leave the line being
/// typed intact; the same statements piped print the same line at the same simulated time.
@Suite(.serialized) struct AlertPromptTests {
    static let statements = [
        "load Datasets/binance/binance-usdm-btcusdt_20240808.gz as btc",
        "alert dip when mid(btc) < 61700 once bell",
    ]
    static let firedLine = "alert dip fired at 2024-08-08 23:57:20.318078132 UTC: mid(btc) < 61700  [mid(btc)=61697.85]"

    @Test func backgroundAlertPrintsAboveThePromptWithoutBreakingTheTypedLine() throws {
        guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
        let dir = try Paths.temporaryFolder("pty-alert")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["HOME": dir.path, "TERM": "xterm", "NO_COLOR": "1", "MITHAI_HOME": dir.path,
                   "MITHAI_HISTORY": dir.appendingPathComponent("history").path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MITHAI_SIXEL": "0"]
        let tty = try PseudoTerminal(binary, environment: env, folder: Paths.packageRoot)
        #expect(tty.waitFor("mithai> "))
        for s in AlertPromptTests.statements {
            let mark = tty.mark
            tty.send(s + "\r")
            // Not "\nmithai> ": on a loaded machine `load` draws a progress bar, cleared by
            // "\r ESC[2K" just before the prompt.
            #expect(tty.waitFor("mithai> ", after: mark))
            tty.waitForEditing()
        }
        var mark = tty.mark
        // 5m45s of data at 200x: the alert fires about 1.5 s in.
        tty.send("alerts on btc speed=200x\r")
        #expect(tty.waitFor("in the background", after: mark))
        tty.waitFor("mithai> ", after: mark)
        tty.waitForEditing()
        mark = tty.mark
        tty.send("x = 40 + ")
        #expect(tty.waitFor(AlertPromptTests.firedLine, after: mark))
        // After the line: the bell, then the prompt and the half-typed text redrawn.
        #expect(tty.waitFor("\u{07}", after: mark))
        #expect(tty.waitFor("mithai> x = 40 + ", after: tty.transcript.count - 40))
        let shown = String(tty.transcript.dropFirst(mark))
        if let alert = shown.range(of: AlertPromptTests.firedLine), let redraw = shown.range(of: "mithai> x = 40 + ", range: alert.upperBound..<shown.endIndex) {
            #expect(alert.upperBound <= redraw.lowerBound)
        } else {
            Issue.record("the prompt was not redrawn after the alert: \(shown.debugDescription)")
        }
        // The typed line is intact: finishing it runs `x = 40 + 2`.
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
        tty.send("alerts history\r")
        #expect(tty.waitFor("2024-08-08 23:57:20.318078132  dip", after: mark))
        tty.waitForEditing()
        tty.send(".quit\r")
        #expect([0, 256].contains(tty.exitStatus()))
        // Journaled with its simulated time, outside any statement (it fired at the prompt).
        let db = try Database(path: dir.appendingPathComponent("Sessions/journal.sqlite").path)
        let row = try db.prepare("SELECT name, sim_ts, command_id IS NULL, observed FROM alerts")
        #expect(try row.step())
        #expect(row.string(0) == "dip" && row.int(1) == 1_723_161_440_318_078_132 && row.int(2) == 1)
        #expect(row.string(3) == "mid(btc)=61697.85")
        #expect(try !row.step())
    }

    @Test func pipedReplayPrintsTheSameAlertAtTheSameSimulatedTime() throws {
        let dir = try Paths.temporaryFolder("pipe-alert")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = (AlertPromptTests.statements + ["alerts on btc speed=200x", "alerts on btc"]).joined(separator: "\n") + "\n"
        let run = try mithai(["--no-journal"], stdin: script, in: Paths.packageRoot)
        #expect(run.status == 0, "\(run.stderr)")
        // Piped, the replay runs at once; the bell is for terminals only. The second replay
        // finds the once-alert spent.
        #expect(run.stdout.components(separatedBy: AlertPromptTests.firedLine).count == 2, "\(run.stdout)")
        #expect(!run.stdout.contains("\u{07}"))
        #expect(run.stdout.contains("alerts on btc: 1 fired"))
        #expect(run.stdout.contains("alerts on btc: 0 fired"))
    }
}
