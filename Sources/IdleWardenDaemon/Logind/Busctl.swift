import CIdleWardenX
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// systemd-logind through `busctl` (it ships with systemd, so it is there wherever logind runs), each call in a
/// child process with a deadline: a stuck bus never stalls the daemon's loop. Without logind nothing is spawned.
struct Busctl: LogindBus {
    static let path = "/usr/bin/busctl"
    /// For the end-to-end tests only (documented in idlewarden(8)): a D-Bus address where a mock logind
    /// listens. When set, logind counts as running and busctl talks to that bus instead of the system bus.
    static let testBusVariable = "IDLEWARDEN_TEST_LOGIND_BUS"

    private let testBus: String?

    init() {
        testBus = getenv(Self.testBusVariable).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    var isPresent: Bool {
        testBus != nil || (access("/run/systemd/system", F_OK) == 0 && access("/run/systemd/seats", F_OK) == 0)
    }

    /// Runs busctl with stderr on stdout (its error messages are the reasons logged).
    func busctl(_ arguments: [String], outputLimit: Int, timeoutMilliseconds: Int32) -> (status: Int32, output: String) {
        guard access(Self.path, X_OK) == 0 else { return (1, "\(Self.path) is not installed") }
        let argv = ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", Self.path, "--no-pager", "--json=short",
                    "--timeout=1"] + arguments
        var environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_COLORS=0"]
        if let testBus { environment.append("DBUS_SYSTEM_BUS_ADDRESS=\(testBus)") }
        var output = [CChar](repeating: 0, count: max(2, outputLimit + 1))
        let status = DisplayWatch.withCStrings(argv) { argv in
            DisplayWatch.withCStrings(environment) { envp in
                iw_spawn_capture(argv, envp, timeoutMilliseconds, &output, output.count)
            }
        }
        let text = String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case -2: return (1, "busctl did not answer within \(timeoutMilliseconds) ms")
        case -1: return (1, "cannot start \(Self.path)")
        default: return (status, text)
        }
    }

    func scope(of pid: Int32) -> LogindScope? {
        guard let bytes = ProcText.bytes(of: "/proc/\(pid)/cgroup") else { return nil }
        return LogindScope.parse(cgroupFile: String(decoding: bytes, as: UTF8.self))
    }
}
