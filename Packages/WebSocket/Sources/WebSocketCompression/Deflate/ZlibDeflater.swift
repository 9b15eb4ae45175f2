import CGrestZlib
import NIOCore

/// A raw-deflate (RFC 1951) compressor over system zlib, flushing with `Z_SYNC_FLUSH` per call.
///
/// The `z_stream` is allocated on first use, not at init: an idle connection costs no zlib memory.
/// Not `Sendable`: zlib streams are single-threaded; one instance lives on one connection's event loop.
final class ZlibDeflater {
    let level: Int32
    let windowBits: Int32
    let memoryLevel: Int32
    private var stream: UnsafeMutablePointer<z_stream>?

    /// - Parameter windowBits: 9...15. Raw deflate rejects 8 (zlib.h); callers map 8 to 9, see ``PerMessageDeflate``.
    init(level: Int32, windowBits: Int32, memoryLevel: Int32) {
        precondition((9...15).contains(windowBits), "raw deflate supports window bits 9...15")
        self.level = level
        self.windowBits = windowBits
        self.memoryLevel = memoryLevel
    }

    deinit { self.release() }

    /// Compresses `input` and sync-flushes, so the output ends on a byte boundary with `00 00 ff ff`.
    func compress(_ input: ByteBuffer, allocator: ByteBufferAllocator) throws(ZlibError) -> ByteBuffer {
        let stream = try self.openStream()
        // deflateBound covers one-shot compression; a sync flush adds at most a 5-byte empty stored block, plus
        // up to 2 bytes to finish the pending bits.
        let bound = Int(deflateBound(stream, uLong(input.readableBytes))) + 8
        var output = allocator.buffer(capacity: bound)
        try input.withUnsafeReadableBytes { (inputBytes) throws(ZlibError) in
            stream.pointee.next_in = inputBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(inputBytes.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                if output.writableBytes == 0 { output.reserveCapacity(minimumWritableBytes: max(64, output.capacity / 2)) }
                var rc = Z_OK
                var availOut: uInt = 0
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { outputBytes in
                    stream.pointee.next_out = outputBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(outputBytes.count)
                    rc = deflate(stream, Z_SYNC_FLUSH)
                    availOut = stream.pointee.avail_out
                    return outputBytes.count - Int(availOut)
                }
                stream.pointee.next_out = nil
                guard rc == Z_OK || rc == Z_BUF_ERROR else { throw ZlibError(code: rc, stream: stream) }
                // Done once zlib consumed everything and still had room left: the flush is complete.
                if stream.pointee.avail_in == 0 && availOut > 0 { break }
            }
        }
        return output
    }

    /// Starts a fresh LZ77 context (no context takeover) without freeing the stream.
    func reset() {
        if let stream = self.stream { deflateReset(stream) }
    }

    /// Frees the zlib state; the next ``compress(_:allocator:)`` allocates it again.
    func release() {
        guard let stream = self.stream else { return }
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        self.stream = nil
    }

    private func openStream() throws(ZlibError) -> UnsafeMutablePointer<z_stream> {
        if let stream = self.stream { return stream }
        // zlib keeps pointers into its own state: the z_stream must not move, hence a heap allocation.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Negative window bits select raw deflate, no zlib header (RFC 7692 §4).
        let rc = CGrestZlib_deflateInit2(stream, self.level, Z_DEFLATED, -self.windowBits, self.memoryLevel, Z_DEFAULT_STRATEGY)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ZlibError(code: rc, stream: nil)
        }
        self.stream = stream
        return stream
    }
}

@available(*, unavailable)
extension ZlibDeflater: Sendable {}

/// A zlib return code other than success.
struct ZlibError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    init(code: Int32, stream: UnsafeMutablePointer<z_stream>?) {
        self.code = code
        self.message = stream?.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
    }

    var description: String { self.message }
}
