import XCTest

@testable import IdleWardenCore

/// logind's own idle logout, StopIdleSessionSec=, as systemd reads logind.conf and its drop-ins.
final class LogindIdleStopTests: XCTestCase {
    func testSetInTheMainFile() {
        let found = LogindIdleStop.effective(in: [
            ("/etc/systemd/logind.conf", "[Login]\n#StopIdleSessionSec=infinity\nKillUserProcesses=no\nStopIdleSessionSec=30\n"),
        ])
        XCTAssertEqual(found, LogindIdleStop(
            value: "30", location: SourceLocation(file: "/etc/systemd/logind.conf", line: 4, column: 1)))
    }

    /// The last assignment wins: a drop-in that turns it off, or sets another value; other sections do not count.
    func testLastAssignmentWins() {
        let main = ("/etc/systemd/logind.conf", "[Login]\nStopIdleSessionSec=15min\n")
        XCTAssertNil(LogindIdleStop.effective(in: [main, ("/etc/systemd/logind.conf.d/off.conf", "[Login]\nStopIdleSessionSec=infinity\n")]))
        XCTAssertNil(LogindIdleStop.effective(in: [main, ("/etc/systemd/logind.conf.d/off.conf", "[Login]\nStopIdleSessionSec=\n")]))
        XCTAssertNil(LogindIdleStop.effective(in: [main, ("/etc/systemd/logind.conf.d/off.conf", "[Login]\n StopIdleSessionSec = 0s \n")]))
        XCTAssertEqual(LogindIdleStop.effective(in: [
            ("/etc/systemd/logind.conf", "[Login]\n"), ("/run/systemd/logind.conf.d/a.conf", "[Login]\nStopIdleSessionSec = 1h\n"),
            ("/etc/systemd/logind.conf.d/b.conf", "[Other]\nStopIdleSessionSec=infinity\n"),
        ])?.value, "1h")
        XCTAssertNil(LogindIdleStop.effective(in: [("/etc/systemd/logind.conf", "# StopIdleSessionSec=30\n; StopIdleSessionSec=30\n")]))
    }

    /// systemd's order: the main file, then drop-ins by file name across directories, /etc hiding the same name
    /// elsewhere; only *.conf.
    func testFileOrder() {
        XCTAssertEqual(
            LogindIdleStop.files(main: "/etc/systemd/logind.conf", dropIns: [
                ("/etc/systemd/logind.conf.d", ["50-site.conf", "README", "10-off.conf"]),
                ("/run/systemd/logind.conf.d", ["50-site.conf", "20-run.conf"]),
                ("/usr/lib/systemd/logind.conf.d", ["90-vendor.conf", ".hidden.conf"]),
            ]),
            ["/etc/systemd/logind.conf", "/etc/systemd/logind.conf.d/10-off.conf", "/run/systemd/logind.conf.d/20-run.conf",
             "/etc/systemd/logind.conf.d/50-site.conf", "/usr/lib/systemd/logind.conf.d/90-vendor.conf"])
    }

    func testWarningNamesTheFileAndTheAdvice() {
        let setting = LogindIdleStop(value: "30", location: SourceLocation(file: "/etc/systemd/logind.conf.d/x.conf", line: 2, column: 1))
        let text = ConfigWarning.logindIdleStop(setting).description
        XCTAssertTrue(text.hasPrefix("/etc/systemd/logind.conf.d/x.conf:2:1: StopIdleSessionSec: systemd-logind ends idle sessions itself (StopIdleSessionSec=30)"), text)
        XCTAssertTrue(text.contains("StopIdleSessionSec=infinity"), text)
    }
}
