import GrestHTTP
import GrestSchema
import NIOHTTP1
import Synchronization
import Testing
import NIOCore

let OUT_OF_STOCK = ErrorKind.define("OUT_OF_STOCK", status: 409)

enum ShopApi {
    static let buy = ContractMethod("buy", input: IsItemID, success: IsNote, errors: [OUT_OF_STOCK])
    static let http = HTTPSchema(Contract("ShopApi", buy), pathPrefix: "shop").routes { $0.post(buy, "/buy/:id") }
    /// The same API as an older client knows it: without OUT_OF_STOCK.
    static let oldBuy = ContractMethod("buy", input: IsItemID, success: IsNote)
    static let oldHTTP = HTTPSchema(Contract("ShopApi", oldBuy), pathPrefix: "shop").routes { $0.post(oldBuy, "/buy/:id") }
}

/// Counts its calls and sends the count as a header.
struct CountingHeader: TransportMiddleware {
    let counter = CallCounter()
    func updateRequest(_ request: inout OutboundRequest) async throws {
        counter.increment()
        let count = counter.count
        request.headers.replaceOrAdd(name: "x-count", value: String(count))
    }
}
final class CountingBox: Sendable { let middleware = CountingHeader() }

@Suite("Typed client", .timeLimit(.minutes(2)))
struct ClientTests {
    func serve(configure: (inout HTTPServerConfiguration) -> Void = { _ in }, _ body: (Int) async throws -> Void) async throws {
        try await withServer(configure: configure, register: { server in
            server.register(ItemsApi.http, ItemsApi.implement)
            server.register(ShopApi.http) { impl in
                impl.handle(ShopApi.buy) { input in
                    if input.id == "gone" { throw OUT_OF_STOCK(displayMessage: "Sold out") }
                    return Note(text: "bought \(input.id)")
                }
            }
        }) { _, port in try await body(port) }
    }

    @Test func callsEveryRouteShape() async throws {
        try await serve { port in
            let client = HTTPClient(ItemsApi.http, baseURL: "http://127.0.0.1:\(port)")
            let observed0 = try await client.call(ItemsApi.get, ItemID(id: "a b/c"))
            #expect(observed0 == Item(id: "a b/c", name: "item a b/c", qty: 1))
            let observed1 = try await client.call(ItemsApi.search, Search(q: "x&y=z", limit: 3))
            #expect(observed1 == Search(q: "x&y=z", limit: 3))
            let observed2 = try await client.call(ItemsApi.update, Item(id: "9", name: "n", qty: 2))
            #expect(observed2 == Item(id: "9", name: "n", qty: 2))
            let observed3 = try await client.call(ItemsApi.create, Item(id: "1", name: "n", qty: 2)).id
            #expect(observed3 == "1")
            try await client.call(ItemsApi.remove, ItemID(id: "1"))
            let observed4 = try await client.call(ItemsApi.info).method
            #expect(observed4 == "GET")
            await client.shutdown()
        }
    }

    @Test func errorsComeBackTyped() async throws {
        try await serve { port in
            let client = HTTPClient(ItemsApi.http, baseURL: "http://127.0.0.1:\(port)")
            await #expect(throws: ServiceError.self) { try await client.call(ItemsApi.get, ItemID(id: "missing")) }
            let result = await client.result(ItemsApi.get, ItemID(id: "missing"))
            #expect(result.failed(with: NOT_FOUND))
            #expect(result.error?.displayMessage == "No such item")
            // The caller's own invalid input never leaves the process.
            let invalid = await client.result(ItemsApi.create, Item(id: "1", name: "", qty: 1))
            #expect(invalid.failed(with: VALIDATION_ERROR))
            await client.shutdown()
        }
    }

    @Test func unknownErrorTypesBecomeServerError() async throws {
        try await serve { port in
            let current = HTTPClient(ShopApi.http, baseURL: "http://127.0.0.1:\(port)")
            #expect(await current.result(ShopApi.buy, ItemID(id: "gone")).failed(with: OUT_OF_STOCK))
            let observed5 = try await current.call(ShopApi.buy, ItemID(id: "x")).text
            #expect(observed5 == "bought x")
            let old = HTTPClient(ShopApi.oldHTTP, baseURL: "http://127.0.0.1:\(port)")
            #expect(await old.result(ShopApi.oldBuy, ItemID(id: "gone")).failed(with: SERVER_ERROR))
            await current.shutdown()
            await old.shutdown()
        }
    }

    @Test func timeoutIsServerError() async throws {
        // The slow handler is still running when the test ends: don't wait for it on shutdown.
        try await serve(configure: { $0.shutdownTimeout = .milliseconds(100) }) { port in
            let client = HTTPClient(ItemsApi.http, baseURL: "http://127.0.0.1:\(port)", configuration: .init(timeout: .milliseconds(200)))
            let started = ContinuousClock.now
            let result = await client.result(ItemsApi.slow, Delay(ms: 20_000))
            #expect(result.failed(with: SERVER_ERROR))
            // It was the timeout, not another SERVER_ERROR (a refused connection or a handler failure).
            #expect(result.error?.displayMessage == "Request timed out", "\(result)")
            // Far below the handler's 20 s, with room for a starved CI machine.
            #expect(ContinuousClock.now - started < .seconds(15))
            // The timed-out call leaves nothing behind: a call without the tight timeout goes through.
            let patient = HTTPClient(ItemsApi.http, baseURL: "http://127.0.0.1:\(port)")
            let observed6 = try await patient.call(ItemsApi.get, ItemID(id: "1")).id
            #expect(observed6 == "1")
            await patient.shutdown()
            await client.shutdown()
        }
    }

    @Test func transportFailureIsServerError() async throws {
        let server = HTTPServer()
        server.register(PingApi.http, PingApi.implement)
        try await server.start()
        let port = server.port!
        await server.shutdown()
        let client = HTTPClient(PingApi.http, baseURL: "http://127.0.0.1:\(port)")
        #expect(await client.result(PingApi.ping).failed(with: SERVER_ERROR))
        let bad = HTTPClient(PingApi.http, baseURL: "ftp://nowhere")
        #expect(await bad.result(PingApi.ping).failed(with: SERVER_ERROR))
    }

    @Test func nonGrestRepliesBecomeServerError() async throws {
        try await serve { port in
            // A route the server does not have: 404 ROUTE_NOT_FOUND is a system error a client understands.
            let ghost = ContractMethod("ghost", success: IsNote)
            let schema = HTTPSchema(Contract("ItemsApi", ghost), pathPrefix: "api/items").routes { $0.get(ghost, "/ghost/x") }
            let client = HTTPClient(schema, baseURL: "http://127.0.0.1:\(port)")
            #expect(await client.result(ghost).failed(with: ROUTE_NOT_FOUND))
            await client.shutdown()
        }
    }

    @Test func middlewareRunsPerRequest() async throws {
        let seen = Mutex<[String]>([])
        struct Capture: TransportMiddleware {
            let seen: @Sendable (String) -> Void
            func parse(_ request: InboundRequest) throws { seen(request.header("x-count") ?? "-") }
        }
        let serverSchema = PingApi.http.use(Capture(seen: { value in seen.withLock { $0.append(value) } }))
        try await withServer(register: { $0.register(serverSchema, PingApi.implement) }) { _, port in
            let box = CountingBox()
            let client = HTTPClient(PingApi.http, baseURL: "http://127.0.0.1:\(port)", middleware: [box.middleware])
            for _ in 0..<3 { _ = try await client.call(PingApi.ping) }
            #expect(seen.withLock { $0 } == ["1", "2", "3"])
            await client.shutdown()
        }
    }
}
