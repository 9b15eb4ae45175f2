import Foundation

/// The folder of the bundled web page (`index.html`, `app.js`, `app.css`, `grest-socket.js`), or `nil` when the
/// resource bundle is missing.
public var chatPublicDirectory: String? {
    Bundle.module.resourceURL?.appendingPathComponent("Public").path
}
