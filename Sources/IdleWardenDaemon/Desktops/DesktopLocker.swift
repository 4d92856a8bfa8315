import CIdleWardenX
import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// Desktop locks as the system does them: logind's `Lock` (`loginctl lock-session`, which the desktop's own
/// locker answers) where logind runs and knows the session; else the configured `lock_command`, else
/// `xdg-screensaver lock`, run as the session's user in its display. A locker that stays on screen is started
/// and left running (reaped once it exits); loginctl is waited for at most 2 s.
final class DesktopLocker: SessionLocker {
    private var started: [pid_t] = []

    func lock(_ session: Session, endpoint: DisplayEndpoint?, command: [String]?) -> LockOutcome {
        started.removeAll { iw_reap($0) == 1 }
        if let id = session.xdgSessionID, access("/run/systemd/seats", F_OK) == 0 {
            let status = DisplayWatch.withCStrings(["/usr/bin/loginctl", "lock-session", id]) { argv in
                DisplayWatch.withCStrings(["PATH=/usr/bin:/bin", "LC_ALL=C"]) { envp in
                    var output = [CChar](repeating: 0, count: 256)
                    return iw_spawn_capture(argv, envp, 2000, &output, output.count)
                }
            }
            return LockOutcome(method: "logind", result: status == 0 ? "ok" : "failed-status-\(status)")
        }
        let method = command == nil ? "xdg-screensaver" : "lock_command"
        guard let endpoint, endpoint.display != nil else { return LockOutcome(method: method, result: "no-display") }
        let program = command ?? ["/usr/bin/xdg-screensaver", "lock"]
        let arguments = [
            "/usr/bin/setpriv", "--reuid=\(session.facts.uid)", "--regid=\(DisplayWatch.primaryGID(uid: session.facts.uid))",
            "--init-groups", "--",
        ] + program
        let environment = endpoint.environment(user: session.facts.user)
        let pid = DisplayWatch.withCStrings(arguments) { argv in
            DisplayWatch.withCStrings(environment) { envp in iw_spawn_detached(argv, envp) }
        }
        guard pid > 0 else { return LockOutcome(method: method, result: "spawn-failed") }
        started.append(pid)
        return LockOutcome(method: method, result: "started", process: pid)
    }

    /// SIGTERM to the locker's process group, SIGKILL if it is still there 200 ms later, reaped when it has
    /// exited: at most 400 ms, once per ended session that had a locker (a leftover is reaped at the next lock).
    func release(_ process: Int32) {
        guard started.contains(process) else { return }
        for signal in [SIGTERM, SIGKILL] {
            kill(-process, signal)
            for _ in 0..<20 {
                if iw_reap(process) == 1 {
                    started.removeAll { $0 == process || iw_reap($0) == 1 }
                    return
                }
                usleep(10_000)
            }
        }
    }
}
