// swift-tools-version: 6.1
// The idlewarden benchmarks: a package of its own, so that the product's Package.swift carries no benchmark
// dependency. Run them with `bash Benchmarks/run-core.sh` (see BENCHMARKS.md), which builds with
// `--scratch-path .build-bench-core`.
import PackageDescription

import class Foundation.ProcessInfo

/// The idlewarden package whose IdleWardenCore is measured: the repository (`..`) unless
/// IDLEWARDEN_PACKAGE_PATH names another checkout (to compare two versions side by side).
let idlewardenPath = ProcessInfo.processInfo.environment["IDLEWARDEN_PACKAGE_PATH"] ?? ".."

let package = Package(
    name: "idlewarden-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Only the malloc interposer trait: the default traits also pull the Linux ARC runtime interposer,
        // a package that this build does not need.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "idlewarden", path: idlewardenPath),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "IdleWardenCore", package: "idlewarden"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
