import GrestContext
import GrestHTTP
import GrestSchema
import NIOHTTP1
import Synchronization

/// How many `create` calls with id "backlog" the server handled: the backlog test waits on it instead of sleeping.
let backlogCreates = Mutex(0)

struct ItemID: Sendable { var id: String }
struct Item: Sendable, Equatable { var id: String; var name: String; var qty: Int }
struct Search: Sendable, Equatable { var q: String; var limit: Int }
struct Delay: Sendable { var ms: Int }
struct Upload: Sendable { var data: String }
struct Size: Sendable { var size: Int }
struct RequestEcho: Sendable { var method: String; var path: String; var port: Int; var ref: String; var childRef: String }

let IsItemID = IsObject(ItemID.init, field("id", \.id, IsString))
let IsItem = IsObject(Item.init, field("id", \.id, IsString), field("name", \.name, IsString.nonEmpty), field("qty", \.qty, IsInt))
let IsSearch = IsObject(Search.init, field("q", \.q, IsString), field("limit", \.limit, IsInt))

/// A contract exercising the wire format, input mapping and limits.
enum ItemsApi {
    static let get = ContractMethod("get", input: IsItemID, success: IsItem, errors: [NOT_FOUND, VALIDATION_ERROR])
    static let search = ContractMethod("search", input: IsSearch, success: IsSearch, errors: [VALIDATION_ERROR])
    static let create = ContractMethod("create", input: IsItem, success: IsItem, errors: [VALIDATION_ERROR])
    static let update = ContractMethod("update", input: IsItem, success: IsItem, errors: [VALIDATION_ERROR])
    static let remove = ContractMethod("remove", input: IsItemID, errors: [NOT_FOUND])
    static let info = ContractMethod(
        "info",
        success: IsObject(
            RequestEcho.init, field("method", \.method, IsString), field("path", \.path, IsString), field("port", \.port, IsInt),
            field("ref", \.ref, IsString), field("childRef", \.childRef, IsString)))
    static let slow = ContractMethod("slow", input: IsObject(Delay.init, field("ms", \.ms, IsInt)), success: IsObject(Delay.init, field("ms", \.ms, IsInt)))
    static let upload = ContractMethod(
        "upload", input: IsObject(Upload.init, field("data", \.data, IsString)), success: IsObject(Size.init, field("size", \.size, IsInt)))
    static let contract = Contract("ItemsApi", get, search, create, update, remove, info, slow, upload)

    static let http = HTTPSchema(contract, pathPrefix: "api/items").routes { r in
        r.get(search, "/search")
        r.get(info, "/info")
        r.get(slow, "/slow")
        r.get(get, "/:id")
        r.post(create, "/")
        r.put(update, "/:id")
        r.delete(remove, "/:id")
        r.post(upload, "/upload", maxBodyBytes: 4 << 20)
    }

    static func implement(_ impl: HTTPImplementation) {
        impl.handle(get) { input in
            switch input.id {
            case "missing": throw NOT_FOUND(displayMessage: "No such item")
            case "unlisted": throw EXISTS()
            case "invalid": return Item(id: "invalid", name: "", qty: 1)
            case "crash": throw CancellationError()
            default: return Item(id: input.id, name: "item " + input.id, qty: 1)
            }
        }
        impl.handle(search) { $0 }
        impl.handle(create) { item in
            if item.id == "backlog" { backlogCreates.withLock { $0 += 1 } }
            return item
        }
        impl.handle(update) { $0 }
        impl.handle(remove) { input in if input.id == "missing" { throw NOT_FOUND() } }
        impl.handle(info) {
            let request = try HTTPRequestInfo.key.assert()
            // Readable from a child task too.
            let childRef = await Task { HTTPRequestInfo.ref.get() ?? "" }.value
            return RequestEcho(method: request.method, path: request.path, port: request.port, ref: HTTPRequestInfo.ref.get() ?? "", childRef: childRef)
        }
        impl.handle(slow) { input in
            try await Task.sleep(for: .milliseconds(input.ms))
            return input
        }
        impl.handle(upload) { Size(size: $0.data.utf8.count) }
    }
}

// MARK: Permissions

struct Note: Sendable { var text: String }
let IsNote = IsObject(Note.init, field("text", \.text, IsString.nonEmpty))

/// Scopes a test caller claims, set by ``ScopesHeader`` from `x-scopes` (absent = anonymous).
let callerScopes = ContextKey<Set<String>>("test.scopes")

/// Server middleware that reads `x-scopes: a,b`; `x-scopes: !throw` makes the resolver throw.
struct ScopesHeader: TransportMiddleware {
    var requestHeaders: [String] { ["x-scopes"] }
    func parse(_ request: InboundRequest) throws {
        guard let value = request.header("x-scopes") else { return }
        try callerScopes.set(Set(value.split(separator: ",").map(String.init)))
    }
}

let testResolver: ScopeResolver = {
    guard let scopes = callerScopes.get() else { return nil }
    if scopes.contains("!throw") { throw CancellationError() }
    return scopes
}

enum SecureApi {
    static let auth: [any ErrorKindProtocol] = [NOT_AUTHORIZED, FORBIDDEN, VALIDATION_ERROR]
    static let read = ContractMethod("read", success: IsNote, errors: auth, permission: "notes:read")
    static let write = ContractMethod("write", input: IsNote, success: IsNote, errors: auth, permission: "notes:write")
    static let manage = ContractMethod("manage", input: IsItemID, success: IsNote, errors: auth, permission: .any)
    static let open = ContractMethod("open", success: IsNote, permission: .public)
    static let contract = Contract("SecureApi", read, write, manage, open)

    static let http = HTTPSchema(contract, pathPrefix: "secure").use(ScopesHeader()).routes { r in
        r.get(read, "/read")
        r.post(write, "/write")
        r.get(manage, "/manage/:id")
        r.get(open, "/open")
    }

    static func implement(_ impl: HTTPImplementation, calls: CallCounter? = nil) {
        impl.handle(read) { calls?.increment(); return Note(text: "read") }
        impl.handle(write) { calls?.increment(); return $0 }
        impl.handle(manage) { input in
            calls?.increment()
            let checker = try PermissionContext.checker.assert()
            if checker.has("notes:admin") { return Note(text: "admin") }
            if checker.has(.scope("owner:" + input.id)) { return Note(text: "owner") }
            throw FORBIDDEN(displayMessage: "Not yours")
        }
        impl.handle(open) { Note(text: "open \(PermissionContext.checker.get()?.scopes.sorted() ?? [])") }
    }
}

/// A public-only contract with no permissions at all.
enum PingApi {
    static let ping = ContractMethod("ping", success: IsNote)
    static let contract = Contract("PingApi", ping)
    static let http = HTTPSchema(contract, pathPrefix: "ping").routes { $0.get(ping, "/") }
    static func implement(_ impl: HTTPImplementation) { impl.handle(ping) { Note(text: "pong") } }
}

import Synchronization

final class CallCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}
