#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads idlewarden.conf and its drop-ins from disk: the only place where Core touches the system, kept to small
/// functions (`readFile`, `dropInNames`) so that everything else works on text and is tested without files.
public enum ConfigLoader {
    /// Larger than any real config by far; refusing it keeps a wrong path (a log, /dev/zero) from eating memory.
    static let maximumSize = 1 << 20

    /// What a read found.
    enum FileContents: Equatable {
        case bytes([UInt8])
        case missing
        case unreadable(String)
    }

    /// The drop-in directory of a main file: `conf.d` beside it (/etc/idlewarden/conf.d).
    public static func dropInDirectory(for path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "conf.d" }
        return String(path[...slash]) + "conf.d"
    }

    /// Loads and parses the config at `path` and the drop-ins of its `conf.d` directory: the files named
    /// `*.conf` there (not hidden ones), in byte order of their names. A missing main file gives the built-in
    /// defaults (a fresh install works without a config) under the drop-ins, unless `requireFile` is set (for
    /// `check-config FILE`, where a typo in FILE must not pass). A missing conf.d means no drop-ins.
    public static func load(path: String = Config.defaultPath, requireFile: Bool = false) -> ConfigParseResult {
        var errors: [ConfigError] = []
        var main: ConfigText?
        switch text(at: path) {
        case .success(let text?): main = text
        case .success(nil):
            if requireFile { errors.append(.unreadable(SourceLocation(file: path, line: 1, column: 1), reason: "no such file")) }
        case .failure(let error): errors.append(error)
        }
        var dropIns: [ConfigText] = []
        let directory = dropInDirectory(for: path)
        switch dropInNames(in: directory) {
        case .success(let names):
            for name in names {
                switch text(at: directory + "/" + name) {
                case .success(let text?): dropIns.append(text)
                case .success(nil): continue // removed since the listing
                case .failure(let error): errors.append(error)
                }
            }
        case .failure(let error): errors.append(error)
        }
        let result = ConfigParser.parse(main: main, dropIns: dropIns, mainPath: path)
        guard !errors.isEmpty else { return result }
        return ConfigParseResult(
            config: nil, errors: errors + result.errors, warnings: result.warnings, notes: result.notes,
            nameReferences: result.nameReferences, files: [path] + dropIns.map(\.path))
    }

    /// The text of one file; nil when it does not exist.
    private static func text(at path: String) -> Result<ConfigText?, ConfigError> {
        let start = SourceLocation(file: path, line: 1, column: 1)
        switch readFile(path) {
        case .missing: return .success(nil)
        case .unreadable(let reason): return .failure(.unreadable(start, reason: reason))
        case .bytes(let bytes): return decode(bytes, path: path).map { ConfigText(path: path, text: $0) }
        }
    }

    /// The drop-in file names in `directory`, sorted byte by byte (as `ls` in the C locale sorts them, so that
    /// 10-site.conf comes before 50-role.conf on every host). No directory: none.
    static func dropInNames(in directory: String) -> Result<[String], ConfigError> {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return .success([]) }
            return .failure(.unreadable(SourceLocation(file: directory, line: 1, column: 1),
                                        reason: "cannot list the drop-in directory: " + String(cString: strerror(errno))))
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if isDropIn(name) { names.append(name) }
        }
        return .success(names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    /// `*.conf`, but not hidden files (an editor's `.name.conf.swp`, dpkg's leftovers end otherwise anyway).
    static func isDropIn(_ name: String) -> Bool {
        name.hasSuffix(".conf") && !name.hasPrefix(".") && name.count > ".conf".count
    }

    /// The file's bytes. Opened non-blocking so that a FIFO at the path cannot hang the daemon.
    static func readFile(_ path: String) -> FileContents {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return errno == ENOENT ? .missing : .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(String(cString: strerror(errno)))
            }
            if count == 0 { return .bytes(bytes) }
            bytes += buffer[0..<count]
            if bytes.count > maximumSize {
                return .unreadable("larger than \(maximumSize / 1024) KiB; this is not an idlewarden config")
            }
        }
    }

    /// The bytes as text, or an error at the first byte that is not UTF-8 (TOML files must be UTF-8).
    static func decode(_ bytes: [UInt8], path: String) -> Result<String, ConfigError> {
        if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
        var line = 1
        var column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput, .error:
                break loop
            }
        }
        return .failure(.unreadable(SourceLocation(file: path, line: line, column: column),
                                    reason: "not valid UTF-8 here; save the file as UTF-8"))
    }
}
