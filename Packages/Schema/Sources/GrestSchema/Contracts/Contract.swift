/// A named set of methods shared by servers and clients (grest-ts `GGContractClass`).
///
/// ```swift
/// enum ChatApi {
///     static let sendMessage = ContractMethod("sendMessage", input: IsSendMessageRequest, success: IsSendMessageResponse,
///                                             errors: [VALIDATION_ERROR, SERVER_ERROR])
///     static let ping = ContractMethod("ping")
///     static let contract = Contract("ChatApi", sendMessage, ping)
/// }
/// ```
///
/// Building a contract checks it: names are non-empty and free of `:` and whitespace (they travel in
/// socket frames), method names are unique, permission trees are valid, and a method with a non-public
/// permission lists both `NOT_AUTHORIZED` and `FORBIDDEN` among its errors.
public struct Contract: Sendable {
    public let name: String
    public let methods: [ContractMethodDescriptor]

    private init(uncheckedName name: String, methods: [ContractMethodDescriptor]) {
        self.name = name
        self.methods = methods
    }

    /// Builds a contract; an invalid definition stops the process with the reason (a definition bug).
    public init(_ name: String, _ methods: any ContractMethodProtocol...) {
        do {
            self = try Contract.validated(name, methods)
        } catch {
            preconditionFailure(error.description)
        }
    }

    /// Builds a contract, throwing when the definition is invalid.
    public static func validated(_ name: String, _ methods: [any ContractMethodProtocol]) throws(ContractDefinitionError) -> Contract {
        guard isValidName(name) else { throw ContractDefinitionError("Contract name '\(name)' is not valid: use a non-empty name without ':' or whitespace") }
        var seen: Set<String> = []
        let descriptors = methods.map(\.descriptor)
        for method in descriptors {
            guard isValidName(method.name) else {
                throw ContractDefinitionError("Contract \(name) has an invalid method name '\(method.name)': use a non-empty name without ':' or whitespace")
            }
            guard seen.insert(method.name).inserted else { throw ContractDefinitionError("Contract \(name) defines \(method.name) twice") }
            if let permission = method.permission {
                do {
                    try permission.validate(path: "\(name).\(method.name).permission")
                } catch {
                    throw ContractDefinitionError(error.description)
                }
                if !permission.isPublic {
                    let types = Set(method.errors.map(\.type))
                    guard types.contains("NOT_AUTHORIZED"), types.contains("FORBIDDEN") else {
                        throw ContractDefinitionError(
                            "Contract \(name).\(method.name) has a non-public permission but its 'errors' array must include both NOT_AUTHORIZED and FORBIDDEN"
                        )
                    }
                }
            }
            if let limit = method.maxBodyBytes, limit <= 0 {
                throw ContractDefinitionError("Contract \(name).\(method.name).maxBodyBytes must be a positive integer")
            }
        }
        return Contract(uncheckedName: name, methods: descriptors)
    }

    /// The method named `name`.
    public func method(named name: String) -> ContractMethodDescriptor? {
        methods.first { $0.name == name }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == ":" || JavaScriptString.isWhitespace($0) }
    }
}

/// Why a contract definition was refused; the message names `Api.method`.
public struct ContractDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
