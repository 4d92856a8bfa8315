// swift-tools-version: 6.1
import PackageDescription

/// The PAM module is Embedded Swift: no Swift runtime, no Foundation, nothing from the toolchain at load time.
/// An Embedded target cannot import a module compiled for the full runtime, so the WireEncodingSources plugin
/// compiles Sources/IdleWardenWire/Encoding into it as well: one encoder, built in both modes, tested through
/// IdleWardenWire. Everything in Encoding/ must build for Embedded Swift; Decoding/ and Control/ never reach it.
let embedded: [SwiftSetting] = [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])]
let moduleDir = Context.packageDirectory + "/Sources/PAMIdleWarden"

/// The executable, as install.sh links it (--static-swift-stdlib), is 16.6 MB stripped with the toolchain's link
/// flags, 14.7 MB of it the Swift runtime, FoundationEssentials (which swift-argument-parser imports) and the rest
/// of the toolchain's libraries. Linked by lld (the toolchain's) with two flags it is 15.2 MB (BENCHMARKS.md): the
/// ≈ 40,000 relative relocations of the position-independent executable are packed into a bitmap (DT_RELR: 1 MB
/// less; only where the glibc it is built against, and so will run on, reads them: 2.36, Debian 12), and no symbol
/// is exported (the toolchain's -export-dynamic, 0.4 MB, only names functions in a crash report of an unstripped
/// binary). GNU ld would do the same but leaves out RELRO here; gold cannot pack relocations.
var leanExecutable = ["-use-ld=lld", "-Xlinker", "--no-export-dynamic"]
#if canImport(Glibc)
import Glibc
var glibcName = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
_ = confstr(Int32(_CS_GNU_LIBC_VERSION), &glibcName, glibcName.count)
let glibc = String(decoding: glibcName.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    .split(whereSeparator: { $0 == " " || $0 == "." }).compactMap { Int($0) }
if glibc.count >= 2, (glibc[0], glibc[1]) >= (2, 36) {
    leanExecutable += ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]
}
#endif

/// Hardening, as Debian's dpkg-buildflags asks of packages (lintian, hardening-check): every relocation resolved
/// at load and the GOT made read-only after it (RELRO + BIND_NOW: full RELRO), for the daemon and the module that
/// sshd loads; and _FORTIFY_SOURCE for the C and C++ parts (the checked variants of memcpy, read, snprintf, ...
/// where the size is known), in release builds, which optimize (fortify needs that). Swift code calls libc
/// without the fortified headers, so it is not covered.
let fullRelro = ["-Xlinker", "-z", "-Xlinker", "relro", "-Xlinker", "-z", "-Xlinker", "now"]
let fortifyC: [CSetting] = [.define("_FORTIFY_SOURCE", to: "2", .when(configuration: .release))]
let fortifyCXX: [CXXSetting] = [.define("_FORTIFY_SOURCE", to: "2", .when(configuration: .release))]

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
    ],
    targets: [
        .target(name: "CPAM", cSettings: fortifyC),
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
                ] + fullRelro),
            ],
            plugins: ["WireEncodingSources"]
        ),
        .plugin(name: "WireEncodingSources", capability: .buildTool()),
        .target(name: "CIdleWarden", cSettings: fortifyC),
        // Graphical sessions: dlopen of libX11/libXss (never linked) and child-process helpers; daemon only.
        .target(name: "CIdleWardenX", cSettings: fortifyC, linkerSettings: [.linkedLibrary("dl")]),
        // toml++ (Debian's libtomlplusplus-dev, header-only) behind a C API: the config parser. C++, so the
        // daemon links libstdc++ (which the Swift runtime needs anyway); the PAM module does not use it.
        .target(name: "CTOML", cxxSettings: fortifyCXX),
        .target(name: "IdleWardenCore", dependencies: ["IdleWardenWire", "CTOML"]),
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
            ],
            linkerSettings: [.unsafeFlags(leanExecutable + fullRelro, .when(platforms: [.linux]))]
        ),
        .testTarget(name: "IdleWardenWireTests", dependencies: ["IdleWardenWire"]),
        // Fixtures/: replies recorded from a real systemd-logind, read by path (and the script that records them).
        .testTarget(
            name: "IdleWardenCoreTests", dependencies: ["IdleWardenCore", "IdleWardenWire"], exclude: ["Fixtures"]),
        .testTarget(name: "IdleWardenClientTests", dependencies: ["IdleWardenClient", "IdleWardenWire"]),
        .testTarget(
            name: "IdleWardenDaemonTests", dependencies: ["IdleWardenDaemon", "IdleWardenClient", "IdleWardenCore"]),
    ],
    cxxLanguageStandard: .cxx17
)
