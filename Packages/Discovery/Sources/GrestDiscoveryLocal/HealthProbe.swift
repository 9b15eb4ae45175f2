import GrestDiscovery
import NIOCore
import NIOPosix

/// `GET path` on an upstream over a fresh connection; healthy when the status line says 2xx in time.
enum HealthProbe {
    static func isHealthy(_ upstream: HostPort, path: String, timeout: Duration, group: any EventLoopGroup) async -> Bool {
        do {
            return try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask { try await probe(upstream, path: path, group: group) }
                tasks.addTask {
                    try await Task.sleep(for: timeout)
                    return false
                }
                let first = try await tasks.next() ?? false
                tasks.cancelAll()
                return first
            }
        } catch {
            return false
        }
    }

    private static func probe(_ upstream: HostPort, path: String, group: any EventLoopGroup) async throws -> Bool {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(1))
            .connect(host: upstream.host, port: upstream.port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(upstream)\r\nConnection: close\r\n\r\n"))
            var received = ByteBuffer()
            for try await var chunk in inbound {
                received.writeBuffer(&chunk)
                if let line = received.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let statusLine = String(decoding: received.readableBytesView[..<line], as: UTF8.self)
                    let parts = statusLine.split(separator: " ")
                    return parts.count >= 2 && parts[1].hasPrefix("2")
                }
            }
            return false
        }
    }
}
