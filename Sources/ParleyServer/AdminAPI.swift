import Foundation
import Hummingbird
import ParleySignaling

/// The admin REST API under `/api/admin` (docs/API.md): list rooms and participants, create a
/// room, end a call, remove a participant. Every request needs `Authorization: Bearer <token>`
/// with the configured admin token; without one configured the API does not exist (404).
struct AdminAPI: Sendable {
    let relay: SignalingRelay
    let adminToken: String?
    let passwordHashCost: Int

    struct RoomView: ResponseEncodable {
        struct Participant: Codable {
            var id: String
            var name: String
            var role: Role
            var audio: Bool
            var video: Bool
        }
        var name: String
        var locked: Bool
        var hasPassword: Bool
        var participants: [Participant]
        var waiting: Int
    }

    struct RoomList: ResponseEncodable {
        var rooms: [RoomView]
    }

    struct NewRoom: Decodable {
        var name: String
        var password: String?
        var locked: Bool?
    }

    func register(on router: Router<ParleyRequestContext>) {
        let api = router.group("api/admin").add(middleware: BearerTokenCheck(token: adminToken))
        api.get("rooms") { _, _ in
            RoomList(rooms: relay.summaries().map(view))
        }
        api.post("rooms") { request, context -> Response in
            let body = try await request.decode(as: NewRoom.self, context: context)
            guard let name = RoomName(body.name) else {
                throw HTTPError(.badRequest, message: "Room names are 1–64 characters from A-Z a-z 0-9 _ -.")
            }
            if let password = body.password, !(1...ClientMessage.maxPasswordLength).contains(password.count) {
                throw HTTPError(.badRequest, message: "Passwords are 1–\(ClientMessage.maxPasswordLength) characters.")
            }
            let settings = RoomSettings(
                passwordHash: body.password.map { PasswordHasher.hash($0, logRounds: passwordHashCost) },
                locked: body.locked ?? false)
            guard relay.createRoom(name, settings: settings) else {
                throw HTTPError(.conflict, message: "Room '\(name)' exists already.")
            }
            return Response(status: .created)
        }
        api.delete("rooms/:room") { _, context -> HTTPResponse.Status in
            guard let name = context.parameters.get("room").flatMap(RoomName.init), relay.closeRoom(name) else {
                throw HTTPError(.notFound, message: "Nobody is in that room.")
            }
            return .noContent
        }
        api.delete("rooms/:room/participants/:id") { _, context -> HTTPResponse.Status in
            guard let name = context.parameters.get("room").flatMap(RoomName.init),
                let id = context.parameters.get("id"), relay.kick(PeerID(id), from: name)
            else {
                throw HTTPError(.notFound, message: "No such participant in that room.")
            }
            return .noContent
        }
    }

    private func view(_ summary: RoomSummary) -> RoomView {
        RoomView(
            name: summary.name.rawValue, locked: summary.settings.locked,
            hasPassword: summary.settings.passwordHash != nil,
            participants: summary.participants.map {
                .init(id: $0.id.rawValue, name: $0.name.rawValue, role: $0.role, audio: $0.audio, video: $0.video)
            },
            waiting: summary.waiting.count)
    }
}

/// Lets a request through only with `Authorization: Bearer <token>`, compared in constant time.
private struct BearerTokenCheck: RouterMiddleware {
    let token: String?

    func handle(
        _ request: Request, context: ParleyRequestContext,
        next: (Request, ParleyRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let token else { throw HTTPError(.notFound) }
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((request.headers[.authorization] ?? "").utf8)
        var difference = expected.count ^ given.count
        for index in expected.indices {
            difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0))
        }
        guard difference == 0 else {
            throw HTTPError(
                .unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "A valid admin token is needed.")
        }
        return try await next(request, context)
    }
}
