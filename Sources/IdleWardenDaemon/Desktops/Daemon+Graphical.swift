import IdleWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// What a due graphical session's display showed.
enum DisplayObservation: Equatable {
    /// Not a graphical session, or `graphical = false` for it.
    case notWatched
    /// The desktop (logind's hint or the X server) saw input since the last observation.
    case input
    case noInput
    /// The desktop could not be asked (server gone, no authority, timeout; no logind hint and no X display):
    /// neither idle nor active, until it has been so for the session's idle_timeout (see `UnobservableDisplay`).
    case unknown
}

/// The graphical-session hooks of the daemon's loop (see `DisplayWatch`): kept here so that `Daemon` only calls
/// them at the three places where a desktop differs from a terminal: reading activity, warning, forgetting.
extension Daemon {
    /// Reads a due graphical session's last input (`readDesktop`) and records it as input. A failed read is
    /// logged once per session (until a read succeeds again) and leaves the session's idle clock alone; the first
    /// of a run of failed reads is remembered (`unreadableSince`) for `holdsForUnknownDisplay`.
    /// Also takes back a desktop warning when input (here or on a terminal) cancelled it.
    func observeDisplay(
        _ entry: inout SessionRegistry.Entry, processes: ProcessSnapshot, now: Instant, warned: Bool
    ) -> DisplayObservation {
        guard entry.session.isDisplayChecked else { return .notWatched }
        let result: DisplayObservation
        switch readDesktop(&entry, processes: processes, now: now) {
        case .lastInput(let moment):
            result = entry.session.observeDisplayInput(at: moment) ? .input : .noInput
            entry.display.unreadableSince = nil
            entry.display.treatedAsIdleReported = false
            if entry.display.failureReported {
                entry.display.failureReported = false
                audit.record(AuditRecord("display", sessionFields(entry.session) + [
                    ("display", entry.session.facts.display), ("result", "reachable-again"),
                ]))
            }
        case .unknown(let reason):
            result = .unknown
            if entry.display.unreadableSince == nil { entry.display.unreadableSince = now }
            if !entry.display.failureReported {
                entry.display.failureReported = true
                audit.record(AuditRecord("display", sessionFields(entry.session) + [
                    ("display", entry.session.facts.display), ("result", "unknown"), ("reason", reason),
                    ("action", "kept-alive-retry"),
                ]), priority: LOG_WARNING)
            }
        }
        if warned && entry.session.warning == nil { displays.cancelNotice(&entry.display) }
        return result
    }

    /// Where systemd-logind runs, its idle hint for the session, which the desktop keeps (Wayland and X alike);
    /// when logind has no usable hint, the X server's idle time for an X session, else unknown. Whether logind
    /// answers is logged when it changes for a session (`event=display result=logind` or `logind-fallback`).
    func readDesktop(
        _ entry: inout SessionRegistry.Entry, processes: ProcessSnapshot, now: Instant
    ) -> DisplayWatch.Reading {
        let session = entry.session
        let hasX = session.facts.display != nil
        var fallbackReason = "logind is not running"
        if let answer = displays.logindActivity(of: session, state: &entry.logind) {
            let reason: String?
            switch answer {
            case .idleSince, .active: reason = nil
            case .unknown(let text): reason = text
            }
            if entry.logind.answered != (reason == nil) {
                entry.logind.answered = reason == nil
                audit.record(AuditRecord("display", sessionFields(session) + [
                    ("display", session.facts.display), ("result", reason == nil ? "logind" : "logind-fallback"),
                    ("logind_session", entry.logind.path), ("reason", reason),
                    ("fallback", reason == nil ? nil : hasX ? "x11" : "none"),
                ]))
            }
            switch answer {
            case .idleSince(let moment): return .lastInput(moment)
            case .active: return .lastInput(now)
            case .unknown(let text): fallbackReason = text
            }
        }
        guard hasX else { return .unknown("no X display to ask, and \(fallbackReason)") }
        return displays.read(session, state: &entry.display, table: { processes.table(of: session.leader) })
    }

    /// When the display is unknown, an idle warning or end is put off and the display asked again soon, until it
    /// has been unreadable for the session's idle_timeout: then the desktop is treated as idle (see
    /// `UnobservableDisplay`), which is audited once per run of failed reads (`event=display
    /// result=unobservable`), and the warning and the end take their course. `max_session` is never put off.
    func holdsForUnknownDisplay(_ observation: DisplayObservation, id: String, now: Instant) -> Bool {
        guard observation == .unknown, let entry = registry[id] else { return false }
        let session = entry.session
        switch session.verdict(now: now) {
        case .warn(_, .idle), .warnAgain(_, .idle), .lock, .terminate(.idle):
            let since = entry.display.unreadableSince ?? now
            let limit = session.limits.idleTimeout
            guard UnobservableDisplay.isTreatedAsIdle(unreadableSince: since, now: now, idleTimeout: limit) else {
                registry.schedule(id, at: now + UnobservableDisplay.retryDelay(unreadableFor: now - since, idleTimeout: limit))
                return true
            }
            if !entry.display.treatedAsIdleReported {
                registry.update(id) { $0.display.treatedAsIdleReported = true }
                audit.record(AuditRecord("display", sessionFields(session) + [
                    ("display", session.facts.display), ("result", "unobservable"),
                    ("unreadable_for", String((now - since).wholeSeconds)),
                    ("idle", String(session.idle(now: now).wholeSeconds)), ("action", "treated-as-idle"),
                ]), priority: LOG_WARNING)
            }
            return false
        default:
            return false
        }
    }

    /// Shows a warning on the session's desktop; returns the audit `desktop=` value (nil: not graphical).
    func warnDesktop(_ entry: inout SessionRegistry.Entry, text: String, deadline: Instant, now: Instant) -> String? {
        let session = entry.session
        guard session.facts.isGraphical else { return nil }
        let plain = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\r" && $0 != "\u{7}" }))
            .replacing("*** idlewarden: ", with: "").replacing(" ***", with: "")
            .replacing("Press any key", with: "Move the mouse or press a key")
        let body = String(plain.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        return displays.notify(
            session, state: &entry.display, title: "idlewarden", body: body,
            seconds: max(1, (deadline - now).wholeSeconds),
            table: { ProcessTable.session(of: session.leader, source: effects.processes) })
    }
}
