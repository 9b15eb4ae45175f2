import GrestContext
import GrestHTTP
import GrestSchema
import GrestTestKit
import GrestWebSocket
import Logging
import ServiceLifecycle
import Synchronization

// A small system to test the test kit with: `Users` (service B) serves users over HTTP; `Greeter` (service A)
// calls Users through its environment and serves greetings over HTTP and a socket room with a server push and a
// server-to-client request.

struct User: Sendable, Equatable {
    var id: String
    var name: String
}

let IsUser = IsObject(User.init, field("id", \.id, IsString.nonEmpty), field("name", \.name, IsString))

struct UserID: Sendable, Equatable {
    var id: String
}

struct UserQuery: Sendable, Equatable {
    var prefix: String
}

enum UsersApi {
    static let get = ContractMethod("get", input: IsObject(UserID.init, field("id", \.id, IsString.nonEmpty)), success: IsUser, errors: [NOT_FOUND])
    static let list = ContractMethod(
        "list", input: IsObject(UserQuery.init, field("prefix", \.prefix, IsString)), success: IsArray(IsUser))
    static let contract = Contract("UsersApi", get, list)
    static let schema = HTTPSchema(contract, pathPrefix: "users").routes {
        $0.get(get, "/:id")
        $0.get(list, "/")
    }
}

/// Service B's state: the users and how often each method was really called.
final class UserStore: Sendable {
    let users: [String: User] = ["u1": User(id: "u1", name: "Ada"), "u2": User(id: "u2", name: "Grace"), "x9": User(id: "x9", name: "Xu")]
    let calls = Mutex<[String: Int]>([:])

    func count(_ method: String) -> Int { calls.withLock { $0[method] ?? 0 } }

    func record(_ method: String) { calls.withLock { $0[method, default: 0] += 1 } }

    func app() -> GrestAppDefinition {
        GrestAppDefinition(name: "users") { [self] environment in
            let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), logger: environment.logger)
            server.register(UsersApi.schema, middleware: environment.middleware) { api in
                api.handle(UsersApi.get) { request in
                    self.record("get")
                    guard let user = self.users[request.id] else { throw NOT_FOUND(displayMessage: "No user \(request.id)") }
                    return user
                }
                api.handle(UsersApi.list) { query in
                    self.record("list")
                    return self.users.values.filter { $0.id.hasPrefix(query.prefix) }.sorted { $0.id < $1.id }
                }
            }
            return [server]
        }
    }
}

struct Greeting: Sendable, Equatable {
    var text: String
}

let IsGreeting = IsObject(Greeting.init, field("text", \.text, IsString))

struct GreetMany: Sendable, Equatable {
    var ids: [String]
}

struct Signup: Sendable, Equatable {
    var items: [UserID]
}

enum GreeterApi {
    static let greet = ContractMethod(
        "greet", input: IsObject(UserID.init, field("id", \.id, IsString.nonEmpty)), success: IsGreeting, errors: [NOT_FOUND])
    static let greetMany = ContractMethod(
        "greetMany", input: IsObject(GreetMany.init, field("ids", \.ids, IsArray(IsString))), success: IsArray(IsGreeting), errors: [NOT_FOUND])
    static let roster = ContractMethod("roster", success: IsArray(IsString))
    static let signup = ContractMethod(
        "signup", input: IsObject(Signup.init, field("items", \.items, IsArray(IsObject(UserID.init, field("id", \.id, IsString.nonEmpty))))),
        success: IsUint, errors: [VALIDATION_ERROR])
    static let whoami = ContractMethod("whoami", success: IsString, errors: [NOT_AUTHORIZED])
    static let greetLater = ContractMethod("greetLater", input: IsObject(UserID.init, field("id", \.id, IsString.nonEmpty)))
    static let contract = Contract("GreeterApi", greet, greetMany, roster, signup, whoami, greetLater)
    static let schema = HTTPSchema(contract, pathPrefix: "greeter").use(CallerMiddleware()).routes {
        $0.get(whoami, "/whoami")
        $0.post(greetLater, "/greet-later")
        $0.get(greet, "/greet/:id")
        $0.post(greetMany, "/greet-many")
        $0.get(roster, "/roster")
        $0.post(signup, "/signup")
    }
}

let callerKey = ContextKey<String>("caller", description: "Who is calling, from x-user")

/// The demo's auth: `x-user` names the caller.
struct CallerMiddleware: TransportMiddleware {
    var requestHeaders: [String] { ["x-user"] }

    func parse(_ request: InboundRequest) throws {
        if let user = request.header("x-user") { try callerKey.set(user) }
    }
}

struct Say: Sendable, Equatable {
    var text: String
    var delayMs: Int
}

struct Said: Sendable, Equatable {
    var text: String
}

let IsSaid = IsObject(Said.init, field("text", \.text, IsString))

enum RoomApi {
    static let say = ContractMethod(
        "say", input: IsObject(Say.init, field("text", \.text, IsString.nonEmpty), field("delayMs", \.delayMs, IsUint)), success: IsBoolean,
        errors: [VALIDATION_ERROR])
    static let rollCall = ContractMethod("rollCall", success: IsUint)
    static let whois = ContractMethod(
        "whois", input: IsObject(UserID.init, field("id", \.id, IsString.nonEmpty)), success: IsString, errors: [NOT_FOUND])
    static let said = ContractMethod("said", input: IsSaid)
    static let areYouThere = ContractMethod("areYouThere", success: IsBoolean, errors: [SERVER_ERROR])
    static let contract = SocketContract("RoomApi", clientToServer: [say, rollCall, whois], serverToClient: [said, areYouThere])
}

let RoomSocket = webSocketSchema(RoomApi.contract).path("ws/room").done()

/// Service A: greets users it looks up in service B, and runs a chat room.
final class Greeter: Sendable {
    let served = Mutex(0)
    let room = Mutex<[UInt64: SocketOutgoing]>([:])
    let nextID = Mutex<UInt64>(0)

    func app() -> GrestAppDefinition {
        GrestAppDefinition(name: "greeter") { [self] environment in
            let users = try await environment.client(for: UsersApi.schema)
            let logger = environment.logger
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.metricsFactory = environment.metricsFactory
            let server = HTTPServer(configuration: configuration, logger: logger)
            server.register(GreeterApi.schema, middleware: environment.middleware) { api in
                api.handle(GreeterApi.greet) { request in
                    let user = try await users.call(UsersApi.get, request)
                    self.served.withLock { $0 += 1 }
                    logger.info("greeting \(user.id)")
                    return Greeting(text: "Hello, \(user.name)!")
                }
                api.handle(GreeterApi.greetMany) { request in
                    var greetings: [Greeting] = []
                    for id in request.ids { greetings.append(Greeting(text: "Hello, \(try await users.call(UsersApi.get, UserID(id: id)).name)!")) }
                    return greetings
                }
                api.handle(GreeterApi.roster) { try await users.call(UsersApi.list, UserQuery(prefix: "u")).map(\.name) }
                api.handle(GreeterApi.signup) { request in request.items.count }
                api.handle(GreeterApi.greetLater) { request in
                    // Answers at once and looks the user up 300 ms later, as a background job would (the task
                    // inherits the request's context, test scope included).
                    Task {
                        try? await Task.sleep(for: .milliseconds(300))
                        if let user = try? await users.call(UsersApi.get, request) { logger.info("greeted \(user.name) later") }
                    }
                }
                api.handle(GreeterApi.whoami) {
                    guard let caller = callerKey.get() else { throw NOT_AUTHORIZED() }
                    return caller
                }
            }
            try server.register(RoomSocket, middleware: environment.middleware) { socket in try self.join(socket, users: users) }
            return [server]
        }
    }

    private func join(_ socket: ServerSocket<Void>, users: HTTPClient) throws {
        let id = nextID.withLock { id in
            id += 1
            return id
        }
        room.withLock { $0[id] = socket.outgoing }
        try socket.incoming.on(RoomApi.say) { [self] request in
            let everyone = room.withLock { Array($0.values) }
            if request.delayMs == 0 {
                for peer in everyone { try? await peer.call(RoomApi.said, Said(text: request.text)) }
            } else {
                // The reply goes out at once; the push follows later, as a background event would.
                let outgoing = socket.outgoing
                Task {
                    try? await Task.sleep(for: .milliseconds(request.delayMs))
                    try? await outgoing.call(RoomApi.said, Said(text: request.text))
                }
            }
            return true
        }
        try socket.incoming.on(RoomApi.whois) { request in try await users.call(UsersApi.get, request).name }
        try socket.incoming.on(RoomApi.rollCall) { [self] in
            let everyone = room.withLock { Array($0.values) }
            var present = 0
            for peer in everyone where (try? await peer.call(RoomApi.areYouThere, timeout: .seconds(2))) == true { present += 1 }
            return present
        }
        socket.onClose { [self] in _ = room.withLock { $0.removeValue(forKey: id) } }
    }
}

/// Users then Greeter (Greeter looks Users up when it starts).
func demoApps(_ store: UserStore = UserStore(), _ greeter: Greeter = Greeter()) -> [GrestAppDefinition] {
    [store.app(), greeter.app()]
}
