import GrestSchema
import Testing

private struct Count: Sendable, Equatable {
    var value: Int
}

private let IsCount = IsObject(Count.init, field("value", \.value, IsInt))
private let double = ContractMethod("double", input: IsCount, success: IsCount, errors: [NOT_FOUND])

private func text(_ reply: ContractReply) -> String { String(decoding: reply.body, as: UTF8.self) }

/// The erased handler a transport stores runs the grest-ts executor: coerced input, listed errors only, valid replies.
@Test func erasedHandlerRunsTheExecutor() async {
    let handler = double.erasedHandler { count in
        if count.value == 0 { throw NOT_FOUND() }
        if count.value < 0 { throw FORBIDDEN() }
        return Count(value: count.value * 2)
    }
    // Coerced ("21" → 21), unknown keys stripped.
    let ok = await handler(["value": "21", "extra": true])
    #expect(ok.statusCode == 200 && ok.error == nil)
    #expect(text(ok) == #"{"success":true,"type":"OK","data":{"value":42}}"#)

    let invalid = await handler(["value": "many"])
    #expect(invalid.error?.type == "VALIDATION_ERROR" && invalid.statusCode == 422)
    #expect(invalid.error?.displayMessage == "Invalid arguments")

    let listed = await handler(["value": 0])
    #expect(listed.error?.type == "NOT_FOUND" && listed.statusCode == 404)

    // FORBIDDEN is not listed by `double`: it goes out as SERVER_ERROR "Invalid response".
    let unlisted = await handler(["value": -1])
    #expect(unlisted.error?.type == "SERVER_ERROR" && unlisted.statusCode == 500)
    #expect(unlisted.error?.displayMessage == "Invalid response")
}
