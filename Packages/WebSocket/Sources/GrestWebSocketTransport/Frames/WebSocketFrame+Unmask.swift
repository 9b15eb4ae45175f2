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

    /// The payload of a whole, uncompressed text message, unmasked straight into the String's storage; `nil` when it
    /// is not valid UTF-8 (RFC 6455 §8.1). One pass writes the bytes and finds out whether they are all ASCII; only
    /// text that is not runs through ``UTF8Validator``.
    func unmaskedText() -> String? {
        guard self.extensionData == nil else {
            return self.unmaskedPayload.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
        }
        let data = self.data
        let key = self.maskKey
        let count = data.readableBytes
        var isValid = true
        let text = String(unsafeUninitializedCapacity: count) { destination in
            let destination = UnsafeMutableRawBufferPointer(destination)
            let isASCII = data.withUnsafeReadableBytes { source in
                if let key { return unmask(source, into: destination, key: key, indexOffset: 0) }
                destination.copyMemory(from: source)
                return false
            }
            if !isASCII {
                var validator = UTF8Validator()
                isValid = validator.validate(UnsafeRawBufferPointer(destination)) && validator.isComplete
            }
            return count
        }
        return isValid ? text : nil
    }
}

extension ByteBuffer {
    /// A copy of the readable bytes XORed with `key`, starting at `key[indexOffset]` (RFC 6455 §5.3).
    func unmasked(_ key: WebSocketMaskingKey, indexOffset: Int = 0) -> ByteBuffer {
        let count = self.readableBytes
        var output = ByteBufferAllocator().buffer(capacity: count)
        guard count > 0 else { return output }
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
            self.withUnsafeReadableBytes { source in
                _ = unmask(source, into: destination, key: key, indexOffset: indexOffset)
            }
            return count
        }
        return output
    }
}

/// Writes `source` XORed with `key` (from `key[indexOffset]`) to the start of `destination`, 8 bytes at a time;
/// returns whether every unmasked byte is ASCII.
private func unmask(
    _ source: UnsafeRawBufferPointer,
    into destination: UnsafeMutableRawBufferPointer,
    key: WebSocketMaskingKey,
    indexOffset: Int
) -> Bool {
    let count = source.count
    precondition(destination.count >= count)
    let k0 = key[indexOffset % 4]
    let k1 = key[(indexOffset + 1) % 4]
    let k2 = key[(indexOffset + 2) % 4]
    let k3 = key[(indexOffset + 3) % 4]
    // Loaded from memory, so the word lines up with the bytes on either endianness.
    let word = withUnsafeBytes(of: (k0, k1, k2, k3, k0, k1, k2, k3)) { $0.loadUnaligned(as: UInt64.self) }
    var highBits: UInt64 = 0
    var index = 0
    while index + 32 <= count {
        for offset in stride(from: index, to: index + 32, by: 8) {
            let value = source.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ word
            destination.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
            highBits |= value
        }
        index += 32
    }
    while index + 8 <= count {
        let value = source.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ word
        destination.storeBytes(of: value, toByteOffset: index, as: UInt64.self)
        highBits |= value
        index += 8
    }
    var highByte: UInt8 = 0
    while index < count {
        let mask: UInt8
        switch index & 3 {
        case 0: mask = k0
        case 1: mask = k1
        case 2: mask = k2
        default: mask = k3
        }
        let value = source[index] ^ mask
        destination[index] = value
        highByte |= value
        index += 1
    }
    return highBits & 0x8080_8080_8080_8080 == 0 && highByte & 0x80 == 0
}
