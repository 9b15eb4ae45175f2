public import GrestSchema
package import NIOCore

/// Reads and writes ``SocketFrame``s exactly as grest-ts does, with bounds grest-ts lacks.
///
/// Parsing splits on the first three colons only, so colons inside DATA survive; PATH and ID have no
/// escaping (the grest-ts wire format has none). Work is linear in the frame size and bounded by the limits before DATA:
/// a 1 MB PATH is rejected after `maxPathLength + 1` bytes have been looked at.
public struct SocketFrameCodec: Sendable {
    /// Bounds on the parts that carry no escaping.
    public struct Limits: Sendable, Equatable {
        /// Longest PATH accepted, in bytes. Routes are `"<Contract>.<method>"`, so 256 is generous.
        public var maxPathLength: Int
        /// Longest ID accepted, in digits. 16 digits hold every JavaScript safe integer.
        public var maxIDLength: Int

        public init(maxPathLength: Int = 256, maxIDLength: Int = 16) {
            self.maxPathLength = maxPathLength
            self.maxIDLength = maxIDLength
        }
    }

    /// Why an inbound text was not turned into a frame. Every case means "drop it"; the reason is for logs
    /// and counters.
    public enum DropReason: Sendable, Equatable {
        /// The text was empty.
        case empty
        /// TYPE is not one of `h k x m r s p o` (grest-ts ignores these).
        case unknownType
        /// An `m`, `r` or `s` without PATH (grest-ts drops these).
        case missingPath
        /// An `r` or `s` without ID: there is nothing to match a reply against.
        case missingID
        /// An ID that is not a plain decimal number.
        case invalidID
        /// PATH longer than ``Limits/maxPathLength``.
        case pathTooLong
        /// ID longer than ``Limits/maxIDLength``.
        case idTooLong
    }

    /// The outcome of ``decode(_:)``.
    public enum Decoded: Sendable, Equatable {
        case frame(SocketFrame)
        case dropped(DropReason)
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses one text frame's bytes.
    public func decode(_ text: some Collection<UInt8>) -> Decoded {
        let decoded = text.withContiguousStorageIfAvailable { decode(buffer: $0) }
        if let decoded { return decoded }
        return Array(text).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Parses one text frame.
    public func decode(_ text: String) -> Decoded {
        var text = text
        return text.withUTF8 { decode(buffer: $0) }
    }

    private func decode(buffer: UnsafeBufferPointer<UInt8>) -> Decoded {
        let colon = UInt8(ascii: ":")
        guard let first = buffer.first else { return .dropped(.empty) }
        // TYPE is part 0 of split(":"); anything but one known letter is an unknown TYPE.
        guard buffer.count == 1 || buffer[1] == colon, let kind = SocketFrame.Kind(rawValue: first) else {
            return .dropped(.unknownType)
        }
        // Missing parts read as empty, as `parts[i] ?? ""` does in grest-ts ("k" alone is accepted).
        var index = 2
        let pathStart = min(index, buffer.count)
        while index < buffer.count, buffer[index] != colon {
            index += 1
            // Bounded scan: never walk a huge PATH looking for its end.
            if index - pathStart > limits.maxPathLength { return .dropped(.pathTooLong) }
        }
        let pathEnd = min(index, buffer.count)
        index += 1
        let idStart = min(index, buffer.count)
        var isDecimal = true
        while index < buffer.count, buffer[index] != colon {
            let byte = buffer[index]
            isDecimal = isDecimal && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            index += 1
            if index - idStart > limits.maxIDLength { return .dropped(.idTooLong) }
        }
        let idEnd = min(index, buffer.count)
        index += 1
        // Parts 3… joined back with ":" are simply the rest of the text.
        let dataStart = min(index, buffer.count)

        let path = String(decoding: UnsafeBufferPointer(rebasing: buffer[pathStart..<pathEnd]), as: UTF8.self)
        let id = String(decoding: UnsafeBufferPointer(rebasing: buffer[idStart..<idEnd]), as: UTF8.self)
        if !kind.isControl {
            guard !path.isEmpty else { return .dropped(.missingPath) }
            if kind != .message {
                guard !id.isEmpty else { return .dropped(.missingID) }
                guard isDecimal else { return .dropped(.invalidID) }
            }
        }
        let payload = Array(UnsafeBufferPointer(rebasing: buffer[dataStart...]))
        // IDs mean nothing on `m` and control frames; keep them out so replies cannot echo junk.
        let keptID = kind == .request || kind == .response ? id : ""
        let keptPath = kind.isControl ? "" : path
        return .frame(SocketFrame(kind: kind, path: keptPath, id: keptID, payload: payload))
    }

    // MARK: Encoding

    /// Writes `TYPE:PATH:ID:DATA` with `payload` as DATA (already JSON, or empty for absent).
    public static func encode(_ kind: SocketFrame.Kind, path: String = "", id: String = "", payload: some Collection<UInt8>) -> [UInt8] {
        Array(encodeBuffer(kind, path: path, id: id, payload: Array(payload)).readableBytesView)
    }

    /// Writes a frame whose DATA is `value` as JSON, or empty when `value` is `nil`.
    public static func encode(_ kind: SocketFrame.Kind, path: String = "", id: String = "", json value: JSONValue?) -> [UInt8] {
        guard let value else { return encode(kind, path: path, id: id, payload: []) }
        var writer = JSONWriter(reservingCapacity: 64)
        writer.write(value)
        return encode(kind, path: path, id: id, payload: writer.bytes)
    }

    /// Writes a request frame with a numeric ID.
    public static func encodeRequest(path: String, id: UInt64, payload: some Collection<UInt8>) -> [UInt8] {
        encode(.request, path: path, id: String(id), payload: payload)
    }

    /// Writes a response that copies the request's PATH and ID.
    public static func encodeResponse(to request: SocketFrame, body: [UInt8]) -> [UInt8] {
        encode(.response, path: request.path, id: request.id, payload: body)
    }

    /// The frame as the buffer the transport sends as trusted text (no `String` in between), written straight into one
    /// buffer of the exact size: one allocation and one copy of each part. The one writer of the format:
    /// ``encode(_:path:id:payload:)`` returns these bytes (its callers are off the per-message path).
    package static func encodeBuffer(_ kind: SocketFrame.Kind, path: String = "", id: String = "", payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + path.utf8.count + id.utf8.count + payload.count)
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(UInt8(ascii: ":"))
        buffer.writeString(path)
        buffer.writeInteger(UInt8(ascii: ":"))
        buffer.writeString(id)
        buffer.writeInteger(UInt8(ascii: ":"))
        buffer.writeBytes(payload)
        return buffer
    }

    /// Frame bytes written outside this process's encoders (a broadcast backend's payload, a relayed message) as the
    /// buffer the transport sends as trusted text: invalid UTF-8 is repaired to U+FFFD, as the transport's `String`
    /// path always did.
    package static func repairedBuffer(_ frame: [UInt8]) -> ByteBuffer {
        ByteBuffer(string: String(decoding: frame, as: UTF8.self))
    }

    /// `k:::null`, the handshake acceptance grest-ts sends.
    public static let handshakeAccepted: [UInt8] = Array("k:::null".utf8)
    /// `p:::`, the app-level ping.
    public static let ping: [UInt8] = Array("p:::".utf8)
    /// `o:::`, the app-level pong.
    public static let pong: [UInt8] = Array("o:::".utf8)
}
