import GrestSchema
import GrestWebSocket

struct SendMessageRequest: Sendable, Equatable {
    var text: String
    var channelId: String
}

struct SendMessageResponse: Sendable, Equatable {
    var success: Bool
    var messageId: String
}

struct MarkAsRead: Sendable, Equatable {
    var messageId: String
}

struct RoomQuery: Sendable, Equatable {
    var room: String
    var version: Int
}

let ROOM_FULL = ErrorKind.define("ROOM_FULL", status: 400)
let NOT_LISTED = ErrorKind.define("NOT_LISTED", status: 409)

enum ChatApi {
    static let IsSendMessageRequest = IsObject(
        SendMessageRequest.init, field("text", \.text, IsString.nonEmpty), field("channelId", \.channelId, IsString))
    static let IsSendMessageResponse = IsObject(
        SendMessageResponse.init, field("success", \.success, IsBoolean), field("messageId", \.messageId, IsString))

    static let sendMessage = ContractMethod(
        "sendMessage", input: IsSendMessageRequest, success: IsSendMessageResponse, errors: [VALIDATION_ERROR, SERVER_ERROR, ROOM_FULL])
    static let markAsRead = ContractMethod("markAsRead", input: IsObject(MarkAsRead.init, field("messageId", \.messageId, IsString)))
    static let ping = ContractMethod("ping")
    static let whoAmI = ContractMethod(
        "whoAmI", success: IsString, errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .anyOf("chat:admin", .allOf("chat:read", "chat:write")))
    static let newMessage = ContractMethod("newMessage", input: IsString)
    static let areYouThere = ContractMethod("areYouThere", success: IsBoolean, errors: [SERVER_ERROR])

    static let contract = SocketContract(
        "ChatApi", clientToServer: [sendMessage, markAsRead, ping, whoAmI], serverToClient: [newMessage, areYouThere])
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Decodes a frame that must decode.
func frame(_ text: String) -> SocketFrame {
    guard case .frame(let frame) = SocketFrameCodec().decode(text) else { fatalError("not a frame: \(text)") }
    return frame
}

/// The JSON body of an encoded frame (everything after the third colon).
func body(of encoded: [UInt8]) -> JSONValue? {
    frame(text(encoded)).data().value
}

let t0 = ContinuousClock.now
