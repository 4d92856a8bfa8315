/// What the kernel records on a terminal device, as stat(2) reads it. A read of the terminal (input) moves the
/// access time, a write (output) the modification time, both in whole seconds and only when the time leaves its
/// 8-second bucket; neither touches the change time. utimensat (`touch`) writes any access and modification time
/// its caller likes, but always moves the change time to now, as chmod and chown (`mesg`, login) do: the owner of
/// a terminal can forge its access time, never its change time.
public struct TerminalStamp: Equatable, Sendable, Codable {
    /// atime: last read.
    public var access: FileTime
    /// mtime: last write.
    public var modification: FileTime
    /// ctime: last change of the inode (times set, mode, owner), or its creation.
    public var change: FileTime
    /// st_uid.
    public var owner: UInt32

    public init(access: FileTime, modification: FileTime, change: FileTime, owner: UInt32) {
        self.access = access
        self.modification = modification
        self.change = change
        self.owner = owner
    }

    /// A new inode: all three times are its creation time (a new pty, or `touch` setting both times to now).
    var isFresh: Bool { access == change && modification == change }
}
