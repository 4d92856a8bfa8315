import FoundationEssentials
import IdleWardenWire
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The `idlewarden` command's side of the control socket: one request, the reply chunks joined.
public struct ControlClient {
    public enum Failure: Error, CustomStringConvertible {
        case socketPathTooLong(String)
        case unreachable(String, Errno)
        case timedOut(String, milliseconds: Int32)
        case badReply(String)

        public var description: String {
            switch self {
            case .socketPathTooLong(let path):
                return "socket path \(path) is longer than \(UnixSocketAddress.maxPathLength) bytes"
            case .unreachable(let path, let error):
                return "cannot reach the idlewarden daemon at \(path) (\(error)); is it running?"
            case .timedOut(let path, let milliseconds):
                let wait = milliseconds % 1000 == 0 ? "\(milliseconds / 1000) seconds" : "\(milliseconds) ms"
                return "no answer from the idlewarden daemon at \(path) within \(wait)"
            case .badReply(let why): return "the daemon's reply could not be read: \(why)"
            }
        }
    }

    public var socketPath: String
    public var timeoutMilliseconds: Int32 = 5000

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    public func send(_ action: ControlRequest.Action) throws -> ControlReply {
        guard let address = UnixSocketAddress(socketPath) else { throw Failure.socketPathTooLong(socketPath) }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.unreachable(socketPath, Errno(rawValue: errno)) }
        defer { close(fd) }
        // An unbound socket with SO_PASSCRED is autobound to an abstract address the daemon can reply to.
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size))
        var bufferSize: Int32 = 4 * 1024 * 1024
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))

        let requestID = UInt32.random(in: 1...UInt32.max)
        var payload: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: Datagram.replyLimit + 1024)
        var index: UInt16 = 0
        while true {
            let request = try ControlRequest(requestID: requestID, action: action, chunk: index).encoded()
            let sent = address.withSockaddr { target, length in
                request.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, target, length) }
            }
            guard sent == request.count else { throw Failure.unreachable(socketPath, Errno(rawValue: errno)) }
            let chunk = try receiveChunk(fd: fd, requestID: requestID, index: index, buffer: &buffer)
            payload += chunk.payload
            if chunk.isFinal { break }
            index &+= 1
        }
        do {
            return try JSONDecoder().decode(ControlReply.self, from: Data(payload))
        } catch {
            throw Failure.badReply("\(error)")
        }
    }

    private func receiveChunk(fd: Int32, requestID: UInt32, index: UInt16, buffer: inout [UInt8]) throws -> ReplyChunk {
        while true {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, timeoutMilliseconds) == 1 else {
                throw Failure.timedOut(socketPath, milliseconds: timeoutMilliseconds)
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure.badReply("receive failed") }
            let message: Message
            do {
                message = try Message.decode(Array(buffer.prefix(count)), limit: buffer.count)
            } catch {
                throw Failure.badReply(error.reason)
            }
            guard case .reply(let chunk) = message else { throw Failure.badReply("not a reply") }
            guard chunk.requestID == requestID, chunk.index == index else { continue }
            return chunk
        }
    }
}
