import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// The cgroup hierarchies as this system mounts them: cgroup v2 (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified`
/// on a hybrid layout) and the v1 `name=systemd` one (legacy and hybrid layouts), found once in
/// /proc/self/mountinfo.
struct LiveControlGroups: ControlGroups {
    /// A mounted hierarchy: where it is mounted, and which of its cgroups is the mount's root.
    struct Mount: Equatable {
        var point: String
        var root: String

        /// The directory of `path` (a cgroup path of /proc/PID/cgroup) under this mount.
        func directory(of path: String) -> String? {
            if root == "/" { return point + path }
            guard path == root || path.hasPrefix(root + "/") else { return nil }
            return point + path.dropFirst(root.count)
        }
    }

    let unified: Mount?
    let named: Mount?

    init() {
        let mounts = ProcText.withContents("/proc/self/mountinfo") { Self.parseMounts(String(decoding: $0, as: UTF8.self)) }
        unified = mounts?.unified
        named = mounts?.named
    }

    /// The cgroup2 mount and the cgroup v1 mount with `name=systemd`, from the text of /proc/self/mountinfo
    /// (`ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE SUPEROPTIONS`).
    static func parseMounts(_ text: String) -> (unified: Mount?, named: Mount?) {
        var unified: Mount?, named: Mount?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 3 < fields.count else { continue }
            let mount = Mount(point: unescape(fields[4]), root: unescape(fields[3]))
            let type = fields[dash + 1]
            if type == "cgroup2", unified == nil {
                unified = mount
            } else if type == "cgroup", named == nil,
                      fields[dash + 3].split(separator: ",").contains("name=systemd") {
                named = mount
            }
        }
        return (unified, named)
    }

    /// mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
               let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The cgroup paths of `pid`: its v2 path and its `name=systemd` path (either may be absent).
    private func paths(of pid: Int32) -> (unified: String?, named: String?)? {
        ProcText.withContents("/proc/\(pid)/cgroup") { bytes -> (String?, String?) in
            var unifiedPath: String?, namedPath: String?
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3 else { continue }
                if fields[0] == "0" && fields[1].isEmpty {
                    unifiedPath = String(fields[2])
                } else if fields[1].split(separator: ",").contains("name=systemd") {
                    namedPath = String(fields[2])
                }
            }
            return (unifiedPath, namedPath)
        }
    }

    func scope(of pid: Int32) -> LoginScope? {
        guard let paths = paths(of: pid) else { return nil }
        if let unified, let path = paths.unified, LogindScope.parse(path: path) != nil,
           let directory = unified.directory(of: path) {
            return LoginScope(path: path, directory: directory, isUnified: true)
        }
        if let named, let path = paths.named, LogindScope.parse(path: path) != nil,
           let directory = named.directory(of: path) {
            return LoginScope(path: path, directory: directory, isUnified: false)
        }
        return nil
    }

    func members(of scope: LoginScope) -> [Int32]? {
        var pids: [Int32] = []
        var directories = [scope.directory]
        var first = true
        while let directory = directories.popLast() {
            guard let listed = ProcText.withContents(directory + "/cgroup.procs", { ProcText.numbers($0) }) else {
                if first { return nil }
                continue
            }
            first = false
            // Processes of another PID namespace's part of the tree show as 0.
            pids += listed.filter { $0 > 0 }
            directories += Self.subdirectories(of: directory)
        }
        return pids
    }

    func contains(_ scope: LoginScope, pid: Int32) -> Bool {
        guard let paths = paths(of: pid), let path = scope.isUnified ? paths.unified : paths.named else { return false }
        return path == scope.path || path.hasPrefix(scope.path + "/")
    }

    func canFreeze(_ scope: LoginScope) -> Bool {
        scope.isUnified && access(scope.directory + "/cgroup.freeze", W_OK) == 0
    }

    func setFrozen(_ frozen: Bool, _ scope: LoginScope) -> Bool {
        guard scope.isUnified else { return false }
        let fd = open(scope.directory + "/cgroup.freeze", O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let byte: [UInt8] = [frozen ? UInt8(ascii: "1") : UInt8(ascii: "0")]
        return write(fd, byte, 1) == 1
    }

    func isFrozen(_ scope: LoginScope) -> Bool {
        guard scope.isUnified else { return false }
        return ProcText.withContents(scope.directory + "/cgroup.events") { bytes in
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains("frozen 1")
        } ?? false
    }

    private static func subdirectories(of directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var result: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { result.append(directory + "/" + name) }
        }
        return result
    }
}
