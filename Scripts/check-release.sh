#!/usr/bin/env bash
# Proves selective adoption from outside the monorepo: releases Schema, Context and Http with Scripts/release
# into local bare repositories, then builds and runs two consumer packages that live outside this repository and
# depend on them by file:// URL and `from:` version, as an app would depend on the public repositories:
#   - schema-only: uses GrestSchema alone; must not fetch (or build) SwiftNIO;
#   - http:        uses GrestHTTP; starts a server on port 0 and calls it with the typed client.
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/grest-release-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
repos="$work/repos"
mkdir -p "$repos"
passed=0
failed=0
check() { # name, then the command
    local name="$1"; shift
    if "$@"; then echo "PASS $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}

version() { "$root/Scripts/release" --version "$1"; }
schema_version="$(version Schema)"
context_version="$(version Context)"
http_version="$(version Http)"

# Releases in dependency order; each sibling URL points into the same folder.
# A checkout with uncommitted package changes cannot release; CI's fresh clone is clean.
for package in Schema Context Http; do
    "$root/Scripts/release" --out "$repos" --base-url "file://$repos" "$package" "$(version "$package")" >/dev/null
done

released_manifest_is_url_only() {
    local manifest
    manifest="$(git -C "$repos/grest-http.git" show "$http_version:Package.swift")"
    ! grep -q '\.package(path:' <<<"$manifest" &&
        grep -q "\.package(url: \"file://$repos/grest-schema.git\", from: \"$schema_version\")" <<<"$manifest" &&
        grep -q "\.package(url: \"file://$repos/grest-context.git\", from: \"$context_version\")" <<<"$manifest" &&
        grep -q 'package: "grest-schema")' <<<"$manifest"
}
check "released grest-http depends on its siblings by URL at their released versions" released_manifest_is_url_only

# The release's main branch is the package folder's own history (its root is the package).
split_history_is_the_folder() {
    git -C "$repos/grest-schema.git" ls-tree --name-only main | grep -qx Package.swift &&
        ! git -C "$repos/grest-schema.git" ls-tree --name-only main | grep -qx Packages
}
check "released grest-schema's main is the folder's own history" split_history_is_the_folder

refuses_unknown_version() { ! "$root/Scripts/release" --out "$work/other" Schema 99.0.0 2>/dev/null; }
check "release refuses a version the CHANGELOG does not name" refuses_unknown_version

# Consumer 1: GrestSchema only.
mkdir -p "$work/schema-consumer/Sources/SchemaConsumer"
cat >"$work/schema-consumer/Package.swift" <<EOF
// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "schema-consumer",
    platforms: [.macOS(.v15)],
    dependencies: [.package(url: "file://$repos/grest-schema.git", from: "$schema_version")],
    targets: [
        .executableTarget(name: "SchemaConsumer", dependencies: [.product(name: "GrestSchema", package: "grest-schema")])
    ]
)
EOF
cat >"$work/schema-consumer/Sources/SchemaConsumer/main.swift" <<'EOF'
import GrestSchema

struct Greeting: Sendable { var name: String; var times: Int }
let IsGreeting = IsObject(Greeting.init, field("name", \.name, IsString.nonEmpty), field("times", \.times, IsInt))

let greeting = try IsGreeting.parse(json: Array(#"{"name":"grest","times":2}"#.utf8))
print("parsed \(greeting.name) x\(greeting.times)")
do {
    _ = try IsGreeting.parse(json: Array(#"{"name":"","times":"x"}"#.utf8))
    print("bad input accepted")
} catch {
    print("rejected bad input")
}
EOF
schema_consumer_runs() {
    local output
    output="$(swift run --package-path "$work/schema-consumer" SchemaConsumer 2>"$work/schema-consumer.log")" ||
        { tail -30 "$work/schema-consumer.log" >&2; return 1; }
    [ "$output" = "$(printf 'parsed grest x2\nrejected bad input')" ] || { echo "unexpected output: $output" >&2; return 1; }
}
check "a consumer of GrestSchema alone builds and runs" schema_consumer_runs
no_nio_fetched() {
    local checkouts="$work/schema-consumer/.build/checkouts"
    ls "$checkouts" >&2
    [ ! -e "$checkouts/swift-nio" ] && ! grep -q swift-nio "$work/schema-consumer/Package.resolved" 2>/dev/null
}
check "the GrestSchema consumer did not fetch SwiftNIO" no_nio_fetched

# Consumer 2: GrestHTTP (pulls in Schema, Context, SwiftNIO, swift-log, swift-metrics, service-lifecycle).
mkdir -p "$work/http-consumer/Sources/HTTPConsumer"
cat >"$work/http-consumer/Package.swift" <<EOF
// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "http-consumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "file://$repos/grest-http.git", from: "$http_version"),
        .package(url: "file://$repos/grest-schema.git", from: "$schema_version"),
    ],
    targets: [
        .executableTarget(
            name: "HTTPConsumer",
            dependencies: [
                .product(name: "GrestHTTP", package: "grest-http"),
                .product(name: "GrestSchema", package: "grest-schema"),
            ]
        )
    ]
)
EOF
cat >"$work/http-consumer/Sources/HTTPConsumer/main.swift" <<'EOF'
import GrestHTTP
import GrestSchema

struct Echo: Sendable { var text: String }
let IsEcho = IsObject(Echo.init, field("text", \.text, IsString))

enum EchoApi {
    static let echo = ContractMethod("echo", input: IsEcho, success: IsEcho, errors: [VALIDATION_ERROR])
    static let contract = Contract("EchoApi", echo)
    static let http = HTTPSchema(contract, pathPrefix: "api").routes { $0.post(echo, "/echo") }
}

let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0))
server.register(EchoApi.http) { impl in impl.handle(EchoApi.echo) { Echo(text: $0.text.uppercased()) } }
try await server.start()
let client = HTTPClient(EchoApi.http, baseURL: "http://127.0.0.1:\(server.port!)")
let reply = try await client.call(EchoApi.echo, Echo(text: "hello"))
print("echo \(reply.text)")
await server.shutdown()
EOF
http_consumer_runs() {
    local output
    output="$(swift run --package-path "$work/http-consumer" HTTPConsumer 2>"$work/http-consumer.log")" ||
        { tail -30 "$work/http-consumer.log" >&2; return 1; }
    [ "$output" = "echo HELLO" ] || { echo "unexpected output: $output" >&2; return 1; }
}
check "a consumer of GrestHTTP builds, serves and calls over loopback" http_consumer_runs

echo "release-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
