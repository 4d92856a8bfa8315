// swift-tools-version: 6.1
import PackageDescription

/// The PAM module is Embedded Swift: no Swift runtime, no Foundation, nothing from the toolchain at load time.
/// Its sources include IdleWardenWire through the symlink Sources/PAMIdleWarden/Wire, because an Embedded target
/// cannot import a module compiled for the full runtime.
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
            // Only the encoding side of the wire format is compiled into the module; the decoders use key
            // paths and String decoding, which Embedded Swift refuses or would need the Unicode tables for.
            exclude: [
                "exports.map", "Wire/DatagramReader.swift", "Wire/Message.swift", "Wire/SessionEvent.swift",
                "Wire/ControlRequest.swift", "Wire/ReplyChunk.swift",
            ],
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
            ]
        ),
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
        .target(
            name: "IdleWardenDaemon",
            dependencies: [
                "IdleWardenCore", "IdleWardenWire", "CIdleWarden", "CIdleWardenX",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "idlewarden",
            dependencies: [
                "IdleWardenDaemon", "IdleWardenCore", "IdleWardenWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "IdleWardenWireTests", dependencies: ["IdleWardenWire"]),
        // Fixtures/: replies recorded from a real systemd-logind, read by path (and the script that records them).
        .testTarget(name: "IdleWardenCoreTests", dependencies: ["IdleWardenCore"], exclude: ["Fixtures"]),
        .testTarget(name: "IdleWardenDaemonTests", dependencies: ["IdleWardenDaemon", "IdleWardenCore"]),
    ]
)
