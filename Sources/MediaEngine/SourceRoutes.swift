import SDP

/// Which of the server's SSRCs each browser SSRC is echoed on, and back.
///
/// A browser SSRC is bound the first time a packet of it arrives, by its payload type: a codec's
/// payload type binds it to the server's media SSRC of that section, an RTX payload type to the
/// section's RTX SSRC. Learning from packets rather than from the offer's `a=ssrc` lines works
/// the same for browsers that announce no SSRCs. Each server SSRC takes one browser SSRC; a
/// second one with the same payload type (simulcast, which the answer refused) is not echoed.
///
/// Asked once per echoed packet, so it is kept in arrays rather than dictionaries: a session has
/// a handful of streams (a media and an RTX SSRC per section), and scanning them costs less
/// than hashing.
struct SourceRoutes {
    /// One SSRC the server sends from, and the browser SSRC it echoes once one is bound.
    struct Stream {
        let serverSSRC: UInt32
        /// The browser may ask for this stream's packets again (RFC 4585 generic NACK): a
        /// section's media stream whose codecs negotiated `nack`. Only these keep sent packets;
        /// audio usually negotiates none, and nobody NACKs an RTX stream.
        let answersNACK: Bool
        var browserSSRC: UInt32?
    }

    /// Every SSRC the server sends from: each section's media SSRC, then its RTX SSRC if any.
    private(set) var streams: [Stream] = []
    /// The stream (an index into `streams`) each payload type binds to, by payload type (7 bits).
    private var streamByPayloadType = [Int?](repeating: nil, count: 128)

    init(negotiated: NegotiatedSession) {
        for media in negotiated.media {
            guard let outgoing = media.outgoing else { continue }
            let mediaStream = streams.count
            let negotiatedNACK = media.codecs.contains { codec in
                codec.rtcpFeedback.contains { $0.type == "nack" && $0.parameter == nil }
            }
            streams.append(Stream(serverSSRC: outgoing.ssrc, answersNACK: negotiatedNACK))
            let retransmissionStream = outgoing.rtxSSRC.map { ssrc in
                streams.append(Stream(serverSSRC: ssrc, answersNACK: false))
                return streams.count - 1
            }
            for codec in media.codecs {
                if codec.payloadType < 128 { streamByPayloadType[Int(codec.payloadType)] = mediaStream }
                if let rtx = codec.rtxPayloadType, rtx < 128 {
                    streamByPayloadType[Int(rtx)] = retransmissionStream
                }
            }
        }
    }

    /// Every SSRC the server sends from.
    var serverSSRCs: [UInt32] { streams.map(\.serverSSRC) }

    /// The stream (an index into ``streams``) that echoes `browserSSRC`, binding it on first
    /// sight; nil when the payload type was not negotiated, or its stream already echoes another
    /// source.
    mutating func stream(echoing browserSSRC: UInt32, payloadType: UInt8) -> Int? {
        for index in streams.indices where streams[index].browserSSRC == browserSSRC { return index }
        guard payloadType < 128, let index = streamByPayloadType[Int(payloadType)],
            streams[index].browserSSRC == nil
        else { return nil }
        streams[index].browserSSRC = browserSSRC
        return index
    }

    /// The stream that sends from `serverSSRC`.
    func stream(sendingFrom serverSSRC: UInt32) -> Int? {
        streams.firstIndex { $0.serverSSRC == serverSSRC }
    }

    /// The browser SSRC a server SSRC echoes: where feedback about it must go.
    func browserSSRC(echoedBy serverSSRC: UInt32) -> UInt32? {
        stream(sendingFrom: serverSSRC).flatMap { streams[$0].browserSSRC }
    }
}
