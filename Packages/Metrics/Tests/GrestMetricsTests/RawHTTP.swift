import NIOCore
import NIOPosix
import Synchronization
import Foundation

/// A raw HTTP/1.1 exchange over a real socket: sends `request` bytes, returns everything until the server closes.
enum RawHTTP {
    struct Response {
        let status: Int
        let headers: [(String, String)]
        let body: String

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func get(port: Int, path: String, headers: [(String, String)] = []) async throws -> Response {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        try await channel.closeFuture.get()
        let raw = String(decoding: collector.received.withLock { $0 }, as: UTF8.self)
        guard let split = raw.range(of: "\r\n\r\n") else { throw RawHTTPError(raw: raw) }
        let headLines = raw[..<split.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = headLines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw RawHTTPError(raw: raw) }
        let parsed = headLines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        return Response(status: status, headers: parsed, body: String(raw[split.upperBound...]))
    }

    struct RawHTTPError: Error, CustomStringConvertible {
        let raw: String
        var description: String { "Not an HTTP response: \(raw)" }
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0 += buffer.readableBytesView }
        }
    }
}
