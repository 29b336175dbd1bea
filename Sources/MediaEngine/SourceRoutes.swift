import SDP

/// Which of the server's SSRCs each browser SSRC is echoed on, and back.
///
/// A browser SSRC is bound the first time a packet of it arrives, by its payload type: a codec's
/// payload type binds it to the server's media SSRC of that section, an RTX payload type to the
/// section's RTX SSRC. Learning from packets rather than from the offer's `a=ssrc` lines works
/// the same for browsers that announce no SSRCs. Each server SSRC takes one browser SSRC; a
/// second one with the same payload type (simulcast, which the answer refused) is not echoed.
struct SourceRoutes {
    private enum Slot: Hashable {
        case media(index: Int)
        case retransmission(index: Int)
    }

    /// Payload type → the section (by index into `outgoing`) and whether it is RTX.
    private var slotByPayloadType: [UInt8: Slot] = [:]
    private var outgoing: [OutgoingStream] = []
    private var serverByBrowser: [UInt32: UInt32] = [:]
    private var browserByServer: [UInt32: UInt32] = [:]

    init(negotiated: NegotiatedSession) {
        for media in negotiated.media {
            guard let stream = media.outgoing else { continue }
            let index = outgoing.count
            outgoing.append(stream)
            for codec in media.codecs {
                slotByPayloadType[codec.payloadType] = .media(index: index)
                if let rtx = codec.rtxPayloadType { slotByPayloadType[rtx] = .retransmission(index: index) }
            }
        }
    }

    /// Every SSRC the server sends from.
    var serverSSRCs: [UInt32] { outgoing.flatMap { [$0.ssrc] + ($0.rtxSSRC.map { [$0] } ?? []) } }

    /// The server SSRC that echoes `browserSSRC`, binding it on first sight; nil when the
    /// payload type was not negotiated, or its server SSRC already echoes another source.
    mutating func serverSSRC(echoing browserSSRC: UInt32, payloadType: UInt8) -> UInt32? {
        if let bound = serverByBrowser[browserSSRC] { return bound }
        let server: UInt32?
        switch slotByPayloadType[payloadType] {
        case .media(let index): server = outgoing[index].ssrc
        case .retransmission(let index): server = outgoing[index].rtxSSRC
        case nil: server = nil
        }
        guard let server, browserByServer[server] == nil else { return nil }
        serverByBrowser[browserSSRC] = server
        browserByServer[server] = browserSSRC
        return server
    }

    /// The browser SSRC a server SSRC echoes: where feedback about it must go.
    func browserSSRC(echoedBy serverSSRC: UInt32) -> UInt32? { browserByServer[serverSSRC] }
}
