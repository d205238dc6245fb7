#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MithaiWorkbench

/// The terminal side of `watch`: raw mode, the alternate screen, a redraw every 250 ms and
/// keys read with `poll`. Restores the terminal on the way out (also after Ctrl-C, which in raw
/// mode arrives as byte 3 and leaves the panel).
struct TerminalPanel: LivePanelTerminal {
    func run(frame: (Int, Int) -> String, key: (UInt8) -> Bool) {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        tcsetattr(0, TCSANOW, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
        defer {
            write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
            tcsetattr(0, TCSANOW, &saved)
        }
        var running = true
        while running {
            var size = winsize()
            let ok = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0
            write(frame(ok ? Int(size.ws_col) : 80, ok ? Int(size.ws_row) : 24))
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 250) > 0 {
                var byte: UInt8 = 0
                let n = Glibc.read(0, &byte, 1)
                if n <= 0 { break }
                running = key(byte)
            }
        }
    }

    private func write(_ s: String) {
        var bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}
