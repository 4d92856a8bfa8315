import CPAM

/// Hands one record to the daemon's session socket (`cpam_deliver`: a connection of its own in the listener's
/// backlog, explicit credentials) without ever waiting: a missing socket, a stopped daemon or a full backlog is
/// reported at once as an errno value.
enum Delivery {
    /// The errno of the failure, or nil when the daemon's listener holds the whole record.
    static func deliver(_ record: [UInt8], to socket: CBytes) -> Int32? {
        let error = record.withUnsafeBytes { bytes in
            cpam_deliver(socket.pointer, socket.count, bytes.baseAddress, bytes.count)
        }
        return error == 0 ? nil : error
    }
}
