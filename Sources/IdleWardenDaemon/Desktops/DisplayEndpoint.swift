/// Where a graphical session's desktop can be reached, found in the environments of the session's own
/// processes (/proc/PID/environ of members owned by the user): the X authority file for its display, and the
/// user's session bus for notifications. A Wayland session has no X display, only the bus.
public struct DisplayEndpoint: Equatable, Sendable {
    public var display: String?
    public var xauthority: String?
    public var dbusAddress: String?
    public var home: String?

    /// The endpoint for `display` from environments (NUL-separated `KEY=value` blocks), first match wins: an
    /// environment whose DISPLAY is this display, else any environment (the session's first processes, such as a
    /// display manager's session wrapper, may not have DISPLAY set yet while they already have XAUTHORITY).
    public static func find(display: String?, environments: [[UInt8]]) -> DisplayEndpoint {
        var endpoint = DisplayEndpoint(display: display)
        let parsed = environments.map(parse)
        let matching = display.map { display in parsed.filter { $0["DISPLAY"] == display } } ?? []
        for environment in matching + parsed {
            if endpoint.xauthority == nil, let value = environment["XAUTHORITY"], value.hasPrefix("/") {
                endpoint.xauthority = value
            }
            if endpoint.dbusAddress == nil, let value = environment["DBUS_SESSION_BUS_ADDRESS"], !value.isEmpty {
                endpoint.dbusAddress = value
            }
            if endpoint.home == nil, let value = environment["HOME"], value.hasPrefix("/") { endpoint.home = value }
        }
        return endpoint
    }

    /// Where Xlib looks when no environment names the authority file: `$HOME/.Xauthority`. xrdp's sesman writes
    /// the cookie there without exporting XAUTHORITY, and its session may not export HOME either: `accountHome`
    /// is the user's home from the password database. Only a display's endpoint gets it.
    public mutating func fillXlibDefaults(accountHome: String?) {
        if home == nil, let accountHome, accountHome.hasPrefix("/") { home = accountHome }
        guard display != nil, xauthority == nil, let home else { return }
        xauthority = (home.hasSuffix("/") ? home : home + "/") + ".Xauthority"
    }

    /// The environment a program run as `user` on this desktop gets (the warning, a locker): a plain PATH and
    /// locale, the user's identity, and the display, authority and session bus found here.
    func environment(user: String) -> [String] {
        var environment = [
            "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8", "HOME=\(home ?? "/")", "USER=\(user)",
            "LOGNAME=\(user)",
        ]
        if let display { environment.append("DISPLAY=\(display)") }
        if let xauthority { environment.append("XAUTHORITY=\(xauthority)") }
        if let dbusAddress { environment.append("DBUS_SESSION_BUS_ADDRESS=\(dbusAddress)") }
        return environment
    }

    static func parse(_ block: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for entry in block.split(separator: 0) {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: entry[entry.startIndex..<equals], as: UTF8.self)
            if result[key] == nil {
                result[key] = String(decoding: entry[(equals + 1)...], as: UTF8.self)
            }
        }
        return result
    }
}
