@testable import IdleWardenDaemon

/// Users and their groups, as a test declares them.
final class FakeAccounts: AccountLookup {
    private var users: [String: (account: AccountDirectory.Account, groups: [String])] = [:]
    /// Names match whatever their case, as sssd and LDAP match them (`case_sensitive = false`).
    var foldsCase = false

    /// Adds a user whose primary group has the user's name; `groups` are its supplementary groups.
    func add(_ name: String, uid: UInt32, groups: [String] = []) {
        users[name] = (AccountDirectory.Account(name: name, uid: uid, primaryGID: uid), [name] + groups)
    }

    func account(named name: String) -> AccountDirectory.Account? {
        users[name]?.account ?? (foldsCase ? users.values.first { $0.account.name.lowercased() == name.lowercased() }?.account : nil)
    }

    func userName(uid: UInt32) -> String? { users.values.first { $0.account.uid == uid }?.account.name }

    func groupNames(of account: AccountDirectory.Account) -> [String] { users[account.name]?.groups ?? [] }
}
