public import GrestSchema

/// One typed frame of the grest wire protocol, `TYPE:PATH:ID:DATA` (grest-ts `GGSocket` messages).
///
/// ```swift
/// let frame = SocketFrame(kind: .request, path: "ChatApi.sendMessage", id: "1", payload: Array(#"{"text":"hi"}"#.utf8))
/// frame.encoded  // r:ChatApi.sendMessage:1:{"text":"hi"}
/// ```
///
/// DATA is kept as raw bytes and parsed on demand (``data``), so a frame that is dropped for its route
/// costs no JSON work.
public struct SocketFrame: Sendable, Equatable {
    /// The one-letter TYPE.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// `h`: the client's handshake headers.
        case handshake = 0x68
        /// `k`: the server accepted the handshake.
        case handshakeAccepted = 0x6B
        /// `x`: the server refused the handshake; DATA is the error JSON.
        case handshakeRejected = 0x78
        /// `m`: fire-and-forget message.
        case message = 0x6D
        /// `r`: request; the peer answers with exactly one `s` carrying the same ID.
        case request = 0x72
        /// `s`: response to a request.
        case response = 0x73
        /// `p`: app-level ping (for peers without RFC 6455 ping).
        case ping = 0x70
        /// `o`: app-level pong.
        case pong = 0x6F

        /// Control frames carry neither PATH nor ID.
        public var isControl: Bool {
            switch self {
            case .message, .request, .response: false
            case .handshake, .handshakeAccepted, .handshakeRejected, .ping, .pong: true
            }
        }

        /// The wire letter.
        public var letter: Character { Character(Unicode.Scalar(rawValue)) }
    }

    public var kind: Kind
    /// `"<Contract>.<method>"`; empty for control frames.
    public var path: String
    /// The decimal request ID as sent (empty for `m` and control frames). Replies copy it verbatim.
    public var id: String
    /// The raw DATA bytes; empty means absent (`undefined` in grest-ts).
    public var payload: [UInt8]

    public init(kind: Kind, path: String = "", id: String = "", payload: [UInt8] = []) {
        self.kind = kind
        self.path = path
        self.id = id
        self.payload = payload
    }

    /// The ID as a number, when it is one (IDs are decimal counters starting at 1).
    public var numericID: UInt64? { UInt64(id) }

    /// DATA parsed as JSON: `.absent` when empty, `.malformed` when it is not JSON.
    ///
    /// grest-ts turns unparsable DATA into `undefined`; ``FrameData/value`` does the same, while
    /// `.malformed` keeps the reason for logs.
    public func data(parser: JSONParser = JSONParser()) -> FrameData {
        if payload.isEmpty { return .absent }
        // The raw-buffer entry point: the generic `parse(_: some Sequence<UInt8>)` runs unspecialised from here.
        let parsed = payload.withUnsafeBytes { bytes in Result { () throws(JSONParseError) in try parser.parse(bytes) } }
        switch parsed {
        case .success(let value): return .json(value)
        case .failure(let error): return .malformed(error)
        }
    }

    /// The frame on the wire.
    public var encoded: [UInt8] {
        SocketFrameCodec.encode(kind, path: path, id: id, payload: payload)
    }
}

/// The DATA part of a frame after parsing.
public enum FrameData: Sendable, Equatable {
    /// No DATA (`undefined`).
    case absent
    /// Valid JSON.
    case json(JSONValue)
    /// DATA that is not JSON; grest-ts treats it as `undefined`.
    case malformed(JSONParseError)

    /// The JSON value, `nil` when absent or malformed (grest-ts semantics).
    public var value: JSONValue? {
        if case .json(let value) = self { return value }
        return nil
    }
}
