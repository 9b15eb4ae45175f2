// The GrestHTTP side of `make bench` (Scripts/bench-http.sh): a JSON echo route and a GET route, the same
// two routes the Hummingbird peer in Benchmarks/HTTP serves.
//
//   grest-http-bench-server [port]     prints "listening on <port>" once bound (port 0 = pick one)
import GrestHTTP
import GrestSchema

#if canImport(Glibc)
import Glibc
#endif

struct Product: Sendable {
    var id: Int
    var name: String
    var tags: [String]
    var price: Double
    var inStock: Bool
}

struct ItemQuery: Sendable {
    var id: String
}

struct Item: Sendable {
    var id: String
    var name: String
}

enum BenchApi {
    static let IsProduct = IsObject(
        Product.init, field("id", \.id, IsInt), field("name", \.name, IsString), field("tags", \.tags, IsArray(IsString)),
        field("price", \.price, IsNumber), field("inStock", \.inStock, IsBoolean))
    static let echo = ContractMethod("echo", input: IsProduct, success: IsProduct)
    static let item = ContractMethod(
        "item", input: IsObject(ItemQuery.init, field("id", \.id, IsString)),
        success: IsObject(Item.init, field("id", \.id, IsString), field("name", \.name, IsString)))
    static let contract = Contract("BenchApi", echo, item)
    static let http = HTTPSchema(contract, pathPrefix: "bench").routes { r in
        r.post(echo, "/echo")
        r.get(item, "/items/:id")
    }
}

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
configuration.limits.maxConnections = 100_000
let server = HTTPServer(configuration: configuration)
server.register(BenchApi.http) { impl in
    impl.handle(BenchApi.echo) { product in product }
    impl.handle(BenchApi.item) { query in Item(id: query.id, name: "item " + query.id) }
}
try await server.start()
announce("listening on \(server.port ?? 0)\n")
try await server.run()

/// Writes straight to fd 1, unbuffered, so the benchmark script sees the port at once.
func announce(_ line: String) {
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}
