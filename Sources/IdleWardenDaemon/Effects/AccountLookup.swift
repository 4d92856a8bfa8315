/// Users and groups as the system's name service knows them (`AccountDirectory`), or as a unit test says.
protocol AccountLookup {
    /// The account a login name names; its `name` is the account's own spelling, which may differ from the
    /// login name (a case-insensitive name service).
    func account(named name: String) -> AccountDirectory.Account?
    func userName(uid: UInt32) -> String?
    /// Names of the primary and supplementary groups of `account`.
    func groupNames(of account: AccountDirectory.Account) -> [String]
}

extension AccountDirectory: AccountLookup {}
