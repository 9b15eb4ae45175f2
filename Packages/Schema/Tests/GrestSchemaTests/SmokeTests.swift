import GrestSchema
import Tagged
import Testing

enum UserIdTag {}
typealias UserId = Tagged<UserIdTag, String>

struct Message: Sendable, Equatable {
    var id: String
    var text: String
    var senderId: UserId
    var timestamp: Int
    var note: String?
}

let IsUserId = IsString.brand(UserIdTag.self)
let IsMessage = IsObject(
    Message.init,
    field("id", \.id, IsString),
    field("text", \.text, IsString.nonEmpty),
    field("senderId", \.senderId, IsUserId),
    field("timestamp", \.timestamp, IsUint),
    field("note", \.note, IsString.orUndefined)
)

@Test func smoke() throws {
    let value: JSONValue = ["id": "1", "text": "hi", "senderId": "u", "timestamp": 5, "extra": true]
    let message = try IsMessage.parse(value)
    #expect(message == Message(id: "1", text: "hi", senderId: UserId("u"), timestamp: 5, note: nil))
    #expect(IsMessage.stringify(message) == #"{"id":"1","text":"hi","senderId":"u","timestamp":5}"#)
    let bad: JSONValue = ["id": 1, "text": "", "senderId": "u", "timestamp": -1]
    do {
        _ = try IsMessage.parse(bad)
        Issue.record("expected failure")
    } catch {
        #expect(error.issues.map(\.code) == ["invalid.string.type", "invalid.string.nonEmpty", "invalid.number.min"])
        #expect(error.issues.map(\.path) == ["id", "text", "timestamp"])
    }
    let tuple = IsTuple(IsString.schema, IsInt.schema)
    let t = try tuple.parse(["a", 1])
    #expect(t.0 == "a" && t.1 == 1)
}
