/// Shows how far long work has got. The shell's implementation draws a bar on a terminal
/// (after a second, so quick commands stay quiet) and nothing when output is piped.
public protocol ProgressReporter: AnyObject {
    /// `fraction` in 0...1; called often, throttled by the reporter.
    func update(_ label: String, fraction: Double)
    /// Removes the bar.
    func finish()
}

extension Session {
    /// Reports progress of the current command, if a reporter is attached, and throws
    /// `.cancelled` once Ctrl-C was pressed. Call it every few thousand items of work.
    public func checkpoint(_ label: String, fraction: Double) throws(WorkbenchError) {
        if cancellation.isCancelled { throw .cancelled }
        progress?.update(label, fraction: fraction)
    }
}
