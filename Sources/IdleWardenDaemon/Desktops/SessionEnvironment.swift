/// The environments of a desktop session's processes, read for its `DisplayEndpoint`. A process's environment
/// lives in its own memory, which the user controls: reading /proc/PID/environ can wait as long as a page of it
/// takes to fault in (a file mapping on a FUSE mount the user serves), and it can be as large as the user makes
/// it. So the daemon never reads it: a short-lived child does (`idlewarden session-env`), under the same deadline
/// as the X query, and reads at most `maxProcesses` processes and `maxBytesPerProcess` of each.
public enum SessionEnvironment {
    /// How long the daemon waits for the helper before it kills it; the endpoint is then unknown.
    public static let timeoutMilliseconds: Int32 = 500
    /// The session's first processes carry its environment (the display manager's session wrapper, the
    /// desktop's session manager): more are not read.
    public static let maxProcesses = 64
    public static let maxBytesPerProcess = 64 * 1024

    /// In the helper: the endpoint found in the environments of `pids` (in that order) whose real uid is `uid`.
    public static func readHere(pids: [Int32], uid: UInt32, display: String?) -> DisplayEndpoint {
        let processes = LiveProcessTree()
        let environments = pids.prefix(maxProcesses).compactMap { pid -> [UInt8]? in
            guard processes.realUID(pid) == uid else { return nil }
            return ProcText.bytes(of: "/proc/\(pid)/environ", limit: maxBytesPerProcess)
                .map { Array($0.prefix(maxBytesPerProcess)) }
        }
        return DisplayEndpoint.find(display: display, environments: environments)
    }

    /// The helper's answer: a `key=value` line per value found (`xauthority`, `dbus`, `home`). A value with a
    /// control character in it is left out: no path or bus address has one, and it could not be one line.
    public static func format(_ endpoint: DisplayEndpoint) -> String {
        [("xauthority", endpoint.xauthority), ("dbus", endpoint.dbusAddress), ("home", endpoint.home)]
            .compactMap { key, value in
                guard let value, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
                else { return nil }
                return "\(key)=\(value)\n"
            }.joined()
    }

    /// The endpoint of `display` that the helper's answer names; unknown lines are ignored.
    public static func parse(_ text: String, display: String?) -> DisplayEndpoint {
        var endpoint = DisplayEndpoint(display: display)
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let value = String(line[line.index(after: equals)...])
            switch line[..<equals] {
            case "xauthority" where value.hasPrefix("/"): endpoint.xauthority = value
            case "dbus" where !value.isEmpty: endpoint.dbusAddress = value
            case "home" where value.hasPrefix("/"): endpoint.home = value
            default: continue
            }
        }
        return endpoint
    }
}
