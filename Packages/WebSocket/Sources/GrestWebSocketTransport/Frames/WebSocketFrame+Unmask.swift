import NIOCore
import NIOWebSocket

extension WebSocketFrame {
    /// The application data with the mask removed (RFC 6455 §5.3), copied into a fresh buffer in one pass, 8 bytes
    /// at a time.
    ///
    /// NIO's `unmaskedData` copies the payload (it is a slice of the decoder's buffer) and then XORs it byte by byte,
    /// which was the largest single cost of receiving a 16 KiB message.
    var unmaskedPayload: ByteBuffer {
        guard let key = self.maskKey else { return self.data }
        // The frame decoder puts every payload byte in `data`; `extensionData` is only set by extension-aware
        // decoders, and then the mask continues where it left off.
        let offset = (self.extensionData?.readableBytes ?? 0) % 4
        return self.data.unmasked(key, indexOffset: offset)
    }
}

extension ByteBuffer {
    /// A copy of the readable bytes XORed with `key`, starting at `key[indexOffset]` (RFC 6455 §5.3).
    func unmasked(_ key: WebSocketMaskingKey, indexOffset: Int = 0) -> ByteBuffer {
        let count = self.readableBytes
        var output = ByteBufferAllocator().buffer(capacity: count)
        guard count > 0 else { return output }
        let k0 = key[indexOffset % 4]
        let k1 = key[(indexOffset + 1) % 4]
        let k2 = key[(indexOffset + 2) % 4]
        let k3 = key[(indexOffset + 3) % 4]
        // Loaded from memory, so the word lines up with the bytes on either endianness.
        let word = withUnsafeBytes(of: (k0, k1, k2, k3, k0, k1, k2, k3)) { $0.loadUnaligned(as: UInt64.self) }
        let bytes = (k0, k1, k2, k3)
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
            self.withUnsafeReadableBytes { source in
                var index = 0
                while index + 32 <= count {
                    for offset in stride(from: index, to: index + 32, by: 8) {
                        let value = source.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                        destination.storeBytes(of: value ^ word, toByteOffset: offset, as: UInt64.self)
                    }
                    index += 32
                }
                while index + 8 <= count {
                    let value = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    destination.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                while index < count {
                    let mask: UInt8
                    switch index & 3 {
                    case 0: mask = bytes.0
                    case 1: mask = bytes.1
                    case 2: mask = bytes.2
                    default: mask = bytes.3
                    }
                    destination[index] = source[index] ^ mask
                    index += 1
                }
            }
            return count
        }
        return output
    }
}
