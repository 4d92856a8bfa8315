import CPAM

/// Sends one datagram to the daemon's session socket without ever waiting: a full queue, a missing socket
/// or a stopped daemon is reported at once as an errno value.
enum Sender {
    /// The errno of the failure, or nil when the whole datagram was sent.
    static func send(_ datagram: [UInt8], to socket: CBytes) -> Int32? {
        let fd = cpam_socket_dgram()
        guard fd >= 0 else { return cpam_errno() }
        defer { close(fd) }
        var attempts = 0
        while true {
            let sent = datagram.withUnsafeBytes { bytes -> Int in
                cpam_sendto_unix(fd, bytes.baseAddress, bytes.count, socket.pointer, socket.count)
            }
            if sent >= 0 { return sent == datagram.count ? nil : EMSGSIZE }
            let error = cpam_errno()
            attempts &+= 1
            // A signal arriving during the call is the only reason to try again, and only briefly.
            guard error == EINTR, attempts < 3 else { return error }
        }
    }
}
