#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
public import MithaiWorkbench

/// Facts about the process's terminal, read once at start.
public enum Terminal {
    public static var stdinIsTerminal: Bool { isatty(0) == 1 }
    public static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Columns of the terminal on stdout, or nil when it is not a terminal.
    public static var width: Int? {
        guard stdoutIsTerminal else { return nil }
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    public static var wantsColor: Bool {
        stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}

/// Writes to file descriptors 1 and 2 directly (no stdio buffering, so output and error text
/// interleave in order). A closed pipe (EPIPE) ends output quietly.
public final class StandardOutput: OutputSink {
    public private(set) var brokenPipe = false

    public init() {
        signal(SIGPIPE, SIG_IGN)
    }

    public func write(_ text: String, to stream: OutputStreamKind) {
        guard !brokenPipe || stream == .err else { return }
        let fd: Int32 = stream == .out ? 1 : 2
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE && fd == 1 { brokenPipe = true }
                    return
                }
                offset += n
            }
        }
    }
}
