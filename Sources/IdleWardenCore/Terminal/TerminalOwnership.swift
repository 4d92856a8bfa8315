/// Which terminals count for a session, by their owner. A terminal found as the controlling terminal of the
/// session's processes counts only while the session's user owns it: sshd and login give the user the terminal
/// of their login, a pty the user opens (`script`, `tmux`, `expect`) is theirs from the start, and a pty that
/// was closed and made again for another user's login at the same path is not. The terminal PAM_TTY names counts
/// also while it has the owner it had when the session opened: `su` runs on its caller's terminal, and login
/// changes its terminal's owner only after the session opened.
public enum TerminalOwnership {
    public static func counts(owner: UInt32, isPAMTerminal: Bool, of session: Session) -> Bool {
        owner == session.facts.uid || (isPAMTerminal && owner == session.pamTerminalOwner)
    }
}
