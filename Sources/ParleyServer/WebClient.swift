import Foundation
import Hummingbird

/// The browser client: static files served from the copy built into the binary, or from a
/// folder on disk when `webRoot` is set.
struct WebClient: Sendable {
    private struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: String
    }

    private let embedded: [String: Asset]
    private let webRoot: String?

    init(webRoot: String?) {
        self.webRoot = webRoot
        var embedded: [String: Asset] = [:]
        for (name, base64) in EmbeddedWebClient.base64Files {
            // The build tool wrote valid base64; a failure here would be a build bug.
            guard let bytes = Data(base64Encoded: base64) else { preconditionFailure("corrupt embedded file \(name)") }
            embedded[name] = Asset(body: ByteBuffer(bytes: bytes), contentType: Self.contentType(of: name))
        }
        self.embedded = embedded
    }

    /// The file `name` (a bare file name, no folders), or nil if there is none.
    func response(for name: String) -> Response? {
        guard let asset = asset(named: name) else { return nil }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType,
                // Small files; revalidating each time keeps a page and its scripts in step
                // after an upgrade.
                .cacheControl: "no-cache",
                .init("X-Content-Type-Options")!: "nosniff",
                .init("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: asset.body))
    }

    private func asset(named name: String) -> Asset? {
        guard let webRoot else { return embedded[name] }
        // Only plain names: no path separators or dot-dot can walk out of the folder.
        guard !name.isEmpty, !name.hasPrefix("."),
            name.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            }),
            let bytes = FileManager.default.contents(atPath: webRoot + "/" + name)
        else { return nil }
        return Asset(body: ByteBuffer(bytes: bytes), contentType: Self.contentType(of: name))
    }

    private static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "webmanifest": "application/manifest+json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
