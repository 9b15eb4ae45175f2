import GrestSchema

/// The seed README's `Message`, as a Codable struct and as a GrestSchema object.
struct Message: Codable, Sendable {
    var id: String
    var text: String
    var senderId: String
    var timestamp: Int
}

let IsMessage = IsObject(
    Message.init,
    field("id", \.id, IsString),
    field("text", \.text, IsString),
    field("senderId", \.senderId, IsString),
    field("timestamp", \.timestamp, IsUint)
)

/// The seed README's `SendMessageRequest`.
struct SendMessageRequest: Codable, Sendable {
    var text: String
    var channelId: String
}

let IsSendMessageRequest = IsObject(
    SendMessageRequest.init,
    field("text", \.text, IsString.nonEmpty),
    field("channelId", \.channelId, IsString)
)

let messageJSON = #"{"id":"msg_01HZX3","text":"Hello, is anyone around for the standup?","senderId":"user_8812","timestamp":1732700000}"#
let requestJSON = #"{"text":"Shipping the release now","channelId":"general"}"#

/// About 1 MB: an array of messages with varied text.
func messageArrayJSON(targetBytes: Int = 1_000_000) -> String {
    var parts: [String] = []
    var size = 2
    var index = 0
    while size < targetBytes {
        let item =
            #"{"id":"msg_\#(index)","text":"Message number \#(index) with a few words of text, \u00e9t\u00e9 and \"quotes\"","senderId":"user_\#(index % 97)","timestamp":\#(1_732_700_000 + index)}"#
        parts.append(item)
        size += item.utf8.count + 1
        index += 1
    }
    return "[" + parts.joined(separator: ",") + "]"
}
