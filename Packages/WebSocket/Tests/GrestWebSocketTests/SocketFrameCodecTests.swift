import GrestSchema
import NIOCore
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

@Suite("Wire: TYPE:PATH:ID:DATA")
struct SocketFrameCodecTests {
    let codec = SocketFrameCodec()

    @Test("the grest-ts wire examples decode", arguments: [
        (#"h:::{"authorization":"Bearer abc"}"#, SocketFrame.Kind.handshake, "", ""),
        ("k:::null", .handshakeAccepted, "", ""),
        ("k:::", .handshakeAccepted, "", ""),
        ("r:AuthedSocketApi.whoAmI:1:", .request, "AuthedSocketApi.whoAmI", "1"),
        (#"s:AuthedSocketApi.whoAmI:1:{"success":true,"type":"OK","data":{"username":"bob"}}"#, .response, "AuthedSocketApi.whoAmI", "1"),
        (#"m:ChatApi.markAsRead::{"messageId":"m1"}"#, .message, "ChatApi.markAsRead", ""),
        ("p:::", .ping, "", ""),
        ("o:::", .pong, "", ""),
        ("k", .handshakeAccepted, "", ""),
    ])
    func decodesExamples(text: String, kind: SocketFrame.Kind, path: String, id: String) {
        guard case .frame(let frame) = codec.decode(text) else {
            Issue.record("dropped \(text)")
            return
        }
        #expect(frame.kind == kind)
        #expect(frame.path == path)
        #expect(frame.id == id)
    }

    @Test func colonsInDataSurvive() {
        let decoded = frame(#"r:ChatApi.sendMessage:7:{"text":"a:b::c","channelId":"x:y"}"#)
        #expect(decoded.data().value == ["text": "a:b::c", "channelId": "x:y"])
        #expect(text(decoded.encoded) == #"r:ChatApi.sendMessage:7:{"text":"a:b::c","channelId":"x:y"}"#)
    }

    @Test func emptyDataIsAbsentAndBadJSONIsMalformed() {
        #expect(frame("r:A.b:1:").data() == .absent)
        guard case .malformed = frame("r:A.b:1:{not json").data() else {
            Issue.record("expected malformed")
            return
        }
        #expect(frame("r:A.b:1:{not json").data().value == nil)
    }

    @Test("bad input is dropped with a reason", arguments: [
        ("", SocketFrameCodec.DropReason.empty),
        ("z:A.b:1:", .unknownType),
        ("rr:A.b:1:", .unknownType),
        ("R:A.b:1:", .unknownType),
        ("m:::{}", .missingPath),
        ("r::1:{}", .missingPath),
        ("s::1:{}", .missingPath),
        ("r:A.b::{}", .missingID),
        ("s:A.b::{}", .missingID),
        ("r:A.b:1x:{}", .invalidID),
        ("r:A.b:-1:{}", .invalidID),
        ("r:A.b: 1:{}", .invalidID),
        ("r:A.b:12345678901234567:{}", .idTooLong),
    ])
    func dropsBadInput(text: String, reason: SocketFrameCodec.DropReason) {
        #expect(codec.decode(text) == .dropped(reason))
    }

    @Test func megabytePathIsRejectedWithoutScanningIt() {
        let huge = "r:" + String(repeating: "a", count: 1 << 20) + ":1:{}"
        let small = "r:" + String(repeating: "a", count: 1 << 11) + ":1:{}"
        let clock = ContinuousClock()
        var result: SocketFrameCodec.Decoded?
        var smallResult: SocketFrameCodec.Decoded?
        // Relative, not absolute: a loaded 2-core debug build slows both loops alike. Bounded work (~257 bytes
        // looked at) makes a 1 MB path cost about what a 2 KB one does; scanning it would cost ~500× more.
        let smallElapsed = clock.measure { for _ in 0..<1000 { smallResult = codec.decode(small) } }
        let hugeElapsed = clock.measure { for _ in 0..<1000 { result = codec.decode(huge) } }
        #expect(result == .dropped(.pathTooLong))
        #expect(smallResult == .dropped(.pathTooLong))
        #expect(hugeElapsed < smallElapsed * 20 + .seconds(2), "1 MB path: \(hugeElapsed), 2 KB path: \(smallElapsed)")
    }

    @Test func megabyteDataIsFine() {
        let data = "\"" + String(repeating: "x", count: 1 << 20) + "\""
        let decoded = frame("m:ChatApi.newMessage::" + data)
        #expect(decoded.payload.count == data.utf8.count)
        #expect(decoded.data().value?.stringValue?.count == 1 << 20)
    }

    @Test func pathLimitIsConfigurable() {
        let codec = SocketFrameCodec(limits: .init(maxPathLength: 5, maxIDLength: 2))
        #expect(codec.decode("m:A.bcd::") != .dropped(.pathTooLong))
        #expect(codec.decode("m:A.bcde::") == .dropped(.pathTooLong))
        #expect(codec.decode("r:A.b:99:") != .dropped(.idTooLong))
        #expect(codec.decode("r:A.b:100:") == .dropped(.idTooLong))
    }

    @Test func controlFramesAndMessagesCarryNoID() {
        #expect(frame("m:ChatApi.ping:5:").id == "")
        #expect(frame("p:junk:5:").path == "")
        #expect(frame("p:junk:5:").id == "")
    }

    @Test func encodesExactly() {
        #expect(text(SocketFrameCodec.encodeRequest(path: "ChatApi.areYouThere", id: 1, payload: [])) == "r:ChatApi.areYouThere:1:")
        #expect(text(SocketFrameCodec.encode(.handshake, json: [:])) == "h:::{}")
        #expect(text(SocketFrameCodec.encode(.message, path: "ChatApi.markAsRead", json: ["messageId": "m1"])) == #"m:ChatApi.markAsRead::{"messageId":"m1"}"#)
        #expect(text(SocketFrameCodec.handshakeAccepted) == "k:::null")
        let request = frame("r:ChatApi.whoAmI:0042:")
        #expect(text(SocketFrameCodec.encodeResponse(to: request, body: bytes(#"{"success":true,"type":"OK"}"#)))
            == #"s:ChatApi.whoAmI:0042:{"success":true,"type":"OK"}"#)
    }

    @Test(
        "the one-buffer encoder writes the same bytes as the array encoder",
        arguments: [
            (SocketFrame.Kind.response, "ChatApi.sendMessage", "42", #"{"success":true,"type":"OK","data":{"messageId":"général ✓"}}"#),
            (.request, "ChatApi.whoAmI", "1", ""),
            (.message, "Ünï.cødé", "", "[1,\":\"]"),
            (.handshake, "", "", "{}"),
            (.ping, "", "", ""),
        ])
    func encodesIntoOneBuffer(kind: SocketFrame.Kind, path: String, id: String, payload: String) {
        let buffer = SocketFrameCodec.encodeBuffer(kind, path: path, id: id, payload: bytes(payload))
        #expect(Array(buffer.readableBytesView) == SocketFrameCodec.encode(kind, path: path, id: id, payload: bytes(payload)))
        #expect(String(buffer: buffer) == "\(Character(Unicode.Scalar(kind.rawValue))):\(path):\(id):\(payload)")
    }

    @Test("a reply is written once into the buffer the transport sends, as grest-ts frames it")
    func replyIsOneBuffer() async throws {
        var table = SocketHandlerTable(contract: ChatApi.contract, receiving: .clientToServer)
        try table.register(route: "ChatApi.whoAmI") { _ in ContractReply(success: .string("é")) }
        var dispatcher = InboundDispatcher(table: table, gate: ConnectionScopes(scopes: ["chat:admin"]))
        guard case .run(let call) = dispatcher.frameReceived(frame("r:ChatApi.whoAmI:0042:")) else {
            Issue.record("expected a run")
            return
        }
        let (reply, error) = await call.execute()
        #expect(error == nil)
        #expect(reply.map { String(buffer: $0) } == #"s:ChatApi.whoAmI:0042:{"success":true,"type":"OK","data":"é"}"#)
    }

    @Test func roundTripsEveryKind() {
        for kind in SocketFrame.Kind.allCases {
            let original =
                kind.isControl
                ? SocketFrame(kind: kind, payload: bytes("{}"))
                : SocketFrame(kind: kind, path: "A.b", id: kind == .message ? "" : "3", payload: bytes("[1,\":\"]"))
            #expect(frame(text(original.encoded)) == original)
        }
    }
}
