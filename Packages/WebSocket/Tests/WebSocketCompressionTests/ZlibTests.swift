import GrestWebSocketTransport
import NIOCore
import Testing

@testable import WebSocketCompression

@Suite("zlib deflate / inflate")
struct ZlibTests {
    let allocator = ByteBufferAllocator()

    private func sample(_ count: Int) -> ByteBuffer {
        var generator = SystemRandomNumberGenerator()
        let words = ["grest", "socket", "frame", "deflate", "window", "message", " ", "\n", "{\"id\":", "}"]
        var text = ""
        while text.utf8.count < count { text += words[Int(generator.next() % UInt64(words.count))] }
        return ByteBuffer(string: String(text.utf8.prefix(count))!)
    }

    @Test("sync flush output ends with 00 00 ff ff and round-trips with context takeover", arguments: [9, 12, 15])
    func roundTrip(windowBits: Int32) throws {
        let deflater = ZlibDeflater(level: -1, windowBits: windowBits, memoryLevel: 8)
        let inflater = ZlibInflater(windowBits: windowBits)
        for size in [0, 1, 100, 5000, 70000] {
            let input = self.sample(size)
            var compressed = try deflater.compress(input, allocator: self.allocator)
            #expect(compressed.getBytes(at: compressed.writerIndex - 4, length: 4) == [0x00, 0x00, 0xFF, 0xFF])
            compressed.moveWriterIndex(to: compressed.writerIndex - 4)
            let output = try inflater.inflate(compressed, appendTail: true, limit: 1 << 20, allocator: self.allocator)
            #expect(output == input)
        }
    }

    @Test("window bits 9 output inflates with an 8-bit window (RFC 7692 window 8 interop)")
    func windowNineFitsEight() throws {
        let deflater = ZlibDeflater(level: 9, windowBits: 9, memoryLevel: 9)
        let inflater = ZlibInflater(windowBits: 8)
        for _ in 0..<20 {
            let input = self.sample(20000)
            var compressed = try deflater.compress(input, allocator: self.allocator)
            compressed.moveWriterIndex(to: compressed.writerIndex - 4)
            #expect(try inflater.inflate(compressed, appendTail: true, limit: 1 << 20, allocator: self.allocator) == input)
        }
    }

    /// Whether `body` fails with ``ZlibInflater/Failure/limitExceeded`` (not another failure, not success).
    static func exceedsLimit(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch ZlibInflater.Failure.limitExceeded {
            return true
        } catch {
            return false
        }
    }

    @Test("a zip bomb is cut off at the limit: exactly `limit` bytes inflate, one byte more is limitExceeded")
    func zipBomb() throws {
        let deflater = ZlibDeflater(level: 9, windowBits: 15, memoryLevel: 9)
        let zeros = ByteBuffer(repeating: 0, count: 64 << 20)
        var bomb = try deflater.compress(zeros, allocator: self.allocator)
        bomb.moveWriterIndex(to: bomb.writerIndex - 4)
        #expect(bomb.readableBytes < 128 << 10)
        #expect(Self.exceedsLimit { _ = try ZlibInflater().inflate(bomb, appendTail: true, limit: 1 << 20, allocator: self.allocator) })
        // The boundary itself: a message of exactly `limit` bytes passes, `limit + 1` does not.
        let limit = 1 << 16
        for (size, fits) in [(limit, true), (limit + 1, false)] {
            var compressed = try ZlibDeflater(level: 6, windowBits: 15, memoryLevel: 8).compress(
                ByteBuffer(repeating: 7, count: size), allocator: self.allocator)
            compressed.moveWriterIndex(to: compressed.writerIndex - 4)
            let inflater = ZlibInflater()
            if fits {
                #expect(try inflater.inflate(compressed, appendTail: true, limit: limit, allocator: self.allocator).readableBytes == limit)
            } else {
                #expect(Self.exceedsLimit { _ = try inflater.inflate(compressed, appendTail: true, limit: limit, allocator: self.allocator) })
            }
        }
    }

    @Test("corrupt input is reported, not trapped")
    func corrupt() {
        let inflater = ZlibInflater()
        #expect(throws: ZlibInflater.Failure.self) {
            _ = try inflater.inflate(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), appendTail: true, limit: 1000, allocator: self.allocator)
        }
    }

    @Test("codec strips the tail, skips small messages and resets without context takeover")
    func codec() throws {
        let negotiated = PerMessageDeflate(minimumSizeToCompress: 10)
            .negotiateAsServer(offers: WebSocketExtensionHeader.parse(["permessage-deflate; server_no_context_takeover"])!)!
        let server = negotiated.makeCodec(true)
        let client = PerMessageDeflate().negotiateAsServer(offers: WebSocketExtensionHeader.parse(["permessage-deflate"])!)!.makeCodec(true)
        #expect(try server.compress(ByteBuffer(string: "short"), allocator: self.allocator) == nil)
        let message = self.sample(3000)
        let first = try #require(try server.compress(message, allocator: self.allocator))
        let second = try #require(try server.compress(message, allocator: self.allocator))
        // No context takeover: the same message compresses to the same bytes every time.
        #expect(first == second)
        #expect(first.getBytes(at: first.writerIndex - 4, length: 4) != [0x00, 0x00, 0xFF, 0xFF])
        #expect(try client.decompress(first, isFinal: true, limit: 1 << 20, allocator: self.allocator) == message)
    }
}
