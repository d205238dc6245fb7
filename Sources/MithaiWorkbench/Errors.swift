public import MithaiLanguage

/// Errors of the workbench. User mistakes and internal failures are different cases: the
/// first never end the shell and exit 65 in scripts; the second exit 70.
public enum WorkbenchError: Error, Sendable {
    /// A mistake in the user's text, at a source range.
    case diagnostic(Diagnostic)
    /// A user-level failure not tied to the text (bad data file: "x.csv:12: ...").
    case failed(String)
    /// Ctrl-C.
    case cancelled
    /// A bug or an environment failure.
    case `internal`(String)

    public static func at(_ range: SourceRange, _ message: String, suggestions: [String] = [], notes: [String] = []) -> WorkbenchError {
        .diagnostic(Diagnostic(message, at: range, suggestions: suggestions, notes: notes))
    }
}
