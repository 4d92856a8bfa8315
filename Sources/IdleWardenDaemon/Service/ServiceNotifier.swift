import IdleWardenClient

#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd how the service is doing, with the sd_notify(3) protocol and without libsystemd: one datagram
/// of `KEY=VALUE` lines to the socket systemd named in NOTIFY_SOCKET (a path, or `@name` in the abstract
/// namespace). With `Type=notify` systemd counts the service as started only on READY=1, so `systemctl start`
/// and `restart` wait for the config and the sockets, and fail when the daemon exits before. Without
/// NOTIFY_SOCKET (started by hand or by the init script) it sends nothing.
public final class ServiceNotifier {
    private let address: UnixSocketAddress
    private let socket: Int32

    /// The notifier systemd asked for, or nil. NOTIFY_SOCKET is taken out of the environment, so that the
    /// processes the daemon starts (busctl, desktop notices) cannot speak for it.
    public static func fromEnvironment() -> ServiceNotifier? {
        guard let value = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }) else { return nil }
        unsetenv("NOTIFY_SOCKET")
        return ServiceNotifier(socketAddress: value)
    }

    /// Nil when `socketAddress` is not an address or no socket can be made.
    public init?(socketAddress: String) {
        guard let address = UnixSocketAddress(systemdAddress: socketAddress) else { return nil }
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        self.address = address
        self.socket = socket
    }

    deinit {
        close(socket)
    }

    /// Started, or done reloading: the config is read and the sockets answer.
    public func ready(status: String) {
        send(["READY=1", "STATUS=" + status])
    }

    /// A reload begins; systemd's reload job waits for the READY=1 that ends it. MONOTONIC_USEC is when it began
    /// (CLOCK_MONOTONIC), which systemd 253 and later match against its own reload request.
    public func reloading(monotonicMicroseconds: UInt64) {
        send(["RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds)"])
    }

    public func stopping() {
        send(["STOPPING=1", "STATUS=Stopping"])
    }

    /// A line for `systemctl status` (Status:), e.g. why the daemon did not start.
    public func status(_ text: String) {
        send(["STATUS=" + text])
    }

    /// One datagram, never blocking; a failure changes nothing (systemd then times the start out and says so).
    @discardableResult
    func send(_ lines: [String]) -> Bool {
        let bytes = Array(lines.map { $0.replacingNewlines() }.joined(separator: "\n").utf8)
        let sent = address.withSockaddr { pointer, length in
            bytes.withUnsafeBytes { raw in
                sendto(socket, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), pointer, length)
            }
        }
        return sent == bytes.count
    }
}

private extension String {
    /// A value is one line: a newline in it would start another assignment.
    func replacingNewlines() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\n" ? " " : $0 }))
    }
}
