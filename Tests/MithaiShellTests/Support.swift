import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Locates the package root and the built `mithai` next to the test bundle.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `mithai` executable built with the tests (MITHAI_BIN overrides).
    static var binary: URL? {
        if let override = ProcessInfo.processInfo.environment["MITHAI_BIN"] { return URL(fileURLWithPath: override) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("mithai")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        for config in ["debug", "release"] {
            let candidate = packageRoot.appendingPathComponent(".build/\(config)/mithai")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    static func temporaryFolder(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The result of running the binary.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `mithai` with arguments and piped stdin, in `folder` (MITHAI_HOME = folder).
func mithai(_ arguments: [String], stdin: String = "", in folder: URL, environment extra: [String: String] = [:]) throws -> Run {
    guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = folder
    var env = ProcessInfo.processInfo.environment
    env["MITHAI_HOME"] = folder.path
    env["MITHAI_HISTORY"] = folder.appendingPathComponent("history").path
    env.removeValue(forKey: "NO_COLOR")
    for (k, v) in extra { env[k] = v }
    process.environment = env
    let input = Pipe(), output = Pipe(), error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
               stderr: String(decoding: err, as: UTF8.self))
}

struct SkipError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
