// swift-tools-version: 6.1
// Mithai Cap: a research workbench for high-frequency trading and market making.
//
// Layers (dependencies point down only; see docs/ARCHITECTURE.md):
//   mithai (executable) -> MithaiShell -> MithaiWorkbench -> {MithaiLanguage, MithaiStore,
//   MithaiMarketData -> MithaiEngine}. Only MithaiShell imports libedit; only MithaiStore and
//   MithaiMarketData touch files; MithaiEngine does no I/O at all.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "mithai",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mithai", targets: ["mithai"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        // Tests only: reads docs/openapi.yaml to check the API against it.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System libraries, each behind a shim header (libedit and history() are C-variadic).
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Pure engine: order books, events, units. No I/O, no clock, no globals.
        .target(name: "MithaiEngine", swiftSettings: strict),
        // Readers and writers of tick formats, binary cache, validation. Zip members are read with
        // zlib raw inflate (ZIPFoundation cannot be used: it defines its own module named CZlib).
        .target(name: "MithaiMarketData",
                dependencies: ["MithaiEngine", "CZlib",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // SQLite: session journal, runs.
        .target(name: "MithaiStore", dependencies: ["CSQLite"], swiftSettings: strict),
        // Source -> tokens -> AST, diagnostics with source ranges. Knows no engine.
        .target(name: "MithaiLanguage", swiftSettings: strict),
        // Plot specifications -> gnuplot scripts (pure), and the one gnuplot process per session.
        .target(name: "MithaiPlotting", swiftSettings: strict),
        // The interpreter: command table, workspace, values, tables and their formats.
        .target(name: "MithaiWorkbench",
                dependencies: ["MithaiLanguage", "MithaiStore", "MithaiMarketData", "MithaiEngine", "MithaiPlotting",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Terminal front end: libedit, history, completion, Ctrl-C, script and pipe input.
        .target(name: "MithaiShell",
                dependencies: ["MithaiWorkbench", "MithaiLanguage", "MithaiStore", "CEditLine"],
                swiftSettings: strict),
        // `serve`: REST API, WebSocket streams and the dashboard pages (Hummingbird 2).
        .target(name: "MithaiServer",
                dependencies: ["MithaiWorkbench",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")],
                swiftSettings: strict),
        .executableTarget(name: "mithai",
                          dependencies: ["MithaiShell", "MithaiWorkbench", "MithaiServer",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        .testTarget(name: "MithaiEngineTests", dependencies: ["MithaiEngine"], exclude: ["Fixtures"]),
        .testTarget(name: "MithaiMarketDataTests", dependencies: ["MithaiMarketData", "MithaiEngine"]),
        .testTarget(name: "MithaiStoreTests", dependencies: ["MithaiStore"]),
        .testTarget(name: "MithaiLanguageTests", dependencies: ["MithaiLanguage"]),
        .testTarget(name: "MithaiPlottingTests", dependencies: ["MithaiPlotting"], exclude: ["Snapshots"]),
        .testTarget(name: "MithaiWorkbenchTests",
                    dependencies: ["MithaiWorkbench", "MithaiLanguage", "MithaiStore"],
                    exclude: ["Transcripts"]),
        // Spawns the built `mithai` (end to end, pseudo-terminal, example sessions and recipes).
        .testTarget(name: "MithaiShellTests", dependencies: ["MithaiShell", "MithaiWorkbench", "mithai"]),
        // `serve`: every endpoint against docs/openapi.yaml, the token and origin checks, the
        // WebSocket streams, and the pages in headless Chromium (spawns the built `mithai`).
        .testTarget(name: "MithaiServerTests",
                    dependencies: ["MithaiServer", "MithaiWorkbench", "mithai",
                                   .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                                   .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
