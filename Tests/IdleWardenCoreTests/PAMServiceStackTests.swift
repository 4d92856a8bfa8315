import XCTest

@testable import IdleWardenCore

/// Whether a service's session stack runs pam_idlewarden.so, following includes as libpam does.
final class PAMServiceStackTests: XCTestCase {
    private func find(_ service: String, _ files: [String: String]) -> PAMServiceStack.Found? {
        PAMServiceStack.findSessionModule("pam_idlewarden.so", service: service, read: { files[$0] })
    }

    /// Debian's sshd: `@include common-session`, which pam-auth-update wrote with the module.
    func testFoundThroughAtInclude() {
        let files = [
            "/etc/pam.d/sshd": "@include common-auth\nsession    required     pam_loginuid.so\n@include common-session\n",
            "/etc/pam.d/common-session": "session\trequired\tpam_unix.so \nsession\toptional\tpam_systemd.so \n"
                + "session\toptional\tpam_idlewarden.so idle_timeout=30m  # per service\n",
        ]
        XCTAssertEqual(find("sshd", files), PAMServiceStack.Found(
            file: "/etc/pam.d/common-session", line: 3, arguments: ["idle_timeout=30m"]))
    }

    /// su-l → `session include su` → `@include common-session`; and a `substack`, and an absolute module path.
    func testFoundThroughIncludeSubstackAndAbsolutePath() {
        let files = [
            "/etc/pam.d/su-l": "auth include su\nsession optional pam_keyinit.so force revoke\nsession include su\n",
            "/etc/pam.d/su": "session required pam_env.so readenv=1\n@include common-session\n",
            "/etc/pam.d/common-session": "session optional pam_idlewarden.so\n",
            "/etc/pam.d/gdm": "session [success=ok default=bad] pam_selinux.so open\nsession substack /etc/pam.d/gdm-s\n",
            "/etc/pam.d/gdm-s": "-session optional /lib/x86_64-linux-gnu/security/pam_idlewarden.so exempt\n",
        ]
        XCTAssertEqual(find("su-l", files)?.file, "/etc/pam.d/common-session")
        XCTAssertEqual(find("gdm", files), PAMServiceStack.Found(file: "/etc/pam.d/gdm-s", line: 1, arguments: ["exempt"]))
    }

    /// The module on other lines than session ones, in a comment, in another module's name, or in a file the
    /// service does not include: not found.
    func testNotFoundWhereItDoesNotRunAtSessionTime() {
        let files = [
            "/etc/pam.d/cron": "@include common-auth\nsession required pam_env.so\n@include common-session-noninteractive\n",
            "/etc/pam.d/common-session-noninteractive": "session required pam_unix.so\n# session optional pam_idlewarden.so\n",
            "/etc/pam.d/common-session": "session optional pam_idlewarden.so\n",
            "/etc/pam.d/odd": "auth optional pam_idlewarden.so\naccount include common-session\n"
                + "session optional pam_idlewarden.so.bak\nsession optional my_pam_idlewarden.so\n",
        ]
        XCTAssertNil(find("cron", files))
        XCTAssertNil(find("odd", files))
        XCTAssertNil(find("missing", [:]))
    }

    /// A service without a file of its own is read from `other`, as libpam does.
    func testMissingServiceFallsBackToOther() {
        XCTAssertEqual(find("nosuch", ["/etc/pam.d/other": "session optional pam_idlewarden.so\n"])?.file,
                       "/etc/pam.d/other")
    }

    /// Service names logind reports are names, not paths; include loops end.
    func testPathsAndLoopsAreRefused() {
        let files = [
            "/etc/pam.d/a": "@include b\n", "/etc/pam.d/b": "session include a\n",
            "/etc/shadow-like": "session optional pam_idlewarden.so\n",
            "/etc/pam.d/c": "@include ../shadow-like\n",
        ]
        XCTAssertNil(find("a", files))
        XCTAssertNil(find("../shadow-like", files))
        XCTAssertNil(find("c", files), "an include of ../ is not followed")
        XCTAssertNil(find("", files))
        XCTAssertNil(find(".", files))
    }

    /// Continuation lines and bracketed controls with blanks are one line each.
    func testContinuationsAndBracketedControls() {
        let files = [
            "/etc/pam.d/x": "session [success=ok ignore=ignore default=bad] \\\n  pam_idlewarden.so \\\n  grace=5s\n",
        ]
        XCTAssertEqual(find("x", files), PAMServiceStack.Found(file: "/etc/pam.d/x", line: 1, arguments: ["grace=5s"]))
    }
}
