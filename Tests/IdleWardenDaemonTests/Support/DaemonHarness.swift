import Foundation
import IdleWardenClient
import IdleWardenCore
import IdleWardenWire
import Logging
import XCTest
@testable import IdleWardenDaemon

/// A daemon on fake effects and a manual clock, with the logins a test makes on it: what the PAM module would
/// send is handed to `Daemon.handle`, the due moments to `Daemon.handleDue`, as the event loop would.
final class DaemonHarness {
    /// One login: the process that called the PAM module, the user's processes below it, its terminal.
    struct Login {
        var id: String
        var user: String
        var uid: UInt32
        var leader: ProcessRecord
        /// The user's processes of the login, top first (sshd's user process, the shell, ...).
        var processes: [ProcessRecord]
        var device: String?
    }

    static let defaultConfig = """
        idle_timeout = "15m"
        warn_before = "1m"
        signal_interval = "10s"
        """

    let clock = ManualClock()
    let processes = FakeProcesses()
    let handles: FakeHandles
    let cgroups: FakeControlGroups
    let terminals: FakeTerminals
    let accounts = FakeAccounts()
    let audit = MemoryAudit()
    let locker = FakeLocker()
    let desktops = FakeDesktops()
    /// What utmp lists, for adoption at start-up.
    var utmp: [LoginRecord] = []
    /// systemd-logind (absent unless a test makes it present) and /etc/pam.d (path → text).
    let logind = FakeLogind()
    var pamFiles: [String: String] = [:]
    let directory: String
    let configPath: String
    /// The daemon now running; `restart()` replaces it.
    private(set) var daemon: Daemon!
    /// sshd's listener: every ssh login's monitor is its child.
    let sshd: ProcessRecord
    private var nextRequestID: UInt32 = 1

    init(config: String = DaemonHarness.defaultConfig, adopt: Bool = false) throws {
        handles = FakeHandles(processes: processes)
        cgroups = FakeControlGroups(processes: processes)
        terminals = FakeTerminals(clock: clock)
        directory = NSTemporaryDirectory() + "idlewarden-daemon-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
        configPath = directory + "/idlewarden.conf"
        sshd = processes.spawn("sshd", parent: 1, uid: 0, cgroup: "/system.slice/ssh.service")
        writeConfig(config)
        try start(adopt: adopt)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var effects: DaemonEffects {
        DaemonEffects(
            clock: clock, processes: processes, accounts: accounts, terminals: terminals, handles: handles,
            cgroups: cgroups, audit: audit, locker: locker, desktops: desktops, logins: { [unowned self] in utmp }, logind: logind,
            pamFile: { [unowned self] in pamFiles[$0] })
    }

    func writeConfig(_ text: String) {
        XCTAssertTrue(FileManager.default.createFile(atPath: configPath, contents: Data(text.utf8)))
    }

    /// A daemon as `idlewarden daemon` starts it: config read, state restored, then the loop.
    func start(adopt: Bool = false) throws {
        let loaded = ConfigLoader.load(path: configPath)
        let config = try XCTUnwrap(loaded.config, "\(loaded.errors)")
        let options = Daemon.Options(
            configPath: configPath, socketPath: directory + "/control.sock", stateDirectory: directory + "/state",
            adoptsLogins: adopt)
        daemon = try Daemon(
            options: options, config: config, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            effects: effects)
        daemon.recover(now: clock.now())
    }

    /// The daemon stops (its state saved, as at SIGTERM) and, after `downtime`, a new one starts.
    func restart(after downtime: Duration = .zero, adopt: Bool = false) throws {
        daemon.saveStateIfNeeded(now: clock.now(), force: true)
        daemon = nil
        handles.closeAll()
        clock.advance(by: downtime)
        try start(adopt: adopt)
    }

    /// The daemon is killed (no save beyond what it saved already) and, after `downtime`, a new one starts.
    func crash(after downtime: Duration = .zero) throws {
        kill()
        clock.advance(by: downtime)
        try start()
    }

    /// The daemon is killed: what it saved stays, the kernel closes its handles.
    func kill() {
        daemon = nil
        handles.closeAll()
    }

    // MARK: Time

    /// Time passes until `moment`: the daemon wakes at each moment it asked for, as its loop does.
    func run(until moment: Instant) {
        while true {
            daemon.saveStateIfNeeded(now: clock.now())
            daemon.writeMetricsIfNeeded(now: clock.now())
            guard let next = daemon.nextWakeUp(), next <= moment else { break }
            clock.advance(to: next)
            daemon.followClock()
            daemon.handleDue(now: clock.now())
        }
        clock.advance(to: moment)
        daemon.followClock()
    }

    func run(for duration: Duration) {
        run(until: clock.now() + duration)
    }

    /// The wall clock is set by `jump` (`date -s`): no time passes, and the event loop wakes at once (its
    /// wall-clock watch reports the set clock), as the daemon's loop does.
    func setClock(by jump: Duration) {
        clock.setWall(by: jump)
        daemon.followClock()
    }

    // MARK: Logins

    /// A user known to the name service.
    func user(_ name: String, uid: UInt32, groups: [String] = []) {
        accounts.add(name, uid: uid, groups: groups)
    }

    /// An ssh login as OpenSSH makes it: its root monitor registers the session (PAM_TTY "ssh"), then the user's
    /// sshd process and, with `tty`, a shell on a new pty below it (without, a command with no terminal).
    /// `reactions` say what the user's sshd process and the shell do with signals.
    /// With `auditSession`, pam_loginuid gave the login that audit session id; with `scope`, pam_systemd put it in a
    /// logind scope of its own (numbered after the audit id, as logind does).
    @discardableResult
    func sshLogin(
        _ user: String, service: String = "sshd", tty: Bool = true, overrides: [String] = [],
        reactions: (sshd: FakeProcesses.Reaction, shell: FakeProcesses.Reaction) = (.exits, .exits),
        auditSession: UInt32? = nil, scope: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Login {
        let account = try XCTUnwrap(accounts.account(named: user), "no user \(user)", file: file, line: line)
        let monitor = processes.spawn(
            "sshd", parent: sshd.pid, uid: 0, sid: sshd.sid, audit: auditSession,
            cgroup: scope ? FakeControlGroups.scopePath(uid: account.uid, number: Int(auditSession ?? 1)) : nil)
        send(SessionEvent(
            phase: .open, pid: monitor.pid, user: user, service: service, tty: "ssh", rhost: "192.0.2.7",
            overrides: overrides), from: monitor.pid)
        let id = try XCTUnwrap(daemon.registry.id(ofLeader: monitor.identity),
                               "the login was not registered: \(audit.text)", file: file, line: line)
        let child = processes.spawn(
            "sshd", parent: monitor.pid, uid: account.uid, sid: monitor.sid, reaction: reactions.sshd)
        if tty {
            let pty = terminals.openPTY(owner: account.uid)
            let shell = processes.spawn(
                "bash", parent: child.pid, uid: account.uid, tty: pty.number, reaction: reactions.shell)
            return Login(id: id, user: user, uid: account.uid, leader: monitor, processes: [child, shell],
                         device: pty.device)
        }
        let command = processes.spawn("sftp-server", parent: child.pid, uid: account.uid, reaction: reactions.shell)
        return Login(id: id, user: user, uid: account.uid, leader: monitor, processes: [child, command], device: nil)
    }

    /// `login -f USER` on a new pty: the root login process registers it with PAM_TTY naming the pty, and
    /// the user's shell runs below it.
    @discardableResult
    func consoleLogin(
        _ user: String, service: String = "login", reaction: FakeProcesses.Reaction = .exits,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Login {
        let account = try XCTUnwrap(accounts.account(named: user), "no user \(user)", file: file, line: line)
        let pty = terminals.openPTY(owner: 0)
        let login = processes.spawn("login", parent: 1, uid: 0, tty: pty.number)
        send(SessionEvent(phase: .open, pid: login.pid, user: user, service: service,
                          tty: String(pty.device.dropFirst(5))), from: login.pid)
        let id = try XCTUnwrap(daemon.registry.id(ofLeader: login.identity),
                               "the login was not registered: \(audit.text)", file: file, line: line)
        // login makes the terminal the user's after pam_open_session (shadow's chown_tty).
        terminals.chown(pty.device, to: account.uid)
        let shell = processes.spawn(
            "bash", parent: login.pid, uid: account.uid, sid: login.sid, tty: pty.number, reaction: reaction)
        return Login(id: id, user: user, uid: account.uid, leader: login, processes: [shell], device: pty.device)
    }

    /// A display manager's desktop on X display `display` (":0"): its root process registers the session with
    /// PAM_TTY naming the display, and the user's X client runs below it. What the display shows is
    /// `desktops.readings[display]`.
    @discardableResult
    func desktopLogin(_ user: String, display: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> Login
    {
        let account = try XCTUnwrap(accounts.account(named: user), "no user \(user)", file: file, line: line)
        let manager = processes.spawn("lightdm", parent: 1, uid: 0)
        send(SessionEvent(phase: .open, pid: manager.pid, user: user, service: "lightdm", tty: display),
             from: manager.pid)
        let id = try XCTUnwrap(daemon.registry.id(ofLeader: manager.identity),
                               "the login was not registered: \(audit.text)", file: file, line: line)
        let client = processes.spawn("xclock", parent: manager.pid, uid: account.uid)
        return Login(id: id, user: user, uid: account.uid, leader: manager, processes: [client], device: nil)
    }

    /// The user presses a key in the login's terminal.
    func type(in login: Login) {
        terminals.type(on: login.device!)
    }

    /// The login process closes the session (pam_close_session), then exits.
    func logout(_ login: Login) {
        for process in login.processes { processes.exit(process.pid) }
        closeFromPAM(login)
        leaderExits(login)
    }

    /// The login process calls pam_close_session.
    func closeFromPAM(_ login: Login) {
        send(SessionEvent(phase: .close, pid: login.leader.pid, user: login.user, service: "sshd"),
             from: login.leader.pid)
    }

    /// The leader exits; the event loop reports its handle readable.
    func leaderExits(_ login: Login) {
        let handles = handles.handles(of: login.leader.pid)
        processes.exit(login.leader.pid)
        for handle in handles { daemon.processExited(handle: handle) }
    }

    // MARK: Datagrams

    /// A datagram from `pid`, with the credentials the kernel attests (root unless `uid` says otherwise).
    @discardableResult
    func send(_ event: SessionEvent, from pid: Int32, uid: UInt32 = 0) -> ReplyChunk? {
        daemon.handle(Self.encoded(event), from: Sender(pid: pid, uid: uid, gid: uid, address: []))
    }

    static func encoded(_ event: SessionEvent) -> [UInt8] {
        do {
            // The module's own encoder: the daemon is driven with the bytes a real login sends; the fields only
            // an older module sent (start time, sid, uid) follow when a test sets them.
            var bytes = try SessionDatagram(
                phase: event.phase, pid: event.pid, user: Array(event.user.utf8), service: Array(event.service.utf8),
                tty: event.tty.map { Array($0.utf8) }, rhost: event.rhost.map { Array($0.utf8) },
                xdisplay: event.xdisplay.map { Array($0.utf8) }, xdgSessionID: event.xdgSessionID.map { Array($0.utf8) },
                xdgSessionType: event.xdgSessionType.map { Array($0.utf8) }, overrides: event.overrides.map { Array($0.utf8) }
            ).encoded()
            var older = DatagramWriter(kind: event.phase.kind)
            if let startTime = event.startTime { older.append(.startTime, integer: startTime) }
            if let sid = event.sid { older.append(.sid, integer: UInt64(UInt32(bitPattern: sid))) }
            if let uid = event.uid { older.append(.uid, integer: UInt64(uid)) }
            bytes += older.bytes.dropFirst(Datagram.magic.count + 2)
            return bytes
        } catch {
            XCTFail("cannot encode \(event): \(error)")
            return []
        }
    }

    /// A control request from process `pid` of `uid`, the reply chunks fetched and joined as the client does.
    func request(_ action: ControlRequest.Action, uid: UInt32 = 0, pid: Int32 = 4242) throws -> ControlReply {
        let requestID = nextRequestID
        nextRequestID += 1
        let sender = Sender(pid: pid, uid: uid, gid: uid, address: [])
        var payload: [UInt8] = []
        var index: UInt16 = 0
        while true {
            let bytes = try ControlRequest(requestID: requestID, action: action, chunk: index).encoded()
            let chunk = try XCTUnwrap(daemon.handle(bytes, from: sender), "no reply to \(action) chunk \(index)")
            XCTAssertEqual(chunk.requestID, requestID)
            payload += chunk.payload
            if chunk.isFinal { break }
            index += 1
        }
        return try JSONDecoder().decode(ControlReply.self, from: Data(payload))
    }

    /// `idlewarden inhibit` started by the user of `login` in its shell (or below `parent`, as `uid`): the
    /// `idlewarden` process, which the kernel names as the sender, and the daemon's reply.
    func inhibit(
        in login: Login, why: String? = nil, session: String? = nil, parent: Int32? = nil, uid: UInt32? = nil
    ) throws -> (process: ProcessRecord, reply: ControlReply) {
        let shell = login.processes.last!
        let process = processes.spawn(
            "idlewarden", parent: parent ?? shell.pid, uid: uid ?? login.uid, sid: parent == nil ? shell.sid : nil)
        let reply = try request(.inhibit(why: why, sessionID: session), uid: uid ?? login.uid, pid: process.pid)
        return (process, reply)
    }

    /// A process exits; the event loop reports each handle on it readable.
    func exits(_ process: ProcessRecord) {
        let handles = handles.handles(of: process.pid)
        processes.exit(process.pid)
        for handle in handles { daemon.processExited(handle: handle) }
    }

    /// `idlewarden status` as `uid`.
    func status(uid: UInt32 = 0) throws -> [StatusEntry] {
        try request(.status, uid: uid).sessions
    }

    func status(of login: Login) throws -> StatusEntry? {
        try status().first { $0.id == login.id }
    }
}
