/// One method of a contract: its input, success and error schemas and the permission it needs
/// (grest-ts `{input?, success?, errors?, permission?}`).
///
/// A method without `success` is fire-and-forget on sockets and returns no data over HTTP; a method without
/// `input` ignores whatever the caller sends.
///
/// ```swift
/// static let sendMessage = ContractMethod("sendMessage",
///     input: IsSendMessageRequest, success: IsSendMessageResponse,
///     errors: [VALIDATION_ERROR, SERVER_ERROR])
/// ```
public struct ContractMethod<Input: Sendable, Success: Sendable>: ContractMethodProtocol {
    public let name: String
    public let input: Schema<Input>
    public let success: Schema<Success>
    public let hasInput: Bool
    public let hasSuccess: Bool
    public let errors: [ErrorDescriptor]
    public let permission: Permission?
    /// A per-method request body limit (HTTP), overriding the server's.
    public let maxBodyBytes: Int?

    init(
        name: String, input: Schema<Input>, hasInput: Bool, success: Schema<Success>, hasSuccess: Bool, errors: [any ErrorKindProtocol],
        permission: Permission?, maxBodyBytes: Int?
    ) {
        self.name = name
        self.input = input
        self.hasInput = hasInput
        self.success = success
        self.hasSuccess = hasSuccess
        self.errors = errors.map(\.descriptor)
        self.permission = permission
        self.maxBodyBytes = maxBodyBytes
    }

    /// A request-response method with input.
    public init(
        _ name: String, input: some SchemaConvertible<Input>, success: some SchemaConvertible<Success>, errors: [any ErrorKindProtocol] = [],
        permission: Permission? = nil, maxBodyBytes: Int? = nil
    ) {
        self.init(
            name: name, input: input.schema, hasInput: true, success: success.schema, hasSuccess: true, errors: errors, permission: permission,
            maxBodyBytes: maxBodyBytes)
    }

    public var descriptor: ContractMethodDescriptor {
        ContractMethodDescriptor(
            name: name, input: hasInput ? input.description : nil, success: hasSuccess ? success.description : nil, errors: errors,
            permission: permission, maxBodyBytes: maxBodyBytes)
    }
}

extension ContractMethod where Input == Void {
    /// A request-response method without input.
    public init(
        _ name: String, success: some SchemaConvertible<Success>, errors: [any ErrorKindProtocol] = [], permission: Permission? = nil,
        maxBodyBytes: Int? = nil
    ) {
        self.init(
            name: name, input: NoData.schema, hasInput: false, success: success.schema, hasSuccess: true, errors: errors,
            permission: permission, maxBodyBytes: maxBodyBytes)
    }
}

extension ContractMethod where Success == Void {
    /// A method with input and no success data (fire-and-forget on sockets).
    public init(
        _ name: String, input: some SchemaConvertible<Input>, errors: [any ErrorKindProtocol] = [], permission: Permission? = nil,
        maxBodyBytes: Int? = nil
    ) {
        self.init(
            name: name, input: input.schema, hasInput: true, success: NoData.schema, hasSuccess: false, errors: errors, permission: permission,
            maxBodyBytes: maxBodyBytes)
    }
}

extension ContractMethod where Input == Void, Success == Void {
    /// A method with neither input nor success data (`ping: {}`).
    public init(_ name: String, errors: [any ErrorKindProtocol] = [], permission: Permission? = nil, maxBodyBytes: Int? = nil) {
        self.init(
            name: name, input: NoData.schema, hasInput: false, success: NoData.schema, hasSuccess: false, errors: errors,
            permission: permission, maxBodyBytes: maxBodyBytes)
    }
}

/// The absence of data: accepts anything (ignored) and writes nothing.
enum NoData {
    static let schema = Schema<Void>(
        description: SchemaDescription(.unknown),
        parse: { _, _ in () },
        write: { _, writer, _ in writer.writeNull() },
        encode: { _ in .null }
    )
}

/// A contract method with its Swift types erased: what transports and docs iterate over.
public struct ContractMethodDescriptor: Sendable {
    public let name: String
    /// The input description, `nil` when the method takes no input.
    public let input: SchemaDescription?
    /// The success description, `nil` for fire-and-forget / no data.
    public let success: SchemaDescription?
    public let errors: [ErrorDescriptor]
    public let permission: Permission?
    public let maxBodyBytes: Int?

    /// Whether the method answers with data (request-response).
    public var hasSuccess: Bool { success != nil }

    /// Whether `type` may be returned by this method: listed, or one a transport produces itself.
    public func allowsError(_ type: String) -> Bool {
        type == "SERVER_ERROR" || type == "PAYLOAD_TOO_LARGE" || errors.contains { $0.type == type }
    }
}

/// Anything that describes a contract method.
public protocol ContractMethodProtocol: Sendable {
    var descriptor: ContractMethodDescriptor { get }
}
