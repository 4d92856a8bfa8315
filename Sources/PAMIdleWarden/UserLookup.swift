import CPAM

/// The uid of a user name, through NSS (getpwnam_r: reentrant, no static buffer shared with the host).
enum UserLookup {
    enum Result {
        case found(UInt32)
        case notFound
        case failed(Int32)
    }

    static func uid(of user: CBytes) -> Result {
        var size = 4096
        let largest = 1 << 20
        while true {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            let status = getpwnam_r(user.pointer, &entry, buffer, size, &result)
            if status == ERANGE, size < largest {
                size = size &* 2
                continue
            }
            if status == 0 { return result == nil ? .notFound : .found(entry.pw_uid) }
            // getpwnam(3): besides 0 with a NULL result, these codes also mean "no such user".
            if status == ENOENT || status == ESRCH || status == EBADF || status == EPERM { return .notFound }
            return .failed(status)
        }
    }
}
