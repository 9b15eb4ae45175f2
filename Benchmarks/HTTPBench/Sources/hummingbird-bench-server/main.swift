// Hummingbird 2 serving the two benchmark routes of grest-http-bench-server, written the way a Hummingbird
// app would (Codable in and out), answering the same JSON values:
//   POST /bench/echo         {"id":1,"name":…,"tags":[…],"price":…,"inStock":…} → {"success":true,"type":"OK","data":<same>}
//   GET  /bench/items/:id    → {"success":true,"type":"OK","data":{"id":…,"name":"item <id>"}}
//
//   hummingbird-bench-server [port]     prints "listening on <port>" once bound
import Hummingbird

#if canImport(Glibc)
import Glibc
#endif

struct Product: Codable, Sendable {
    var id: Int
    var name: String
    var tags: [String]
    var price: Double
    var inStock: Bool
}

struct Item: Codable, Sendable {
    var id: String
    var name: String
}

struct Envelope<Data: Codable & Sendable>: ResponseEncodable, Sendable {
    var success = true
    var type = "OK"
    var data: Data
}

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
let router = Router()
router.post("/bench/echo") { request, context -> Envelope<Product> in
    Envelope(data: try await request.decode(as: Product.self, context: context))
}
router.get("/bench/items/:id") { _, context -> Envelope<Item> in
    let id = try context.parameters.require("id")
    return Envelope(data: Item(id: id, name: "item " + id))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        announce("listening on \(channel.localAddress?.port ?? 0)\n")
    }
)
try await app.runService()

/// Writes straight to fd 1, unbuffered, so the benchmark script sees the port at once.
func announce(_ line: String) {
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}
