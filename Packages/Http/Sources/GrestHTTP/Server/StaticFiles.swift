import NIOCore
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory served read-only over HTTP by ``HTTPServer/serveFiles(_:at:)``: web pages, scripts, styles, images.
///
/// - `GET` and `HEAD`; a directory answers with its `index.html`.
/// - `Content-Type` from the file extension, a strong `ETag` (size and modification time), `Last-Modified` and
///   `Cache-Control`; `If-None-Match` (and, without it, `If-Modified-Since`) answer `304 Not Modified`.
/// - The body is streamed from the file descriptor (`sendfile`), so a large file never sits in memory.
/// - Anything that could reach outside the root answers `404` exactly like a missing file: `..` and `.` segments,
///   percent-encoded separators (`%2f`, `%5c`), NUL, backslashes, invalid escapes, dot files, and symbolic links
///   whose target lies outside the root (checked on the resolved path, so nothing outside is ever opened).
///
/// ```swift
/// server.serveFiles(StaticFiles(directory: "/srv/site"), at: "/")
/// ```
public struct StaticFiles: Sendable {
    /// The root directory.
    public var directory: String
    /// The file a directory request answers with.
    public var indexFile: String
    /// The `Cache-Control` header value; the default makes browsers revalidate with `If-None-Match` every time.
    public var cacheControl: String
    /// Extra or overriding content types by lowercase file extension (without the dot).
    public var contentTypes: [String: String]

    public init(directory: String, indexFile: String = "index.html", cacheControl: String = "no-cache", contentTypes: [String: String] = [:]) {
        self.directory = directory
        self.indexFile = indexFile
        self.cacheControl = cacheControl
        self.contentTypes = contentTypes
    }

    static let defaultContentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "ico": "image/x-icon",
        "woff": "font/woff", "woff2": "font/woff2", "wasm": "application/wasm", "map": "application/json", "xml": "application/xml",
        "pdf": "application/pdf",
    ]

    func contentType(for name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        let ext = name[name.index(after: dot)...].lowercased()
        return contentTypes[ext] ?? Self.defaultContentTypes[ext] ?? "application/octet-stream"
    }
}

extension HTTPServer {
    /// Serves the files of `files.directory` under the path `prefix` (`"/"` for the whole site) for `GET` and `HEAD`.
    ///
    /// Routes registered with ``register(_:permissionResolver:middleware:_:)`` and upgrade paths win over files; a
    /// path that no route and no file matches answers the usual `404 ROUTE_NOT_FOUND`. Call before ``start()``.
    public func serveFiles(_ files: StaticFiles, at prefix: String = "/") {
        let mount = StaticFileMount(files: files, prefix: prefix)
        state.withLock { $0.staticFiles.append(mount) }
    }
}

/// One ``StaticFiles`` at a path prefix.
package struct StaticFileMount: Sendable {
    package let files: StaticFiles
    /// Without trailing slash; empty for the root.
    package let prefix: String

    package init(files: StaticFiles, prefix: String) {
        self.files = files
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        if !trimmed.isEmpty, !trimmed.hasPrefix("/") { trimmed = "/" + trimmed }
        self.prefix = trimmed
    }

    /// The decoded path segments below the root for a request path, or `nil` when the path is not under the prefix
    /// or is refused (traversal, encoded separators, NUL, backslash, bad escapes, dot files). Pure: no file access.
    package func segments(for path: Substring) -> [String]? {
        var rest = path
        if !prefix.isEmpty {
            guard rest.hasPrefix(prefix) else { return nil }
            rest = rest.dropFirst(prefix.count)
            guard rest.isEmpty || rest.hasPrefix("/") else { return nil }
        }
        var segments: [String] = []
        for raw in rest.split(separator: "/", omittingEmptySubsequences: true) {
            if raw.contains("\\") { return nil }
            guard let decoded = PercentEncoding.decodeStrictly(raw) else { return nil }
            // `.`, `..`, dot files; by byte, as below (a dot followed by a combining mark is not the Character ".").
            if decoded.utf8.first.map({ $0 == UInt8(ascii: ".") }) ?? true { return nil }
            // Bytes, not characters: `/` followed by a combining mark is one `Character` that is not "/".
            if decoded.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == 0 }) { return nil }
            segments.append(decoded)
        }
        return segments
    }

    /// Blocking (run on the thread pool): resolves, checks and opens the file for `segments`.
    func resolve(_ segments: [String], requestHeaders: HTTPHeaders) -> StaticFileAnswer {
        guard let root = Self.realPath(files.directory) else { return .notFound }
        var path = root + (segments.isEmpty ? "" : "/" + segments.joined(separator: "/"))
        guard var resolved = Self.realPath(path), Self.isInside(resolved, root: root) else { return .notFound }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return .notFound }
        if info.st_mode & S_IFMT == S_IFDIR {
            path = resolved + "/" + files.indexFile
            guard let index = Self.realPath(path), Self.isInside(index, root: root), stat(index, &info) == 0 else { return .notFound }
            resolved = index
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .notFound }
        let descriptor = open(resolved, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .notFound }
        // The descriptor's own metadata: what is sent is what the headers describe.
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return .notFound
        }
        let size = Int(info.st_size)
        #if canImport(Darwin)
        let modified = Int(info.st_mtimespec.tv_sec)
        let modifiedNanos = Int(info.st_mtimespec.tv_nsec)
        #else
        let modified = Int(info.st_mtim.tv_sec)
        let modifiedNanos = Int(info.st_mtim.tv_nsec)
        #endif
        let etag = "\"" + String(size, radix: 16) + "-" + String(modified, radix: 16) + String(modifiedNanos / 1000, radix: 16) + "\""
        let lastModified = Self.httpDate(modified)
        var headers = HTTPHeaders()
        headers.add(name: "etag", value: etag)
        headers.add(name: "last-modified", value: lastModified)
        headers.add(name: "cache-control", value: files.cacheControl)
        if Self.isNotModified(requestHeaders, etag: etag, lastModified: lastModified) {
            close(descriptor)
            return .notModified(headers)
        }
        headers.add(name: "content-type", value: files.contentType(for: resolved))
        headers.add(name: "content-length", value: String(size))
        headers.add(name: "accept-ranges", value: "none")
        return .file(descriptor: descriptor, size: size, headers: headers)
    }

    static func isNotModified(_ request: HTTPHeaders, etag: String, lastModified: String) -> Bool {
        let tags = request[canonicalForm: "if-none-match"]
        if !tags.isEmpty {
            return tags.contains { tag in tag == "*" || tag == etag || tag == "W/" + etag }
        }
        return request.first(name: "if-modified-since") == lastModified
    }

    static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// What a static file request answers.
enum StaticFileAnswer: Sendable {
    case notFound
    case notModified(HTTPHeaders)
    /// An open descriptor the writer owns (and closes once the body is written).
    case file(descriptor: CInt, size: Int, headers: HTTPHeaders)
}

/// The mounts of a running server, longest prefix first.
struct StaticFileTable: Sendable {
    let mounts: [StaticFileMount]

    init(_ mounts: [StaticFileMount] = []) {
        self.mounts = mounts.sorted { $0.prefix.count > $1.prefix.count }
    }

    /// The mount and segments for a `GET`/`HEAD` path; `nil` when no mount covers it or the path is refused.
    func match(_ path: Substring) -> (StaticFileMount, [String])? {
        for mount in mounts {
            if let segments = mount.segments(for: path) { return (mount, segments) }
            // A refused path under a mount must not fall through to a shorter mount.
            if mount.prefix.isEmpty || path == mount.prefix || path.hasPrefix(mount.prefix + "/") { return nil }
        }
        return nil
    }
}
