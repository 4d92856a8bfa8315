import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads logind.conf and its drop-ins as systemd-logind does (`LogindIdleStop.files`), for `check-config`.
public enum LogindConfigFiles {
    /// logind's idle logout when it is on here, nil when it is off or logind.conf does not exist. `root` is
    /// prefixed to every path (the tests point it at a directory of their own).
    public static func idleStop(root: String = "") -> LogindIdleStop? {
        let files = LogindIdleStop.files(
            main: LogindIdleStop.mainFile,
            dropIns: LogindIdleStop.dropInDirectories.map { ($0, names(in: root + $0)) })
        let texts = files.compactMap { path -> (path: String, text: String)? in
            ProcText.bytes(of: root + path, limit: 1 << 20).map { (root + path, String(decoding: $0, as: UTF8.self)) }
        }
        return LogindIdleStop.effective(in: texts)
    }

    private static func names(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
