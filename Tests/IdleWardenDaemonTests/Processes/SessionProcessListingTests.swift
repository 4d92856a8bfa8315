import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// A process tree from fixtures, counting what a listing reads.
private final class FixtureTree: ProcessTreeSource {
    var processes: [Int32: ProcessRecord] = [:]
    var auditIDs: [Int32: UInt32] = [:]
    var listsChildren = true
    var statReads: [Int32] = []
    var statusReads: [Int32] = []

    func add(_ pid: Int32, parent: Int32, sid: Int32, group: Int32? = nil, uid: UInt32, audit: UInt32? = nil) {
        processes[pid] = ProcessRecord(
            pid: pid, ppid: parent, processGroup: group ?? pid, sid: sid, ttyNumber: 0, startTime: UInt64(pid),
            realUID: uid)
        auditIDs[pid] = audit ?? SessionMembers.unsetAuditSession
    }

    func stat(_ pid: Int32) -> ProcessRecord? {
        statReads.append(pid)
        guard var record = processes[pid] else { return nil }
        record.realUID = UInt32.max
        return record
    }

    func children(of process: ProcessRecord) -> [Int32] {
        processes.values.filter { $0.ppid == process.pid }.map(\.pid).sorted()
    }

    func realUID(_ pid: Int32) -> UInt32? {
        statusReads.append(pid)
        return processes[pid]?.realUID
    }

    func auditSessionID(_ pid: Int32) -> UInt32? { auditIDs[pid] }

    func ignoresHangup(_ pid: Int32) -> Bool { false }

    func pidNamespace(_ pid: Int32) -> PIDNamespace { processes[pid]?.pidNamespace ?? .unknown }

    func liveness(of identity: ProcessIdentity) -> ProcessLiveness {
        processes[identity.pid]?.startTime == identity.startTime ? .alive : .gone
    }

    func all() -> [ProcessRecord] { Array(processes.values) }

    /// The full listing of the same processes, whose answers the session listing must give.
    var full: ProcessTable { ProcessTable(records: all()) }

    /// The processes an end of the session led by `leader` (registered by its login process) reaches.
    func ending(_ leader: Int32, uid: UInt32, end: EndMode = .session) -> [Int32] {
        let identity = ProcessIdentity(pid: leader, startTime: UInt64(leader))
        let session = Session(
            id: "1", facts: SessionFacts(user: "u", uid: uid, groups: [], service: "sshd"), leader: identity,
            sid: processes[leader]?.sid ?? leader, openedAt: Instant(seconds: 0), limits: Limits(end: end))
        var members = SessionMembers(session: session, processes: self, cgroups: NoControlGroups())
        return pids(members.list(known: [], processes: self, cgroups: NoControlGroups()))
    }

    /// Two ssh logins below one sshd, with background jobs and a tmux server reparented to init, an `su` inside
    /// the second login (which shares its audit session), and an unrelated daemon with a child.
    static func twoLogins() -> FixtureTree {
        let tree = FixtureTree()
        tree.add(1, parent: 0, sid: 1, uid: 0)
        tree.add(100, parent: 1, sid: 100, uid: 0)
        // Login A: sshd monitor 200 (audit 7), its user process 201 (new sid), bash 202, a job 203 left to init
        // with a child 204, a tmux server 210 (own sid, same audit session) with a pane 211.
        tree.add(200, parent: 100, sid: 100, uid: 0, audit: 7)
        tree.add(201, parent: 200, sid: 201, uid: 1000, audit: 7)
        tree.add(202, parent: 201, sid: 201, group: 201, uid: 1000, audit: 7)
        tree.add(203, parent: 1, sid: 201, uid: 1000, audit: 7)
        tree.add(204, parent: 203, sid: 201, group: 203, uid: 1000, audit: 7)
        tree.add(210, parent: 1, sid: 210, uid: 1000, audit: 7)
        tree.add(211, parent: 210, sid: 211, uid: 1000, audit: 7)
        // Login B (audit 8), then `su -l other` in it: leader 400 shares audit 8 and sid 301.
        tree.add(300, parent: 100, sid: 100, uid: 0, audit: 8)
        tree.add(301, parent: 300, sid: 301, uid: 1001, audit: 8)
        tree.add(302, parent: 301, sid: 301, uid: 1001, audit: 8)
        tree.add(303, parent: 1, sid: 301, uid: 1001, audit: 8)
        tree.add(400, parent: 302, sid: 301, group: 400, uid: 0, audit: 8)
        tree.add(401, parent: 400, sid: 401, uid: 1002, audit: 8)
        tree.add(402, parent: 401, sid: 401, uid: 1002, audit: 8)
        // An unrelated daemon.
        tree.add(500, parent: 1, sid: 500, uid: 0)
        tree.add(501, parent: 500, sid: 500, uid: 0)
        return tree
    }
}

private func pids(_ records: [ProcessRecord]) -> [Int32] { records.map(\.pid).sorted() }

/// A host without logind scopes.
private struct NoControlGroups: ControlGroups {
    func scope(of pid: Int32) -> LoginScope? { nil }
    func members(of scope: LoginScope) -> [Int32]? { nil }
    func contains(_ scope: LoginScope, pid: Int32) -> Bool { false }
    func canFreeze(_ scope: LoginScope) -> Bool { false }
    func setFrozen(_ frozen: Bool, _ scope: LoginScope) -> Bool { false }
    func isFrozen(_ scope: LoginScope) -> Bool { false }
}

final class SessionProcessListingTests: XCTestCase {
    func testSessionListingAnswersAsTheFullListing() {
        let tree = FixtureTree.twoLogins()
        let full = tree.full
        for leaderPID in [200, 300, 400] as [Int32] {
            let leader = ProcessIdentity(pid: leaderPID, startTime: UInt64(leaderPID))
            let table = ProcessTable.session(of: leader, source: tree)
            for includingLeader in [false, true] {
                XCTAssertEqual(
                    pids(table.members(of: leader, includingLeader: includingLeader)),
                    pids(full.members(of: leader, includingLeader: includingLeader)),
                    "members of \(leaderPID), including leader: \(includingLeader)")
            }
        }
    }

    func testFindsOrphansOfTheLoginOnly() {
        let tree = FixtureTree.twoLogins()
        let leader = ProcessIdentity(pid: 200, startTime: 200)
        let table = ProcessTable.session(of: leader, source: tree)
        XCTAssertEqual(pids(table.members(of: leader)), [201, 202, 203, 204])
        XCTAssertEqual(table.records[201]?.realUID, 1000, "the real uid of kept processes is read")
        let su = ProcessIdentity(pid: 400, startTime: 400)
        XCTAssertEqual(pids(ProcessTable.session(of: su, source: tree).members(of: su)), [401, 402])
    }

    /// An end reaches the login's audit session too (the tmux server 210 and its pane left the tree), or, with
    /// end = "leader", only the login shell's process group.
    func testEndReachesTheOwnAuditSessionOrTheLoginGroup() {
        let tree = FixtureTree.twoLogins()
        XCTAssertEqual(tree.ending(200, uid: 1000), [201, 202, 203, 204, 210, 211])
        XCTAssertEqual(tree.ending(200, uid: 1000, end: .leader), [201, 202])
    }

    /// `su -l` inside login B shares B's audit session (su has no pam_loginuid): its end reaches what runs below
    /// it, never the caller's shell, its job left to init, or the rest of login B.
    func testSuSharingItsCallersAuditSessionReachesOnlyItsOwnTree() {
        let tree = FixtureTree.twoLogins()
        XCTAssertEqual(tree.ending(400, uid: 1002), [401, 402])
        // su to the caller's own user (same uid): still nothing of the caller's.
        tree.processes[401]?.realUID = 1001
        tree.processes[402]?.realUID = 1001
        XCTAssertEqual(tree.ending(400, uid: 1001), [401, 402])
    }

    /// A login process whose audit session is its caller's, but whose child got a new one (the login program set
    /// the loginuid in the child it forked): that child's audit session is the login's own.
    func testAuditSessionEstablishedByTheLeadersChildCounts() {
        let tree = FixtureTree()
        tree.add(1, parent: 0, sid: 1, uid: 0)
        tree.add(100, parent: 1, sid: 100, uid: 0)
        tree.add(200, parent: 100, sid: 100, uid: 0)
        tree.add(201, parent: 200, sid: 201, uid: 1000, audit: 9)
        tree.add(210, parent: 1, sid: 210, uid: 1000, audit: 9)
        tree.add(300, parent: 1, sid: 300, uid: 1000, audit: 4)
        XCTAssertEqual(tree.ending(200, uid: 1000), [201, 210])
    }

    /// Without children files the end's listing reads the full listing's parent links, with the same result.
    func testEndListingWithoutChildrenFiles() {
        let tree = FixtureTree.twoLogins()
        let expected = [(200, 1000), (300, 1001), (400, 1002)].map { tree.ending($0.0, uid: $0.1) }
        tree.listsChildren = false
        XCTAssertEqual([(200, 1000), (300, 1001), (400, 1002)].map { tree.ending($0.0, uid: $0.1) }, expected)
    }

    func testReadsOnlyTheSessionAndTheChildrenOfInit() {
        let tree = FixtureTree.twoLogins()
        let leader = ProcessIdentity(pid: 300, startTime: 300)
        let table = ProcessTable.session(of: leader, source: tree)
        XCTAssertEqual(Set(tree.statReads), [300, 301, 302, 400, 401, 402, 1, 100, 203, 210, 303, 500],
                       "login A's processes below sshd and the daemon's child are never read")
        XCTAssertEqual(tree.statReads.count, Set(tree.statReads).count, "every process is read once")
        XCTAssertEqual(Set(tree.statusReads), Set(table.records.keys), "status only for the processes kept")
        XCTAssertEqual(Set(table.records.keys), [300, 301, 302, 303, 400, 401, 402])
    }

    func testNoOrphanSearchWithoutOwnedSessions() {
        let tree = FixtureTree()
        tree.add(1, parent: 0, sid: 1, uid: 0)
        tree.add(10, parent: 1, sid: 10, uid: 1000)
        tree.add(11, parent: 10, sid: 10, uid: 0)
        tree.add(12, parent: 11, sid: 10, uid: 1001)
        let leader = ProcessIdentity(pid: 11, startTime: 11)
        let table = ProcessTable.session(of: leader, source: tree)
        XCTAssertEqual(pids(table.members(of: leader)), [12])
        XCTAssertFalse(tree.statReads.contains(1), "init's children are looked at only for an owned sid")
    }

    func testLeaderGoneOrReused() {
        let tree = FixtureTree.twoLogins()
        let reused = ProcessIdentity(pid: 200, startTime: 1)
        XCTAssertEqual(ProcessTable.session(of: reused, source: tree).records, [:])
        let gone = ProcessIdentity(pid: 999, startTime: 999)
        XCTAssertEqual(ProcessTable.session(of: gone, source: tree).records, [:])
    }

    func testWithoutChildrenFilesFallsBackToTheFullListing() {
        let tree = FixtureTree.twoLogins()
        tree.listsChildren = false
        let leader = ProcessIdentity(pid: 200, startTime: 200)
        let table = ProcessTable.session(of: leader, source: tree)
        XCTAssertEqual(table.records.count, tree.processes.count)
        XCTAssertEqual(pids(table.members(of: leader)), [201, 202, 203, 204])
    }
}
