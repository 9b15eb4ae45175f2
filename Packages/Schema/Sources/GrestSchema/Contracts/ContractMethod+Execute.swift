/// A reply ready to send: the status and the JSON envelope.
public struct ContractReply: Sendable {
    /// 200 on success, else the error's status.
    public let statusCode: Int
    /// `{"success":true,"type":"OK","data"?:…}` or the error JSON.
    public let body: [UInt8]
    /// The error, when the call failed (for logs and metrics).
    public let error: ServiceError?

    /// A reply carrying `error`.
    public init(error: ServiceError) {
        self.statusCode = error.statusCode
        self.body = error.jsonBytes
        self.error = error
    }

    @usableFromInline
    init(successBody: [UInt8]) {
        self.statusCode = 200
        self.body = successBody
        self.error = nil
    }

    /// A success envelope around untyped `data` (`data` left out when `nil`), for proxies and raw handlers.
    public init(success data: JSONValue?) {
        var envelope: JSONObject = ["success": .bool(true), "type": .string("OK")]
        if let data { envelope.append("data", data) }
        var writer = JSONWriter(reservingCapacity: 64)
        writer.write(.object(envelope))
        self.init(successBody: writer.bytes)
    }

    /// The empty success envelope, `{"success":true,"type":"OK"}`.
    public static let emptySuccess = ContractReply(successBody: Array(#"{"success":true,"type":"OK"}"#.utf8))
}

extension ContractMethod {
    /// Parses raw input the way a server does: coerced, unknown keys stripped; failure is a
    /// `VALIDATION_ERROR` with display message "Invalid arguments".
    @inlinable
    public func parseInput(_ raw: JSONValue?, coerce: Bool = true) throws(ServiceError) -> Input {
        do {
            return try input.parse(raw, coerce: coerce)
        } catch {
            throw VALIDATION_ERROR(error, displayMessage: "Invalid arguments")
        }
    }

    /// Runs `handler` with grest-ts executor semantics and encodes the reply:
    /// input parse failure → `VALIDATION_ERROR` "Invalid arguments"; a thrown error whose TYPE the method
    /// does not list → `SERVER_ERROR` "Invalid response"; any non-grest error → `SERVER_ERROR`; success data
    /// that breaks the schema → `SERVER_ERROR` "Invalid response".
    ///
    /// Inlinable, like ``parseInput(_:coerce:)`` and ``encodeSuccess(_:)``: a server registering a typed handler
    /// gets this chain specialised for its types, without runtime generic metadata lookups per call.
    @inlinable
    public func execute(input raw: JSONValue?, coerce: Bool = true, _ handler: (Input) async throws -> Success) async -> ContractReply {
        let value: Input
        do {
            value = try parseInput(raw, coerce: coerce)
        } catch {
            return ContractReply(error: error)
        }
        do {
            return encodeSuccess(try await handler(value))
        } catch {
            return ContractReply(error: checkedError(error))
        }
    }

    /// `handler` with its types erased, as a server stores it: raw input in (coerced, unknown keys stripped), exactly
    /// one encoded reply out, through ``execute(input:coerce:_:)``.
    ///
    /// Inlinable: a transport's typed `on`/`handle` entry, itself inlinable, calls this in the adopter's module, where
    /// `Input` and `Success` are known, so the whole chain runs specialised.
    @inlinable
    public func erasedHandler(_ handler: @escaping @Sendable (Input) async throws -> Success) -> @Sendable (JSONValue?) async -> ContractReply {
        { raw in await execute(input: raw, coerce: true, handler) }
    }

    /// The thrown error as it may go on the wire: listed TYPEs pass (with valid data), others become
    /// `SERVER_ERROR` "Invalid response", non-grest errors `SERVER_ERROR`.
    public func checkedError(_ error: any Error) -> ServiceError {
        let error = ServiceError.fromUnknown(error)
        if error.type == "SERVER_ERROR" || error.type == "PAYLOAD_TOO_LARGE" { return error }
        guard let listed = errors.first(where: { $0.type == error.type }) else {
            return SERVER_ERROR(displayMessage: "Invalid response", debugMessage: "Tried to reply with not listed error code!", originalError: error)
        }
        guard listed.acceptsData(error.data) else {
            return SERVER_ERROR(displayMessage: "Invalid response", debugMessage: "Response validation failed!", originalError: error)
        }
        return error
    }

    /// The success envelope for `value`, or `SERVER_ERROR` "Invalid response" when it breaks the schema.
    @inlinable
    public func encodeSuccess(_ value: Success) -> ContractReply {
        guard hasSuccess else { return .emptySuccess }
        var writer = JSONWriter(reservingCapacity: 256)
        writer.writeRaw(#"{"success":true,"type":"OK","data":"#.utf8)
        var context = ParseContext()
        success.write(value, to: &writer, in: &context)
        if context.hasIssues {
            return ContractReply(
                error: SERVER_ERROR(
                    displayMessage: "Invalid response", debugMessage: "Tried to reply with invalid response data!",
                    debugData: IssueList(context.issues).json))
        }
        writer.writeRaw(UInt8(ascii: "}"))
        return ContractReply(successBody: writer.bytes)
    }

    /// Reads a reply envelope on the calling side: typed success data, or the error when its TYPE is a
    /// system one or listed by the method; anything else becomes `SERVER_ERROR`.
    public func decodeReply(_ body: JSONValue) -> CallResult<Success> {
        guard case .object(let object) = body else {
            return .failure(SERVER_ERROR(debugMessage: "Response is not a JSON object", debugData: body))
        }
        if object["success"] == .bool(true) {
            // Without success data the schema is the no-data one (Success == Void), which reads anything as `()`.
            do {
                return .success(try success.parse(hasSuccess ? object["data"] : nil))
            } catch {
                return .failure(SERVER_ERROR(displayMessage: "Invalid response", debugMessage: "Response validation failed!", debugData: error.json))
            }
        }
        guard let error = ServiceError(json: body) else {
            return .failure(SERVER_ERROR(debugMessage: "Response is not a grest envelope", debugData: body))
        }
        guard systemErrorTypes.contains(error.type) || errors.contains(where: { $0.type == error.type }) else {
            let known = errors.map(\.type)
            return .failure(
                SERVER_ERROR(
                    debugMessage: "Failed to create error from server error response!",
                    debugData: [
                        "unknownErrorType": .string(error.type), "knownErrorTypes": .string(known.isEmpty ? "(none)" : known.joined(separator: ",")),
                        "response": body,
                    ]))
        }
        return .failure(error)
    }

    /// Encodes the input for sending (validated; the caller's own mistake throws `VALIDATION_ERROR`).
    public func encodeInput(_ value: Input) throws(ServiceError) -> [UInt8] {
        do {
            return try input.jsonBytes(value)
        } catch {
            throw VALIDATION_ERROR(error, displayMessage: "Invalid arguments")
        }
    }
}
