#if canImport(Glibc)
import Glibc
#endif

/// Looks users and groups up through NSS (files, LDAP, sssd alike), as the login itself did.
public struct AccountDirectory: Sendable {
    public init() {}

    public struct Account: Equatable, Sendable {
        public var name: String
        public var uid: UInt32
        public var primaryGID: UInt32
    }

    /// The account `name` names, with its name as the name service spells it (`pw_name`): sssd and LDAP match
    /// names case-insensitively, so a login as `ALICE` is the account `alice`, and rules and audit lines must say
    /// `alice`.
    public func account(named name: String) -> Account? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil, let canonical = entry.pw_name
        else { return nil }
        return Account(name: String(cString: canonical), uid: entry.pw_uid, primaryGID: entry.pw_gid)
    }

    public func userName(uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return nil }
        return String(cString: name)
    }

    public func userExists(_ name: String) -> Bool { account(named: name) != nil }

    public func groupExists(_ name: String) -> Bool {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        return getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0 && result != nil
    }

    /// Names of the primary and supplementary groups of `account`.
    public func groupNames(of account: Account) -> [String] {
        var count: Int32 = 64
        var gids = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(account.name, account.primaryGID, &gids, &count) == -1 {
            guard count > Int32(gids.count), count < 65536 else { break }
            gids = [gid_t](repeating: 0, count: Int(count))
        }
        return gids.prefix(Int(max(count, 0))).compactMap(groupName)
    }

    func groupName(_ gid: gid_t) -> String? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let name = entry.gr_name
        else { return nil }
        return String(cString: name)
    }
}
