public import GrestSchema

/// What a test call got back: the typed outcome and, when the wire carried one, the raw JSON envelope.
public struct TestReply<Output: Sendable>: Sendable {
    /// The typed outcome.
    public var result: CallResult<Output>
    /// `{"success":true,"type":"OK","data":…}` or the error JSON, as received.
    public var envelope: JSONValue?
    /// Failures found before this reply reached the current checks (carried across `expectError`).
    var failures: [String] = []

    /// The success envelope's `data`.
    var data: JSONValue? {
        guard case .object(let object)? = envelope else { return nil }
        return object["data"]
    }

    var summary: String {
        switch result {
        case .success: "success \(envelope.map(JSONSubset.render) ?? "OK")"
        case .failure(let error): "error '\(error.type)' \(JSONSubset.render(error.json))"
        }
    }
}
