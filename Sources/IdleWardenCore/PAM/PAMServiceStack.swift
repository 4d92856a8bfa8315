/// Whether a PAM service's session stack runs a module, as libpam reads /etc/pam.d: `include` and `substack`
/// lines and `@include` are followed to the files they name (depth-first, at most `maxDepth` deep, so an include
/// loop ends). Jump controls (`[success=1 default=ignore]`) and the modules' results are not evaluated: a session
/// line that names the module counts, wherever it is in the stack. Pure: `read` returns a file's text.
public enum PAMServiceStack {
    /// Where the module was found, and the arguments of its line (the per-service policy, `idle_timeout=30m`).
    public struct Found: Equatable, Sendable {
        public var file: String
        public var line: Int
        public var arguments: [String]
    }

    public static let maxDepth = 16

    /// The first session line naming `module` (its file name, or any path ending in `/module`) in the stack of
    /// `service`: /etc/pam.d/SERVICE, or /etc/pam.d/other when that does not exist, as libpam does. Nil when the
    /// stack has no such line, or `service` is not a plain file name (logind reports it; a path is not a service).
    public static func findSessionModule(
        _ module: String, service: String, directory: String = "/etc/pam.d", read: (String) -> String?
    ) -> Found? {
        guard isServiceName(service) else { return nil }
        let path = directory + "/" + service
        if let text = read(path) {
            return search(module, path: path, text: text, directory: directory, depth: 0, read: read)
        }
        let other = directory + "/other"
        return read(other).flatMap { search(module, path: other, text: $0, directory: directory, depth: 0, read: read) }
    }

    /// A service name libpam would look up: not empty, no `/`, not `.` or `..`.
    public static func isServiceName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    private static func search(
        _ module: String, path: String, text: String, directory: String, depth: Int, read: (String) -> String?
    ) -> Found? {
        guard depth < maxDepth else { return nil }
        func follow(_ name: String) -> Found? {
            let target = name.hasPrefix("/") ? name : directory + "/" + name
            guard name.hasPrefix("/") || isServiceName(name), let text = read(target) else { return nil }
            return search(module, path: target, text: text, directory: directory, depth: depth + 1, read: read)
        }
        for (number, words) in lines(text) {
            if words[0] == "@include" {
                if words.count >= 2, let found = follow(words[1]) { return found }
                continue
            }
            guard words.count >= 3 else { continue }
            var type = words[0].lowercased()
            if type.hasPrefix("-") { type.removeFirst() }
            guard type == "session" else { continue }
            let control = words[1].lowercased()
            if control == "include" || control == "substack" {
                if let found = follow(words[2]) { return found }
                continue
            }
            let named = words[2]
            if named == module || named.hasSuffix("/" + module) {
                return Found(file: path, line: number, arguments: Array(words.dropFirst(3)))
            }
        }
        return nil
    }

    /// The lines of a pam.d file as words, with their 1-based numbers: comments (`#` to the end of the line)
    /// dropped, a backslash before a newline joining two lines, `[...]` kept as one word (jump controls and
    /// bracketed arguments may hold blanks).
    static func lines(_ text: String) -> [(Int, [String])] {
        var result: [(Int, [String])] = []
        var pending = ""
        var firstLine = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            if pending.isEmpty { firstLine = index + 1 }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let words = self.words(pending + line)
            pending = ""
            if !words.isEmpty { result.append((firstLine, words)) }
        }
        return result
    }

    private static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var bracketDepth = 0
        for character in line {
            if bracketDepth == 0 && (character == " " || character == "\t" || character == "\r") {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            if character == "[" { bracketDepth += 1 }
            if character == "]" && bracketDepth > 0 { bracketDepth -= 1 }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
