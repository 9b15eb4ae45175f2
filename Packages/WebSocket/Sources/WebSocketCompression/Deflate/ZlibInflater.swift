import CGrestZlib
import NIOCore

/// A raw-inflate (RFC 1951) decompressor over system zlib with a hard output limit.
///
/// Output stops one byte past the limit, so a zip bomb costs at most `limit + 1` bytes before it is rejected.
/// The `z_stream` is allocated on first use. Not `Sendable` (one connection, one event loop).
final class ZlibInflater {
    enum Failure: Error {
        case limitExceeded
        case corrupt(String)
    }

    let windowBits: Int32
    private var stream: UnsafeMutablePointer<z_stream>?

    init(windowBits: Int32 = 15) {
        self.windowBits = windowBits
    }

    deinit { self.release() }

    /// Inflates `input` (then the `00 00 ff ff` tail when `appendTail`), producing at most `limit` bytes.
    func inflate(_ input: ByteBuffer, appendTail: Bool, limit: Int, allocator: ByteBufferAllocator) throws(Failure) -> ByteBuffer {
        let stream = try self.openStream()
        let ceiling = limit + 1
        var output = allocator.buffer(capacity: min(ceiling, max(256, input.readableBytes * 4)))
        var failure = input.withUnsafeReadableBytes { bytes in
            self.inflate(stream, bytes, into: &output, ceiling: ceiling)
        }
        if failure == nil && appendTail {
            // RFC 7692 §7.2.2: the tail the sender stripped, appended before inflating a message's last frame.
            let tail: (UInt8, UInt8, UInt8, UInt8) = (0x00, 0x00, 0xFF, 0xFF)
            failure = withUnsafeBytes(of: tail) { bytes in
                self.inflate(stream, bytes, into: &output, ceiling: ceiling)
            }
        }
        if let failure { throw failure }
        if output.readableBytes > limit { throw .limitExceeded }
        return output
    }

    private func inflate(
        _ stream: UnsafeMutablePointer<z_stream>,
        _ input: UnsafeRawBufferPointer,
        into output: inout ByteBuffer,
        ceiling: Int
    ) -> Failure? {
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let room = ceiling - output.readableBytes
            if room <= 0 { return .limitExceeded }
            if output.writableBytes == 0 {
                output.reserveCapacity(minimumWritableBytes: min(room, max(4096, output.capacity)))
            }
            var rc = Z_OK
            var availOut: uInt = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { bytes in
                let usable = min(bytes.count, room)
                stream.pointee.next_out = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(usable)
                rc = CGrestZlib.inflate(stream, Z_SYNC_FLUSH)
                availOut = stream.pointee.avail_out
                return usable - Int(availOut)
            }
            stream.pointee.next_out = nil
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                // The sender closed the deflate stream with BFINAL; whatever follows starts a new one.
                inflateReset(stream)
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                inflateReset(stream)
                return .corrupt(message)
            }
            // Input consumed and room to spare: zlib has produced everything it can.
            if stream.pointee.avail_in == 0 && availOut > 0 { return nil }
            if rc == Z_BUF_ERROR && availOut > 0 { return nil }
        }
    }

    /// Forgets the LZ77 window (the peer resets its compressor per message).
    func reset() {
        if let stream = self.stream { inflateReset(stream) }
    }

    /// Frees the zlib state; the next ``inflate(_:appendTail:limit:allocator:)`` allocates it again.
    func release() {
        guard let stream = self.stream else { return }
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        self.stream = nil
    }

    private func openStream() throws(Failure) -> UnsafeMutablePointer<z_stream> {
        if let stream = self.stream { return stream }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = CGrestZlib_inflateInit2(stream, -self.windowBits)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .corrupt("inflateInit2 failed: \(rc)")
        }
        self.stream = stream
        return stream
    }
}

@available(*, unavailable)
extension ZlibInflater: Sendable {}
