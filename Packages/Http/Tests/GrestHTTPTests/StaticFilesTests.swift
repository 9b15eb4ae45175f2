import Foundation
import GrestHTTP
import Testing

/// A served root with a sibling folder outside it, and links pointing in and out.
final class SiteFixture: Sendable {
    let base: URL
    var root: String { base.appendingPathComponent("site").path }
    static let big = String(repeating: "0123456789abcdef", count: 512 * 1024)  // 8 MiB

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("grest-static-\(UInt64.random(in: 0...UInt64.max))")
        let files = FileManager.default
        try files.createDirectory(at: base.appendingPathComponent("site/sub"), withIntermediateDirectories: true)
        try files.createDirectory(at: base.appendingPathComponent("outside"), withIntermediateDirectories: true)
        func write(_ path: String, _ text: String) throws { try text.write(to: base.appendingPathComponent(path), atomically: true, encoding: .utf8) }
        try write("site/index.html", "<h1>home</h1>")
        try write("site/hello.txt", "hello, files")
        try write("site/app.js", "export const x = 1")
        try write("site/sub/index.html", "<h1>sub</h1>")
        try write("site/.hidden", "dot file")
        try write("site/big.txt", Self.big)
        try write("outside/secret.txt", "SECRET")
        try files.createSymbolicLink(atPath: base.appendingPathComponent("site/escape").path, withDestinationPath: base.appendingPathComponent("outside").path)
        try files.createSymbolicLink(atPath: base.appendingPathComponent("site/link-out.txt").path, withDestinationPath: base.appendingPathComponent("outside/secret.txt").path)
        try files.createSymbolicLink(atPath: base.appendingPathComponent("site/link-in.txt").path, withDestinationPath: base.appendingPathComponent("site/hello.txt").path)
    }

    deinit { try? FileManager.default.removeItem(at: base) }
}

@Suite("Static files", .timeLimit(.minutes(2)))
struct StaticFilesTests {
    func serve(at prefix: String = "/", _ body: (Int) async throws -> Void) async throws {
        let site = try SiteFixture()
        try await withServer(register: { server in
            server.register(PingApi.http, PingApi.implement)
            server.serveFiles(StaticFiles(directory: site.root), at: prefix)
        }) { _, port in try await body(port) }
        withExtendedLifetime(site) {}
    }

    @Test func servesAFileWithItsHeaders() async throws {
        try await serve { port in
            let response = try await get(port, "/hello.txt")
            #expect(response.status == 200)
            #expect(response.body == "hello, files")
            #expect(response.header("content-type") == "text/plain; charset=utf-8")
            #expect(response.header("cache-control") == "no-cache")
            #expect(response.header("etag")?.hasPrefix("\"") == true)
            #expect(response.header("last-modified")?.hasSuffix(" GMT") == true)
            let value1 = try await get(port, "/app.js").header("content-type")
            #expect(value1 == "text/javascript; charset=utf-8")
        }
    }

    @Test func directoriesAnswerWithTheirIndex() async throws {
        try await serve { port in
            let value2 = try await get(port, "/").body
            #expect(value2 == "<h1>home</h1>")
            let value3 = try await get(port, "/").header("content-type")
            #expect(value3 == "text/html; charset=utf-8")
            let value4 = try await get(port, "/sub/").body
            #expect(value4 == "<h1>sub</h1>")
            let value5 = try await get(port, "/sub").body
            #expect(value5 == "<h1>sub</h1>")
        }
    }

    @Test func conditionalRequestsAnswer304() async throws {
        try await serve { port in
            let first = try await get(port, "/hello.txt")
            let etag = try #require(first.header("etag"))
            let modified = try #require(first.header("last-modified"))
            let cached = try await get(port, "/hello.txt", headers: ["If-None-Match: \(etag)"])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
            #expect(cached.header("etag") == etag)
            let value6 = try await get(port, "/hello.txt", headers: ["If-None-Match: \"other\""]).status
            #expect(value6 == 200)
            let value7 = try await get(port, "/hello.txt", headers: ["If-Modified-Since: \(modified)"]).status
            #expect(value7 == 304)
        }
    }

    @Test func headSendsTheHeadOnly() async throws {
        try await serve { port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("HEAD /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(await connection.waitForClose())
            let text = String(decoding: connection.receivedBytes(), as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.lowercased().contains("content-length: 12\r\n"))
            #expect(text.hasSuffix("\r\n\r\n"), "no body after the head")
        }
    }

    @Test func aLargeFileIsStreamedWhole() async throws {
        try await serve { port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await connection.readResponse(timeout: .seconds(30))
            #expect(response.header("content-length") == String(SiteFixture.big.utf8.count))
            #expect(response.body == SiteFixture.big)
            // The connection stays usable after a file body.
            try await connection.send("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            let value8 = try await connection.readResponse().body
            #expect(value8 == "hello, files")
            await connection.close()
        }
    }

    static let refused = [
        "/../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/%2E%2E/outside/secret.txt", "/..%2foutside%2fsecret.txt",
        "/sub/..%2F..%2Foutside/secret.txt", "/sub/%2e%2e/%2e%2e/outside/secret.txt", "/..%5coutside%5csecret.txt",
        "/..\\outside\\secret.txt", "/hello.txt%00", "/hello.txt%00.html", "/escape/secret.txt", "/link-out.txt", "/.hidden",
        "/%zz", "/./hello.txt", "/missing.txt",
    ]

    /// The decoding alone, no server: `+` is a plus in a path, and every escape must be well formed.
    static let decodedSegments: [(String, [String]?)] = [
        ("/a+b.txt", ["a+b.txt"]), ("/sub/%41%c3%a9.txt", ["sub", "A\u{e9}.txt"]), ("/a%20b", ["a b"]), ("//sub//", ["sub"]),
        ("/%zz", nil), ("/a%4", nil), ("/a%", nil), ("/%ff", nil), ("/a%00", nil), ("/..", nil), ("/.hidden", nil),
        ("/a%2fb", nil), ("/a%5cb", nil), ("/a%2f%cc%81b", nil), ("/a\\b", nil), ("/%2e%cc%81env", nil),
    ]

    @Test(arguments: decodedSegments) func pathsDecodeStrictlyToSegments(_ path: String, _ expected: [String]?) {
        #expect(StaticFileMount(files: StaticFiles(directory: "/srv"), prefix: "/").segments(for: path[...]) == expected, "\(path)")
    }

    @Test func queryStringDecodingStaysLenient() {
        #expect(PercentEncoding.decode("a+b%zz%41%", plusAsSpace: true) == "a b%zzA%")
        #expect(PercentEncoding.decode("a+b%2B") == "a+b+")
    }

    @Test(arguments: refused) func refusedPathsAre404(_ path: String) async throws {
        try await serve { port in
            let response = try await get(port, path)
            #expect(response.status == 404, "\(path)")
            #expect(!response.body.contains("SECRET"))
        }
    }

    @Test func aLinkInsideTheRootIsServed() async throws {
        try await serve { port in
            let value9 = try await get(port, "/link-in.txt").body
            #expect(value9 == "hello, files")
        }
    }

    @Test func routesWinAndOtherMethodsAreNotFiles() async throws {
        try await serve { port in
            let value10 = try await get(port, "/ping/").body.contains("pong")
            #expect(value10)
            let value11 = try await send(port, "POST", "/hello.txt", body: "{}").status
            #expect(value11 == 404)
            let value12 = try await get(port, "/nothing/here").type
            #expect(value12 == "ROUTE_NOT_FOUND")
        }
    }

    @Test func aPrefixMountServesOnlyBelowIt() async throws {
        try await serve(at: "/static/") { port in
            let value13 = try await get(port, "/static/hello.txt").body
            #expect(value13 == "hello, files")
            let value14 = try await get(port, "/static").body
            #expect(value14 == "<h1>home</h1>")
            let value15 = try await get(port, "/hello.txt").status
            #expect(value15 == 404)
            let value16 = try await get(port, "/statichello.txt").status
            #expect(value16 == 404)
        }
    }
}
