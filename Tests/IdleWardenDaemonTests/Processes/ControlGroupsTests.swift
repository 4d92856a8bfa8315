import IdleWardenCore
import XCTest
@testable import IdleWardenDaemon

/// Finding logind's session scopes: mountinfo of the three cgroup layouts, the scope naming, and this host.
final class ControlGroupsTests: XCTestCase {
    func testMountsOfAHybridLayout() {
        let mountinfo = """
            24 29 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
            25 24 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
            26 24 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
            27 24 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
            """
        let mounts = LiveControlGroups.parseMounts(mountinfo)
        XCTAssertEqual(mounts.unified, .init(point: "/sys/fs/cgroup/unified", root: "/"))
        XCTAssertEqual(mounts.named, .init(point: "/sys/fs/cgroup/systemd", root: "/"))
    }

    func testMountsOfTheUnifiedAndTheLegacyLayouts() {
        let unified = LiveControlGroups.parseMounts(
            "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate")
        XCTAssertEqual(unified.unified?.point, "/sys/fs/cgroup")
        XCTAssertNil(unified.named)
        let legacy = LiveControlGroups.parseMounts("""
            26 24 0:24 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
            27 24 0:25 / /sys/fs/cgroup/cpu rw,nosuid - cgroup cgroup rw,cpu
            """)
        XCTAssertNil(legacy.unified)
        XCTAssertEqual(legacy.named?.point, "/sys/fs/cgroup/systemd")
        let escaped = LiveControlGroups.parseMounts("30 23 0:26 / /mnt/cgroup\\040two rw - cgroup2 cgroup2 rw")
        XCTAssertEqual(escaped.unified?.point, "/mnt/cgroup two")
    }

    func testMountWhoseRootIsNotTheHierarchysRoot() {
        let mount = LiveControlGroups.Mount(point: "/sys/fs/cgroup", root: "/machine.slice/c1")
        XCTAssertEqual(mount.directory(of: "/machine.slice/c1/user.slice/x"), "/sys/fs/cgroup/user.slice/x")
        XCTAssertNil(mount.directory(of: "/system.slice/ssh.service"))
        XCTAssertEqual(LiveControlGroups.Mount(point: "/sys/fs/cgroup", root: "/").directory(of: "/a"), "/sys/fs/cgroup/a")
    }

    func testOnlySessionScopesOfAUserSliceAreScopes() {
        XCTAssertEqual(LogindScope.parse(path: "/user.slice/user-1000.slice/session-3.scope")?.uid, 1000)
        XCTAssertEqual(LogindScope.parse(path: "/user.slice/user-0.slice/session-c12.scope")?.uid, 0)
        XCTAssertNil(LogindScope.parse(path: "/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope")?.uid)
        XCTAssertNil(LogindScope.parse(path: "/system.slice/ssh.service")?.uid)
        XCTAssertNil(LogindScope.parse(path: "/session-3.scope")?.uid)
        XCTAssertNil(LogindScope.parse(path: "/user.slice/user-x.slice/session-3.scope")?.uid)
        XCTAssertNil(LogindScope.parse(path: "/user.slice/user-1000.slice/session-.scope")?.uid)
        XCTAssertNil(LogindScope.parse(path: "/")?.uid)
    }

    /// This host runs no logind: no process is in a session scope, and nothing is frozen.
    func testHostWithoutLogindHasNoScopes() {
        let cgroups = LiveControlGroups()
        XCTAssertNil(cgroups.scope(of: getpid()))
        XCTAssertNil(cgroups.scope(of: 1))
    }
}
