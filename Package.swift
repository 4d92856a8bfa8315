// swift-tools-version: 6.1
import PackageDescription

/// The PAM module is Embedded Swift: no Swift runtime, no Foundation, nothing from the toolchain at load time.
/// An Embedded target cannot import a module compiled for the full runtime, so the WireEncodingSources plugin
/// compiles Sources/IdleWardenWire/Encoding into it as well: one encoder, built in both modes, tested through
/// IdleWardenWire. Everything in Encoding/ must build for Embedded Swift; Decoding/ and Control/ never reach it.
let embedded: [SwiftSetting] = [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])]
let moduleDir = Context.packageDirectory + "/Sources/PAMIdleWarden"

let package = Package(
    name: "idlewarden",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "pam_idlewarden", type: .dynamic, targets: ["PAMIdleWarden"]),
        .executable(name: "idlewarden", targets: ["idlewarden"]),
        // For Benchmarks/, a package of its own that measures the policy code.
        .library(name: "IdleWardenCore", targets: ["IdleWardenCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        .target(name: "CPAM"),
        .target(name: "IdleWardenWire"),
        .target(
            name: "PAMIdleWarden",
            dependencies: ["CPAM"],
            exclude: ["exports.map"],
            // One section per function so that --gc-sections drops the unused public wire API (String code).
            swiftSettings: embedded + [.unsafeFlags(["-Osize", "-Xfrontend", "-function-sections"])],
            linkerSettings: [
                .linkedLibrary("pam"),
                .linkedLibrary("m"),
                .unsafeFlags([
                    "-Xlinker", "--version-script=\(moduleDir)/exports.map",
                    "-Xlinker", "-z", "-Xlinker", "defs",
                    // gold (swiftc's default here) leaves the weak metadata symbols that the version script
                    // makes local in .dynsym; GNU ld drops them, so only the two entry points remain.
                    "-use-ld=bfd",
                ]),
            ],
            plugins: ["WireEncodingSources"]
        ),
        .plugin(name: "WireEncodingSources", capability: .buildTool()),
        .target(name: "CIdleWarden"),
        // Graphical sessions: dlopen of libX11/libXss (never linked) and child-process helpers; daemon only.
        .target(name: "CIdleWardenX", linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "IdleWardenCore",
            dependencies: [
                "IdleWardenWire",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // What the CLI needs to talk to the daemon (client, replies, status entries), without the daemon itself.
        .target(
            name: "IdleWardenClient",
            dependencies: ["IdleWardenWire", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "IdleWardenDaemon",
            dependencies: [
                "IdleWardenClient", "IdleWardenCore", "IdleWardenWire", "CIdleWarden", "CIdleWardenX",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "idlewarden",
            dependencies: [
                "IdleWardenClient", "IdleWardenDaemon", "IdleWardenCore", "IdleWardenWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "IdleWardenWireTests", dependencies: ["IdleWardenWire"]),
        .testTarget(name: "IdleWardenCoreTests", dependencies: ["IdleWardenCore", "IdleWardenWire"]),
        .testTarget(name: "IdleWardenClientTests", dependencies: ["IdleWardenClient", "IdleWardenWire"]),
        .testTarget(
            name: "IdleWardenDaemonTests", dependencies: ["IdleWardenDaemon", "IdleWardenClient", "IdleWardenCore"]),
    ]
)
