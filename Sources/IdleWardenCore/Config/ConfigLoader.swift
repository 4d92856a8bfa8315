#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads idlewarden.conf from disk: the only place where Core touches the system, kept to one small function
/// (`readFile`) so that everything else works on text and is tested without files.
public enum ConfigLoader {
    /// Larger than any real config by far; refusing it keeps a wrong path (a log, /dev/zero) from eating memory.
    static let maximumSize = 1 << 20

    /// What a read found.
    enum FileContents: Equatable {
        case bytes([UInt8])
        case missing
        case unreadable(String)
    }

    /// Loads and parses the config at `path`. A missing file gives the built-in defaults (a fresh install works
    /// without a config), unless `requireFile` is set (for `check-config FILE`, where a typo in FILE must not pass).
    public static func load(path: String = Config.defaultPath, requireFile: Bool = false) -> ConfigParseResult {
        let start = SourceLocation(file: path, line: 1, column: 1)
        switch readFile(path) {
        case .missing where requireFile:
            return .failure(.unreadable(start, reason: "no such file"))
        case .missing:
            return ConfigParseResult(config: .builtIn(path: path), errors: [], warnings: [], nameReferences: [])
        case .unreadable(let reason):
            return .failure(.unreadable(start, reason: reason))
        case .bytes(let bytes):
            switch decode(bytes, path: path) {
            case .success(let text): return ConfigParser.parse(text, path: path)
            case .failure(let error): return .failure(error)
            }
        }
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
