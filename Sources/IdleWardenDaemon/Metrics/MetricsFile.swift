import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The metrics as a file for node_exporter's textfile collector (`metrics_file`). The collector may read at any
/// moment, so the file is written under another name (`NAME.tmp`, which it ignores: it reads `*.prom` only) and
/// renamed over the old one: it never sees half a file. Mode 0644, because node_exporter runs as its own user.
enum MetricsFile {
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        let file = try SystemError.naming("open \(temporary)") {
            try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .truncate, .closeOnExec, .noFollow],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        }
        do {
            try file.closeAfter {
                try StateFileWriter.writeAll(Array(text.utf8), to: file.rawValue, path: temporary)
                guard fchmod(file.rawValue, 0o644) == 0 else { throw SystemError("chmod \(temporary)") }
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = SystemError("rename \(temporary)")
            unlink(temporary)
            throw error
        }
    }

    static func remove(_ path: String) {
        unlink(path)
    }
}
