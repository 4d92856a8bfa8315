/// What one look at a session's terminals showed (see `Session.look`).
public struct TerminalLook: Equatable, Sendable {
    /// A forged time on one terminal, and what was seen, for the `event=forged-input` audit line.
    public struct Forgery: Equatable, Sendable {
        public var terminal: String
        public var reason: InputForgery
        public var seen: TerminalStamp
    }

    /// Input counted, and it moved the session's last input.
    public var input = false
    public var forgeries: [Forgery] = []
    /// Terminals that are gone or whose inode changed (a pty closed and made again at the same path looks like
    /// this): whether they still belong to the session is for a new search to tell.
    public var unsettled: [String] = []

    public init() {}
}

extension Session {
    /// Judges the session's terminals as they are now (`stamps`: every one that still exists) against the previous
    /// look, and takes what they show as the baseline for the next. Input on any of them moves the last input and
    /// cancels an idle warning.
    @discardableResult
    public mutating func look(at stamps: [String: TerminalStamp], now: Instant) -> TerminalLook {
        var result = TerminalLook()
        let countOutput = limits.activity == .inputAndOutput
        var watched = watchedTerminals
        var latest: Instant?
        for path in terminals {
            guard let stamp = stamps[path] else {
                watched.removeAll { $0.path == path }
                result.unsettled.append(path)
                continue
            }
            let index = watched.firstIndex { $0.path == path }
            let evidence = TerminalInput.judge(
                stamp, since: index.map { watched[$0].stamp }, now: now, countOutput: countOutput)
            var record = index.map { watched[$0] } ?? WatchedTerminal(path: path, stamp: stamp)
            record.stamp = stamp
            switch evidence {
            case .unchanged:
                break
            case .firstSight:
                if let moment = firstSightInput(stamp, now: now) {
                    record.lastInput = moment
                    latest = max(latest ?? moment, moment)
                }
            case .input(let moment):
                record.lastInput = max(record.lastInput ?? moment, moment)
                latest = max(latest ?? moment, moment)
            case .inodeChanged:
                result.unsettled.append(path)
            case .forged(let reason):
                result.forgeries.append(TerminalLook.Forgery(terminal: path, reason: reason, seen: stamp))
                result.unsettled.append(path)
            }
            if let index { watched[index] = record } else { watched.append(record) }
        }
        watchedTerminals = watched
        if let latest, latest > lastInput {
            lastInput = latest
            if warning?.reason == .idle { warning = nil }
            result.input = true
        }
        return result
    }

    /// The input a look would count on this session's terminals now, without taking it as seen: for
    /// `scope = "user"`, where another session of the user reads them. Includes input counted at earlier looks.
    public func terminalInput(at stamps: [String: TerminalStamp], now: Instant) -> Instant? {
        var copy = self
        copy.look(at: stamps, now: now)
        return copy.watchedTerminals.compactMap(\.lastInput).max()
    }

    /// Sets the session's terminals to those a search found (with what each shows now): a new one is seen for the
    /// first time, one no longer found is forgotten. Returns whether the list changed.
    @discardableResult
    public mutating func setTerminals(_ found: [String: TerminalStamp], now: Instant) -> Bool {
        var watched = watchedTerminals.filter { found[$0.path] != nil }
        var latest: Instant?
        for (path, stamp) in found where !watched.contains(where: { $0.path == path }) {
            let input = firstSightInput(stamp, now: now)
            watched.append(WatchedTerminal(path: path, stamp: stamp, lastInput: input))
            if let input { latest = max(latest ?? input, input) }
        }
        watchedTerminals = watched.sorted { $0.path < $1.path }
        if let latest, latest > lastInput {
            lastInput = latest
            if warning?.reason == .idle { warning = nil }
        }
        let paths = found.keys.sorted()
        defer { terminals = paths }
        return paths != terminals
    }

    /// Input a terminal seen for the first time may hide: a read in the 8-second bucket of its access time does
    /// not move it, so after the look that takes it as the baseline, input until the end of that bucket would
    /// never show. For the terminals a login comes with (found by the first searches, while `terminalDiscovery`
    /// is pending) that end of the bucket counts as input when it is later than the open, so that typing in the
    /// first seconds of a login is never missed. Later, a terminal's first sight counts nothing: that credit, taken
    /// at every look, would let a user who opens a new pty before each look keep a session alive for ever.
    func firstSightInput(_ stamp: TerminalStamp, now: Instant) -> Instant? {
        guard terminalDiscovery != .settled else { return nil }
        let bound = TerminalInput.latestInput(at: stamp.access, now: now)
        return bound > openedAt ? bound : nil
    }

    /// After idlewarden's own notice was written (its modification time moved): where output counts, the new
    /// modification time is the baseline, so the notice is not taken for use.
    public mutating func absorbOwnOutput(_ stamps: [String: TerminalStamp]) {
        guard limits.activity == .inputAndOutput else { return }
        for index in watchedTerminals.indices {
            guard let stamp = stamps[watchedTerminals[index].path],
                  stamp.change == watchedTerminals[index].stamp.change
            else { continue }
            watchedTerminals[index].stamp.modification = stamp.modification
        }
    }
}
