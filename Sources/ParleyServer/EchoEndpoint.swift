import Hummingbird
import Logging
import MediaServer
import NIOCore
import ServiceLifecycle

/// The media engine's settings: its UDP port and the echo service on it.
public struct MediaSettings: Sendable {
    /// Run the media engine (and `/echo`).
    public var enabled = true
    /// Address the media socket binds; the wildcard listens on every interface.
    public var host = "0.0.0.0"
    /// The one UDP port for all media; 0 picks a free one.
    public var port = 7882
    /// Most echo sessions at once.
    public var maximumEchoSessions = 32

    public init() {}
}

/// `/echo`: the media engine's echo service (docs/PROTOCOL.md, "Echo"). A browser POSTs its
/// offer as `application/sdp` and gets the answer, WHIP-style (RFC 9725): 201 with a
/// `Location` to DELETE when done.
struct EchoEndpoint: Sendable {
    /// Offers are a few KiB; the SDP parser's own limit is the same.
    static let maximumOfferBytes = 64 * 1024

    let media: MediaServerService

    func register(on router: Router<ParleyRequestContext>, webClient: WebClient) {
        router.get("/echo") { _, _ in
            try webClient.page("echo.html")
        }
        router.post("/echo") { request, context -> Response in
            try await startSession(request, context: context)
        }
        router.delete("/echo/:session") { _, context -> Response in
            let id = context.parameters.get("session") ?? ""
            guard await media.endEchoSession(id: id) else {
                return Self.refusal(.notFound, "No echo session \(id): it ended, or never was.")
            }
            return Response(status: .noContent)
        }
    }

    private func startSession(_ request: Request, context: ParleyRequestContext) async throws -> Response {
        let contentType = request.headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/sdp" else {
            return Self.refusal(.unsupportedMediaType, "Send the offer as Content-Type: application/sdp.")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumOfferBytes)
        } catch {
            return Self.refusal(
                .contentTooLarge, "The offer is over \(Self.maximumOfferBytes / 1024) KiB, the most accepted.")
        }
        let offer = String(buffer: body)
        do {
            let session = try await media.startEchoSession(offer: offer)
            return Response(
                status: .created,
                headers: [.contentType: "application/sdp", .location: "/echo/\(session.id)"],
                body: .init(byteBuffer: ByteBuffer(string: session.answer)))
        } catch {
            switch error {
            case .badOffer, .unanswerable: return Self.refusal(.badRequest, error.description)
            case .full, .notRunning: return Self.refusal(.serviceUnavailable, error.description)
            }
        }
    }

    /// Errors as plain text, as WHIP clients show them (RFC 9725 section 4.2).
    private static func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}

/// Builds the media service from the settings (nil when it is off).
func makeMediaService(_ configuration: ParleyConfiguration) throws -> MediaServerService? {
    let settings = configuration.media
    guard settings.enabled else { return nil }
    var media = MediaServerConfiguration()
    media.host = settings.host
    media.port = settings.port
    media.publicIP = configuration.turn.publicIP
    media.maximumEchoSessions = settings.maximumEchoSessions
    return try MediaServerService(configuration: media, logger: Logger(label: "parley.media"))
}

/// Waits for the media socket to be bound, says where it is, then feeds the media engine's
/// counters to the metrics every few seconds (pulled, so the media path does no metrics work).
struct MediaPublisher: Service {
    let service: MediaServerService
    let metrics: ParleyMetrics
    let onMediaRunning: @Sendable (_ port: Int) async -> Void

    func run() async throws {
        let port = try await service.waitUntilStarted()
        await onMediaRunning(port)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            metrics.recordMedia(await service.statistics())
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
        }
    }
}
