public import GrestSchema

/// The two method lists of a duplex socket API (grest-ts `defineSocketContract`).
///
/// ```swift
/// enum ChatApi {
///     static let sendMessage = ContractMethod("sendMessage", input: IsSendMessageRequest, success: IsSendMessageResponse,
///                                             errors: [VALIDATION_ERROR, SERVER_ERROR])
///     static let markAsRead = ContractMethod("markAsRead", input: IsMarkAsRead)   // fire-and-forget
///     static let newMessage = ContractMethod("newMessage", input: IsMessage)
///     static let contract = SocketContract("ChatApi", clientToServer: [sendMessage, markAsRead], serverToClient: [newMessage])
/// }
/// ```
///
/// A method with `success` is request-response (`r` then `s`); without it, fire-and-forget (`m`).
/// Each list is checked with ``Contract/validated(_:_:)`` (names without `:` or whitespace, unique names,
/// a non-public permission lists NOT_AUTHORIZED and FORBIDDEN). Server-to-client methods may not declare
/// a permission (the gate only runs on what clients send), and every route must fit a frame's PATH limit.
public struct SocketContract: Sendable {
    public let name: String
    /// Methods the client calls and the server handles.
    public let clientToServer: [SocketMethod]
    /// Methods the server calls and the client handles.
    public let serverToClient: [SocketMethod]

    /// Builds a contract; an invalid definition stops the process with the reason (a definition bug).
    public init(_ name: String, clientToServer: [any ContractMethodProtocol], serverToClient: [any ContractMethodProtocol]) {
        do {
            self = try SocketContract.validated(name, clientToServer: clientToServer, serverToClient: serverToClient)
        } catch {
            preconditionFailure(error.description)
        }
    }

    private init(name: String, clientToServer: [SocketMethod], serverToClient: [SocketMethod]) {
        self.name = name
        self.clientToServer = clientToServer
        self.serverToClient = serverToClient
    }

    /// Builds a contract, throwing when the definition is invalid.
    public static func validated(
        _ name: String, clientToServer: [any ContractMethodProtocol], serverToClient: [any ContractMethodProtocol],
        maxPathLength: Int = SocketFrameCodec.Limits().maxPathLength
    ) throws(ContractDefinitionError) -> SocketContract {
        let inbound = try Contract.validated(name, clientToServer)
        let outbound = try Contract.validated(name, serverToClient)
        for method in outbound.methods where method.permission != nil && method.permission != .public {
            throw ContractDefinitionError("Contract \(name).\(method.name) is server-to-client: such methods are never gated, remove its permission")
        }
        func methods(_ contract: Contract, _ direction: SocketDirection) throws(ContractDefinitionError) -> [SocketMethod] {
            var result: [SocketMethod] = []
            for descriptor in contract.methods {
                let method = SocketMethod(contractName: name, descriptor: descriptor, direction: direction)
                guard method.route.utf8.count <= maxPathLength else {
                    throw ContractDefinitionError("Contract route \(method.route) is longer than the \(maxPathLength)-byte frame PATH limit")
                }
                result.append(method)
            }
            return result
        }
        return SocketContract(
            name: name, clientToServer: try methods(inbound, .clientToServer), serverToClient: try methods(outbound, .serverToClient))
    }

    /// The route of `method` in this contract: `"<Contract>.<method>"`.
    public func route(of method: some ContractMethodProtocol) -> String {
        name + "." + method.descriptor.name
    }

    /// The methods travelling in `direction`.
    public func methods(_ direction: SocketDirection) -> [SocketMethod] {
        direction == .clientToServer ? clientToServer : serverToClient
    }

    /// The method in `direction` named `name`.
    public func method(named name: String, _ direction: SocketDirection) -> SocketMethod? {
        methods(direction).first { $0.name == name }
    }
}

/// Who sends a method's frames.
public enum SocketDirection: Sendable, Hashable {
    case clientToServer
    case serverToClient
}

/// A contract method placed on a socket: its descriptor, route and sending mode.
public struct SocketMethod: Sendable {
    public let descriptor: ContractMethodDescriptor
    /// `"<Contract>.<method>"`, the frame PATH.
    public let route: String
    public let direction: SocketDirection

    init(contractName: String, descriptor: ContractMethodDescriptor, direction: SocketDirection) {
        self.descriptor = descriptor
        self.route = contractName + "." + descriptor.name
        self.direction = direction
    }

    public var name: String { descriptor.name }
    /// Whether calls wait for an `s` (the method declares `success`); otherwise they are sent as `m`.
    public var isRequestResponse: Bool { descriptor.hasSuccess }
    /// The scope the sender must hold (checked on client-to-server methods only).
    public var permission: Permission? { descriptor.permission }
}
