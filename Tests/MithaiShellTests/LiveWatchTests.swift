import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `watch` in a real pseudo-terminal: the panel takes the screen, a key pauses the session,
/// `q` gives the prompt back with the session still there, and `stop` makes its run.
@Suite(.serialized) struct LiveWatchTests {
    @Test func watchEntersPausesAndLeaves() throws {
        guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
        let dir = try Paths.temporaryFolder("pty-watch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["HOME": dir.path, "TERM": "xterm", "NO_COLOR": "1", "MITHAI_HOME": dir.path,
                   "MITHAI_HISTORY": dir.appendingPathComponent("history").path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                   "MITHAI_SIXEL": "0"]
        let tty = try PseudoTerminal(binary, environment: env, folder: dir)
        #expect(tty.waitFor("mithai> "))
        tty.send("market sim = zi preset=nse:RELIANCE seed=7\r")
        #expect(tty.waitFor("sim: zi market"))
        tty.waitForEditing()
        tty.send("strategy mm = grid half_spread=1 step=1 levels=3 qty=10 max_position=200\r")
        #expect(tty.waitFor("strategy mm = grid"))
        tty.waitForEditing()
        tty.send("live mm on sim speed=10x\r")
        #expect(tty.waitFor("live1: mm on sim running"))
        tty.waitForEditing()
        var mark = tty.mark
        tty.send("watch\r")
        #expect(tty.waitFor("MITHAI LIVE", after: mark))
        #expect(tty.waitFor("LADDER RELIANCE", after: mark))
        #expect(tty.waitFor("[q] back to the prompt", after: mark))
        // The panel reads keys in raw mode: wait for it, as a person would.
        tty.waitForEditing()
        mark = tty.mark
        tty.send("p")
        #expect(tty.waitFor("PAUSED", after: mark))
        mark = tty.mark
        tty.send("q")
        #expect(tty.waitFor("live1: paused", after: mark))
        #expect(tty.waitFor("mithai> ", after: mark))
        tty.waitForEditing()
        mark = tty.mark
        tty.send("stop\r")
        #expect(tty.waitFor("r1: grid mm on sim", after: mark))
        tty.waitForEditing()
        tty.send(".quit\r")
        #expect([0, 256].contains(tty.exitStatus()))
    }

    /// `watch NAME` draws the watchlist band with the live instrument's row; a misspelt list
    /// is an error before the screen is taken.
    @Test func watchWithAWatchlistShowsItsBand() throws {
        guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
        let dir = try Paths.temporaryFolder("pty-watch-list")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["HOME": dir.path, "TERM": "xterm", "NO_COLOR": "1", "MITHAI_HOME": dir.path,
                   "MITHAI_HISTORY": dir.appendingPathComponent("history").path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                   "MITHAI_SIXEL": "0"]
        let tty = try PseudoTerminal(binary, environment: env, folder: dir)
        #expect(tty.waitFor("mithai> "))
        for (line, answer) in [("market sim = zi preset=nse:RELIANCE seed=7", "sim: zi market"),
                               ("strategy mm = grid half_spread=1 step=1 levels=3 qty=10 max_position=200", "strategy mm = grid"),
                               ("watchlist desk = sim", "watchlist desk: sim"),
                               ("live mm on sim speed=10x", "live1: mm on sim running")] {
            tty.send(line + "\r")
            #expect(tty.waitFor(answer))
            tty.waitForEditing()
        }
        var mark = tty.mark
        tty.send("watch desks\r")
        #expect(tty.waitFor("no watchlist named 'desks'", after: mark))
        tty.waitForEditing()
        mark = tty.mark
        tty.send("watch desk\r")
        #expect(tty.waitFor("WATCHLIST desk  (1 instrument; w: next list)", after: mark))
        #expect(tty.waitFor("RELIANCE", after: mark))
        #expect(tty.waitFor("[w] watchlist", after: mark))
        tty.waitForEditing()
        tty.send("q")
        #expect(tty.waitFor("live1: running", after: mark))
        tty.waitForEditing()
        tty.send("stop\r")
        #expect(tty.waitFor("r1: grid mm on sim", after: mark))
        tty.waitForEditing()
        tty.send(".quit\r")
        #expect([0, 256].contains(tty.exitStatus()))
    }
}
