import ICE
import MediaCrypto
import RTP
import SDP
import STUN

/// One browser's echo (like Janus' EchoTest): everything the browser sends comes back to it,
/// decrypted, given the server's own SSRCs and encrypted again.
///
/// Sans-IO: datagrams and time in, ``EchoSessionOutput``s out. The IO shell hands over every
/// datagram from an address this session's ICE agent authenticated (and every STUN datagram
/// naming its ufrag), calls ``poll(now:)`` no later than ``nextDeadline``, and runs the outputs.
///
/// The pieces, in the order a browser meets them: ICE-lite (``ICELiteAgent``), DTLS with the
/// server as DTLS server (``DTLSEndpoint``, RFC 5763), SRTP keys from the handshake (RFC 5764),
/// then RTP echoed and RTCP feedback answered: NACKs from a buffer of sent packets, keyframe
/// requests passed on to the browser's encoder.
public final class EchoSession {
    public struct Configuration: Sendable {
        /// ICE and DTLS must complete within this after the answer, or the session ends: an
        /// abandoned offer must not hold a session slot.
        public var setupTimeout: Duration = .seconds(20)
        /// Sent packets kept per SSRC for NACKs: about a second of 1 Mbit/s video.
        public var retransmissionCapacity = 512
        /// Most retransmissions one RTCP datagram can ask for, so that a forged NACK covering
        /// every sequence number cannot turn one packet into thousands.
        public var maximumRetransmissionsPerFeedback = 64
        public var ice = ICELiteAgent.Configuration()

        public init() {}
    }

    /// Counters since the session began.
    public struct Statistics: Sendable, Hashable {
        public var packetsEchoed = 0
        public var packetsRetransmitted = 0
        public var keyframeRequestsForwarded = 0
        /// SRTP or SRTCP packets that failed authentication, replays among them.
        public var packetsUnauthenticated = 0
        /// RTP packets of a payload type or SSRC the answer did not agree to.
        public var packetsUnrouted = 0
    }

    public let configuration: Configuration
    public private(set) var statistics = Statistics()
    /// DTLS is up and media flows.
    public private(set) var isConnected = false
    /// An ``EchoSessionOutput/ended(_:)`` was given; nothing more happens.
    public private(set) var isEnded = false

    private var ice: ICELiteAgent
    private let dtls: DTLSEndpoint
    private var inbound: SRTPContext?
    private var outbound: SRTPContext?
    private let setupDeadline: ContinuousClock.Instant
    /// Where DTLS came from, for retransmitted flights.
    private var dtlsPeer: TransportAddress?
    private var routes: SourceRoutes
    /// Sent packets of each of ``routes``' streams (by index), made on its first packet.
    private var retransmissions: [RetransmissionBuffer?]
    /// The sender SSRC of feedback the server writes itself (RFC 4585 section 6.1).
    private let feedbackSSRC: UInt32

    /// - Parameters:
    ///   - negotiated: what the answer agreed to, with the server's SSRCs in `outgoing`.
    ///   - local: the ICE credentials the answer carried.
    ///   - certificate: the certificate whose fingerprint the answer carried.
    public init(
        negotiated: NegotiatedSession, local: ICECredentials, certificate: DTLSCertificate,
        now: ContinuousClock.Instant, configuration: Configuration = Configuration()
    ) throws(MediaCryptoError) {
        self.configuration = configuration
        self.ice = ICELiteAgent(
            local: local,
            remote: ICECredentials(
                ufrag: negotiated.remoteICEUsernameFragment, password: negotiated.remoteICEPassword),
            configuration: configuration.ice)
        // The answer accepted only offers with a fingerprint; SHA-256 is what every browser sends.
        let fingerprint = negotiated.remoteFingerprints.first { $0.hashFunction.lowercased() == "sha-256" }
        self.dtls = try DTLSEndpoint(
            role: .server, certificate: certificate, remoteFingerprintSHA256: fingerprint?.hexText ?? "")
        self.setupDeadline = now + configuration.setupTimeout
        self.routes = SourceRoutes(negotiated: negotiated)
        self.retransmissions = Array(repeating: nil, count: routes.streams.count)
        self.feedbackSSRC = routes.serverSSRCs.first ?? 1
        updateNextDeadline()
    }

    /// When ``poll(now:)`` must run next. Kept rather than worked out when asked: the IO shell
    /// asks every session on every timer tick, and only STUN, DTLS, ``poll(now:)`` and the end
    /// of the session move it.
    public private(set) var nextDeadline: ContinuousClock.Instant?

    private func updateNextDeadline() {
        nextDeadline =
            isEnded
            ? nil : Self.earlier(Self.earlier(ice.nextDeadline, dtls.nextDeadline), isConnected ? nil : setupDeadline)
    }

    private static func earlier(_ first: ContinuousClock.Instant?, _ second: ContinuousClock.Instant?)
        -> ContinuousClock.Instant?
    {
        guard let first, let second else { return first ?? second }
        return min(first, second)
    }

    /// The browser address media goes to: the one it nominated, while consent holds.
    public var selectedAddress: TransportAddress? { ice.selectedAddress }

    // MARK: Events

    /// A datagram arrived on the media port from `source`. Consumed: an RTP packet is decrypted,
    /// rewritten and encrypted again in the caller's own buffer, without a copy.
    public func receive(_ datagram: consuming [UInt8], from source: TransportAddress, now: ContinuousClock.Instant)
        -> [EchoSessionOutput]
    {
        var outputs: [EchoSessionOutput] = []
        receive(datagram, from: source, now: now, into: &outputs)
        return outputs
    }

    /// ``receive(_:from:now:)``, appending the outputs to `outputs`: an IO shell that keeps one
    /// array for every datagram's outputs spares an allocation per echoed packet.
    public func receive(
        _ datagram: consuming [UInt8], from source: TransportAddress, now: ContinuousClock.Instant,
        into outputs: inout [EchoSessionOutput]
    ) {
        guard !isEnded else { return }
        let kind = DatagramKind(classifying: datagram[...])
        // Everything but STUN only from addresses that proved they hold the ICE password: a
        // stranger who learns the port cannot reach DTLS or SRTP (RFC 8445 section 7.3). Media
        // comes from the selected address, which is always an authenticated one; comparing it
        // first spares a lookup (and a copy of the agent) per packet.
        guard kind == .stun || source == ice.selectedAddress || ice.isAuthenticated(source) else { return }
        switch kind {
        case .stun:
            outputs += stunReceived(datagram, from: source, now: now)
            updateNextDeadline()
        case .dtls:
            outputs += dtlsReceived(datagram, from: source, now: now)
            updateNextDeadline()
        case .rtp: rtpReceived(datagram, into: &outputs)
        case .rtcp: outputs += rtcpReceived(datagram)
        case .unknown: break
        }
    }

    /// Time passed: consent, DTLS retransmission and the setup deadline.
    public func poll(now: ContinuousClock.Instant) -> [EchoSessionOutput] {
        guard !isEnded else { return [] }
        defer { updateNextDeadline() }
        for output in ice.poll(now: now) {
            if case .consentLost = output { return end(.consentLost) }
        }
        if !isConnected, now >= setupDeadline { return end(.setupTimedOut) }
        guard let deadline = dtls.nextDeadline, deadline <= now, let peer = dtlsPeer else { return [] }
        return dtls.handleTimeout(now: now).map { .send($0, to: peer) } + dtlsStateChanged()
    }

    /// Ends the session from the server's side, telling the browser (DTLS close_notify).
    public func close() -> [EchoSessionOutput] {
        guard !isEnded else { return [] }
        let goodbye = dtls.close()
        return (dtlsPeer.map { peer in goodbye.map { .send($0, to: peer) } } ?? []) + end(.closed)
    }

    // MARK: Handshakes

    private func stunReceived(_ datagram: [UInt8], from source: TransportAddress, now: ContinuousClock.Instant)
        -> [EchoSessionOutput]
    {
        let wasAuthenticated = ice.isAuthenticated(source)
        var outputs: [EchoSessionOutput] = []
        for output in ice.stunReceived(datagram, from: source, now: now) {
            if case .send(let bytes, let destination) = output { outputs.append(.send(bytes, to: destination)) }
        }
        if !wasAuthenticated, ice.isAuthenticated(source) { outputs.append(.authenticated(source)) }
        return outputs
    }

    private func dtlsReceived(_ datagram: [UInt8], from source: TransportAddress, now: ContinuousClock.Instant)
        -> [EchoSessionOutput]
    {
        dtlsPeer = source
        return dtls.receive(datagram, now: now).map { .send($0, to: source) } + dtlsStateChanged()
    }

    /// Acts on what the last DTLS call did to its state: keys agreed, failure or close.
    private func dtlsStateChanged() -> [EchoSessionOutput] {
        switch dtls.state {
        case .handshaking:
            return []
        case .connected(let keys):
            guard !isConnected else { return [] }
            do {
                inbound = try SRTPContext(
                    profile: keys.profile, key: keys.remoteKey, salt: keys.remoteSalt, direction: .inbound)
                outbound = try SRTPContext(
                    profile: keys.profile, key: keys.localKey, salt: keys.localSalt, direction: .outbound)
            } catch {
                return end(.handshakeFailed("SRTP: \(error)"))
            }
            isConnected = true
            return [.connected]
        case .failed(let reason):
            return end(.handshakeFailed(reason))
        case .closed:
            return end(.closed)
        }
    }

    private func end(_ reason: EchoSessionEnd) -> [EchoSessionOutput] {
        isEnded = true
        nextDeadline = nil
        inbound = nil
        outbound = nil
        retransmissions = Array(repeating: nil, count: retransmissions.count)
        return [.ended(reason)]
    }

    // MARK: Media

    /// Decrypts, moves the packet to the server's SSRC, encrypts, keeps it for NACKs, sends it
    /// back. Sequence numbers and timestamps stay: they are the browser's own, and an RTX
    /// packet's original sequence number then still names the right packet.
    private func rtpReceived(_ datagram: consuming [UInt8], into outputs: inout [EchoSessionOutput]) {
        guard let inbound, let outbound, let destination = ice.selectedAddress else { return }
        var packet = consume datagram
        do { try inbound.unprotectRTP(&packet) } catch {
            statistics.packetsUnauthenticated += 1
            return
        }
        guard let ssrc = RTPPacket.ssrc(in: packet), let payloadType = RTPPacket.payloadType(in: packet),
            let sequenceNumber = RTPPacket.sequenceNumber(in: packet),
            let stream = routes.stream(echoing: ssrc, payloadType: payloadType),
            RTPPacket.setSSRC(routes.streams[stream].serverSSRC, in: &packet)
        else {
            statistics.packetsUnrouted += 1
            return
        }
        do { try outbound.protectRTP(&packet) } catch { return }
        if routes.streams[stream].answersNACK {
            if retransmissions[stream] == nil {
                retransmissions[stream] = RetransmissionBuffer(capacity: configuration.retransmissionCapacity)
            }
            retransmissions[stream]?.store(packet, sequenceNumber: sequenceNumber)
        }
        statistics.packetsEchoed += 1
        outputs.append(.send(packet, to: destination))
    }

    /// Answers the browser's feedback about what the server sends it: lost packets are sent
    /// again from the buffer (or, if the browser's own packet never arrived, asked of the
    /// browser in turn), keyframe requests go to the browser's encoder, and congestion feedback
    /// is reflected to the browser's sender. Reports (SR, RR) are read and dropped: the echo has
    /// no sending rate of its own to adapt.
    private func rtcpReceived(_ datagram: consuming [UInt8]) -> [EchoSessionOutput] {
        guard let inbound, let outbound, let destination = ice.selectedAddress else { return [] }
        var compound = consume datagram
        do { try inbound.unprotectRTCP(&compound) } catch {
            statistics.packetsUnauthenticated += 1
            return []
        }
        guard let packets = try? RTCPPacket.decodeCompound(compound) else { return [] }
        var outputs: [EchoSessionOutput] = []
        var upstream: [RTCPPacket] = []
        var retransmissionBudget = configuration.maximumRetransmissionsPerFeedback
        for packet in packets {
            switch packet {
            case .pictureLossIndication(let request):
                upstream += keyframeRequest(forServerSSRC: request.mediaSSRC)
            case .fullIntraRequest(let request):
                for entry in request.entries { upstream += keyframeRequest(forServerSSRC: entry.ssrc) }
            case .genericNACK(let nack):
                // A stream that did not negotiate NACK keeps no packets, and its browser sender
                // would not answer a NACK passed on either.
                guard let stream = routes.stream(sendingFrom: nack.mediaSSRC), routes.streams[stream].answersNACK
                else { continue }
                var missing: [UInt16] = []
                for sequenceNumber in nack.lostSequenceNumbers {
                    guard retransmissionBudget > 0 else { break }
                    retransmissionBudget -= 1
                    if let sent = retransmissions[stream]?.packet(sequenceNumber: sequenceNumber) {
                        outputs.append(.send(sent, to: destination))
                        statistics.packetsRetransmitted += 1
                    } else {
                        missing.append(sequenceNumber)
                    }
                }
                if !missing.isEmpty, let browserSSRC = routes.streams[stream].browserSSRC {
                    upstream.append(
                        .genericNACK(
                            RTCPGenericNACK(
                                senderSSRC: feedbackSSRC, mediaSSRC: browserSSRC, lostSequenceNumbers: missing)))
                }
            case .transportFeedback(var feedback):
                // The echoed packets carry the browser's own transport-wide sequence numbers, so
                // its receiver's feedback about them is feedback about its sender's packets over
                // the whole round trip: reflected, it gives the browser's congestion control the
                // loss and delay it needs, instead of silence that would hold its bitrate down.
                feedback.senderSSRC = feedbackSSRC
                feedback.mediaSSRC = routes.browserSSRC(echoedBy: feedback.mediaSSRC) ?? feedback.mediaSSRC
                upstream.append(.transportFeedback(feedback))
            case .receiverEstimatedMaximumBitrate(var estimate):
                // Likewise the receiver's bandwidth estimate, for browsers without transport-cc.
                estimate.senderSSRC = feedbackSSRC
                estimate.ssrcs = estimate.ssrcs.compactMap { routes.browserSSRC(echoedBy: $0) }
                if !estimate.ssrcs.isEmpty { upstream.append(.receiverEstimatedMaximumBitrate(estimate)) }
            default:
                break
            }
        }
        guard !upstream.isEmpty else { return outputs }
        // A compound starts with a report (RFC 3550 section 6.1); an empty RR costs 8 bytes and
        // keeps receivers that do not do reduced-size RTCP (RFC 5506) happy too.
        var feedback = RTCPPacket.encodeCompound([.receiverReport(RTCPReceiverReport(ssrc: feedbackSSRC))] + upstream)
        do { try outbound.protectRTCP(&feedback) } catch { return outputs }
        outputs.append(.send(feedback, to: destination))
        return outputs
    }

    /// A PLI to the browser for the stream the server echoes on `serverSSRC`, if there is one.
    private func keyframeRequest(forServerSSRC serverSSRC: UInt32) -> [RTCPPacket] {
        guard let browserSSRC = routes.browserSSRC(echoedBy: serverSSRC) else { return [] }
        statistics.keyframeRequestsForwarded += 1
        return [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: feedbackSSRC, mediaSSRC: browserSSRC))]
    }
}
