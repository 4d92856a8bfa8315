import XCTest
import IdleWardenWire

/// The words of a pam.d line, as the module reads them (its own) and forwards them (policy overrides).
final class ModuleArgumentTests: XCTestCase {
    func testEveryNameIsFoundAndNoOther() {
        for argument in ModuleArgument.allCases {
            XCTAssertEqual(ModuleArgument(name: "\(argument.name)".utf8), argument)
        }
        for name in ["", "debu", "debugx", "Debug", "socket=", "idle-timeout", "check_no_tty", "activity"] {
            XCTAssertNil(ModuleArgument(name: name.utf8), name)
        }
    }

    func testTheModuleForwardsExactlyThePolicyOverrides() {
        XCTAssertEqual(ModuleArgument.allCases.filter(\.isPolicyOverride).map { "\($0.name)" },
                       ["idle_timeout", "warn_before", "max_session", "signal_interval", "grace", "exempt"])
        XCTAssertEqual(ModuleArgument.allCases.filter { !$0.isPolicyOverride }.map { "\($0.name)" },
                       ["debug", "require_daemon", "socket"])
        XCTAssertEqual(ModuleArgument.allCases.filter(\.takesValue).map { "\($0.name)" },
                       ["socket", "idle_timeout", "warn_before", "max_session", "signal_interval", "grace"])
    }
}
