#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MithaiWorkbench

/// A one-line progress bar on stderr: `load btc  [██████░░░░░░]  48%  1.2 s`. Appears only
/// after the work has run for a second, redraws at most ten times a second, and is erased
/// when the command ends. Used only when stderr is a terminal.
final class ProgressBar: ProgressReporter {
    private var start: timespec?
    private var lastDraw: Double = 0
    private var visible = false
    private let output: StandardOutput

    init(output: StandardOutput) { self.output = output }

    private func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func update(_ label: String, fraction: Double) {
        let t = now()
        if start == nil { var s = timespec(); clock_gettime(CLOCK_MONOTONIC, &s); start = s }
        let started = Double(start!.tv_sec) + Double(start!.tv_nsec) / 1e9
        let elapsed = t - started
        guard elapsed >= 1, t - lastDraw >= 0.1 else { return }
        lastDraw = t
        let f = max(0, min(1, fraction))
        let width = 24
        let filled = Int((f * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let seconds = (elapsed * 10).rounded() / 10
        output.write("\r\u{1B}[2K\(label)  [\(bar)] \(Int(f * 100))%  \(seconds) s", to: .err)
        visible = true
    }

    func finish() {
        if visible { output.write("\r\u{1B}[2K", to: .err) }
        visible = false
        start = nil
        lastDraw = 0
    }
}
