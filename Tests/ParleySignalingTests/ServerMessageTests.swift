import Foundation
import ParleySignaling
import Testing

@Suite struct ServerMessageEncodingTests {
    private func object(_ message: ServerMessage) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(message.jsonText().utf8)) as? NSDictionary)
    }

    private let ada = PeerInfo(id: PeerID("a1"), name: DisplayName("Ada")!, audio: true, video: false)

    /// Each server message has the exact shape docs/PROTOCOL.md shows.
    @Test func encodesTheDocumentedShapes() throws {
        #expect(
            try object(
                .joined(
                    you: PeerInfo(
                        id: PeerID("b2"), name: DisplayName("Bob")!, audio: true, video: true, role: .moderator),
                    room: RoomName("r")!, peers: [ada],
                    iceServers: [ICEServer(urls: ["stun:s.example:3478"])],
                    settings: RoomSettings(passwordHash: "x", locked: false)))
                == [
                    "type": "joined", "protocol": 1, "id": "b2", "name": "Bob", "role": "moderator", "room": "r",
                    "peers": [
                        [
                            "id": "a1", "name": "Ada", "audio": true, "video": false, "role": "participant",
                            "hand": false,
                        ]
                    ],
                    "iceServers": [["urls": ["stun:s.example:3478"]]],
                    "locked": false, "hasPassword": true, "chat": [], "resumed": false,
                ])
        #expect(
            try object(.peerJoined(ada))
                == [
                    "type": "peer-joined",
                    "peer": [
                        "id": "a1", "name": "Ada", "audio": true, "video": false, "role": "participant", "hand": false,
                    ],
                ])
        #expect(try object(.peerLeft(PeerID("a1"))) == ["type": "peer-left", "id": "a1"])
        #expect(
            try object(.peerMedia(id: PeerID("a1"), audio: false, video: true))
                == ["type": "peer-media", "id": "a1", "audio": false, "video": true])
        #expect(
            try object(.signal(from: PeerID("a1"), data: .object(["candidate": .null])))
                == ["type": "signal", "from": "a1", "data": ["candidate": NSNull()]])
        #expect(
            try object(.error(SignalingError(.roomFull, "full")))
                == ["type": "error", "code": "room-full", "message": "full"])
    }

    /// Relayed signal data survives the round trip unchanged, numbers and unicode included.
    @Test func signalDataRoundTrips() throws {
        let text = #"{"type":"signal","to":"x","data":{"n":3,"f":1.5,"s":"é\n\"","a":[true,null,{}]}}"#
        guard case .signal(_, let data) = try ClientMessage.decode(text, maxBytes: 1000).get() else {
            Issue.record("did not decode")
            return
        }
        let relayed = ServerMessage.signal(from: PeerID("y"), data: data).jsonText()
        let back = try #require(JSONSerialization.jsonObject(with: Data(relayed.utf8)) as? NSDictionary)
        #expect(back["data"] as? NSDictionary == ["n": 3, "f": 1.5, "s": "é\n\"", "a": [true, NSNull(), [:]]])
    }
}
