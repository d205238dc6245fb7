/// A problem with input data, rendered once as `file:line: message` (or `file: message` when no
/// line applies). Readers throw it for malformed input; they never return a partial dataset.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (as the user named it, or the member inside an archive as `archive.zip/member`).
    public var file: String
    /// 1-based line number, or 0 when not applicable (binary formats, whole-file problems).
    public var line: Int
    /// What is wrong, phrased for the user.
    public var message: String

    public init(file: String, line: Int = 0, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
