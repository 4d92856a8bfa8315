import Foundation
import PackagePlugin

/// Compiles the files of Sources/IdleWardenWire/Encoding into the target that uses this plugin (the PAM module).
/// The module is Embedded Swift and cannot import IdleWardenWire, which is built for the full runtime, and SwiftPM
/// lets no file belong to two targets; so each file is copied into the module's build, headed by a
/// `#sourceLocation` that makes diagnostics and debug info name the original. Nothing outside Encoding/ is copied:
/// a decoder or control message added to IdleWardenWire never reaches the module.
@main
struct WireEncodingSources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let wire = try context.package.targets(named: ["IdleWardenWire"]).first as? SourceModuleTarget else {
            throw PluginError("the target IdleWardenWire is missing or has no sources")
        }
        let encoding = wire.directoryURL.appending(path: "Encoding").path + "/"
        let files = wire.sourceFiles(withSuffix: "swift").filter { $0.url.path.hasPrefix(encoding) }
        guard !files.isEmpty else { throw PluginError("no Swift files in \(encoding)") }
        return files.map { file in
            // A name of its own: the same name would give two files the same #fileID in the module.
            let copy = context.pluginWorkDirectoryURL.appending(path: "Embedded" + file.url.lastPathComponent)
            let quoted = file.url.path.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
            return .buildCommand(
                displayName: "Embedding \(file.url.lastPathComponent) in \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    "-c", #"printf '%s\n' "$1" > "$3" && cat "$2" >> "$3""#,
                    "sh", "#sourceLocation(file: \"\(quoted)\", line: 1)", file.url.path, copy.path,
                ],
                inputFiles: [file.url], outputFiles: [copy])
        }
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
