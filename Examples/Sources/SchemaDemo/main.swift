// `make run`: parse, validate, coerce and serialise with GrestSchema, and show the wire errors a
// grest-ts peer would receive. (The chat example replaces this demo once the WebSocket layer lands.)
import GrestSchema
import Tagged

enum UserIdTag {}
typealias UserId = Tagged<UserIdTag, String>

struct Message: Sendable {
    var id: String
    var text: String
    var senderId: UserId
    var timestamp: Int
}

let IsMessage = IsObject(
    Message.init,
    field("id", \.id, IsString),
    field("text", \.text, IsString.nonEmpty.maxLength(280)),
    field("senderId", \.senderId, IsString.brand(UserIdTag.self)),
    field("timestamp", \.timestamp, IsUint)
)

struct Query: Sendable {
    var page: Int
    var limit: Int
    var q: String?
}

let IsQuery = IsObject(
    Query.init,
    field("page", \.page, IsPosInt.default(1)),
    field("limit", \.limit, IsInt.range(1, 100).default(20)),
    field("q", \.q, IsString.trim.nonEmpty.orUndefined)
)

func show(_ title: String, _ body: () throws -> String) {
    print("▸ \(title)")
    do {
        print("  " + (try body()))
    } catch let issues as IssueList {
        print("  " + VALIDATION_ERROR(issues, displayMessage: "Invalid arguments").toText().replacingTabs())
        print("  wire: " + String(decoding: VALIDATION_ERROR(issues, displayMessage: "Invalid arguments").jsonBytes, as: UTF8.self))
    } catch {
        print("  \(error)")
    }
    print()
}

extension String {
    func replacingTabs() -> String { split(separator: "\t", omittingEmptySubsequences: false).joined(separator: "    ") }
}

print("GrestSchema demo — the validation layer of Grest Swift\n")

show("A valid message; unknown keys are stripped on the way back out") {
    let message = try IsMessage.parse(json: #"{"id":"m1","text":"hello","senderId":"u42","timestamp":1732700000,"admin":true}"#)
    return "parsed \(message.senderId.rawValue): \(message.text) → " + (IsMessage.stringify(message) ?? "")
}

show("Three bad fields give three issues with paths and grest-ts codes") {
    let message = try IsMessage.parse(json: #"{"id":7,"text":"","senderId":"u42","timestamp":-1}"#)
    return IsMessage.stringify(message) ?? ""
}

show("Query strings are coerced like grest-ts (JS Number(), defaults, trim)") {
    let query = try IsQuery.parse(["limit": " 42 ", "q": "  swift  "], coerce: true)
    return "page=\(query.page) limit=\(query.limit) q=\(query.q ?? "nil")"
}

show("Out-of-range coerced input is still rejected") {
    let query = try IsQuery.parse(["page": "0", "limit": "1e3"], coerce: true)
    return "page=\(query.page)"
}

show("Not JSON at all") {
    let message = try IsMessage.parse(json: #"{"id": "m1", "text": }"#)
    return message.id
}

let contractMethodLine = ContractMethod("sendMessage", input: IsMessage, success: IsMessage, errors: [VALIDATION_ERROR, SERVER_ERROR])
print("▸ A contract method executing a handler that returns invalid data")
let reply = await contractMethodLine.execute(input: ["id": "m1", "text": "hi", "senderId": "u1", "timestamp": 1]) { message in
    Message(id: message.id, text: "", senderId: message.senderId, timestamp: message.timestamp)
}
print("  status \(reply.statusCode): " + String(decoding: reply.body, as: UTF8.self))
