import STUN
import TURN
import Testing

/// Every forbidden address in every encoding, through CreatePermission, ChannelBind and Send:
/// 403 for the requests and zero packets relayed.
@Suite struct ForbiddenPeerTests {
    static let peers: [String] = ForbiddenAddresses.all + ["198.51.100.1"]  // the server's own listening port

    @Test(arguments: peers)
    func forbiddenPeerIsRefusedEverywhere(text: String) throws {
        var table = makeTable()
        var client = ScriptedClient()
        let port = try client.allocate(on: &table)
        let peer = TransportAddress(ip: IPAddress(text)!, port: text == "198.51.100.1" ? 3478 : 5000)

        let permission = client.request(.createPermission) { $0.append(XORPeerAddress(peer)) }
        let permissionReply = table.clientDatagramReceived(permission, from: clientTuple, now: start)
        let bind = client.request(.channelBind) {
            $0.append(ChannelNumber(0x4001))
            $0.append(XORPeerAddress(peer))
        }
        let bindReply = try #require(
            table.clientDatagramReceived(bind, from: clientTuple, now: start).single?.clientMessage)
        #expect(try bindReply.attribute(ErrorCode.self)?.code == 403, "ChannelBind to \(peer)")
        if text != "198.51.100.1" {
            // CreatePermission checks the IP alone; the server's address on another port is fine.
            let reply = try #require(permissionReply.single?.clientMessage)
            #expect(try reply.attribute(ErrorCode.self)?.code == 403, "CreatePermission for \(peer)")
        }

        var relayed = table.clientDatagramReceived(client.send([1, 2, 3], to: peer), from: clientTuple, now: start)
            .sentToPeers
        relayed +=
            table.clientDatagramReceived(
                ChannelData.encode(channel: 0x4001, payload: [1], padded: false), from: clientTuple, now: start
            ).sentToPeers
        #expect(relayed.isEmpty, "Send to \(peer)")
        #expect(table.peerDatagramReceived([1], relayPort: port, from: peer, now: start).isEmpty)
    }
}
