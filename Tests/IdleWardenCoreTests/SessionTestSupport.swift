@testable import IdleWardenCore

extension TerminalStamp {
    /// A terminal last read and written at `seconds` (whole seconds, as a read stores them), whose inode last
    /// changed a while before (to the nanosecond, as chmod or its creation stored it).
    static func read(at seconds: Int64, owner: UInt32 = 1001) -> TerminalStamp {
        TerminalStamp(
            access: FileTime(seconds: seconds), modification: FileTime(seconds: seconds),
            change: FileTime(seconds: seconds - 500, nanoseconds: 123_456_789), owner: owner)
    }
}

extension Session {
    /// Takes what the session's first terminal shows now as the baseline of the next look, as the search that
    /// found it does (after the first searches: nothing counts).
    mutating func watchFirstTerminal(_ stamp: TerminalStamp) {
        watchedTerminals = [WatchedTerminal(path: terminals[0], stamp: stamp)]
    }

    /// A key press whose read stored `atimeSeconds` on the session's first terminal (its inode unchanged), looked
    /// at then (or at `now`). Returns whether it counted as new input.
    @discardableResult
    mutating func observeRead(atimeSeconds: Int64, now: Instant? = nil) -> Bool {
        let path = terminals[0]
        if watchedTerminals.isEmpty { watchFirstTerminal(.read(at: openedAt.seconds - 1000)) }
        var stamp = watchedTerminals.first { $0.path == path }!.stamp
        stamp.access = FileTime(seconds: atimeSeconds)
        return look(at: [path: stamp], now: now ?? Instant(seconds: atimeSeconds)).input
    }
}
