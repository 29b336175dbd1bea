// libFuzzer target for the signalling decoder and the room state machine (SignalingHub).
//
// Compiled by run.sh together with Sources/ParleySignaling/*.swift into one module, so it
// sees the hub exactly as the server does (and its internals too).
//
// The input is a script, read by `Script`:
//   byte 0        the configuration: bit 0 requireToken, bit 1 requirePrecreatedRooms,
//                 bits 2-3 maxPeersPerRoom - 2 (so 2...5)
//   the rest      frames separated by the byte 0xFF (which valid UTF-8 never holds, so texts
//                 keep their newlines); in each frame the first byte picks the connection (its
//                 low 3 bits: one of 8 slots) and the event (the rest, modulo the number of
//                 events, see `Event`); the remaining bytes are the event's payload (a text
//                 frame's text, drain seconds, ...). In a text, "@0" ... "@7" stand for the peer
//                 id of that slot's participant, so that signals and moderation can find their
//                 targets without guessing 64 random bits, and "#0" ... "#7" for the resume
//                 token the slot was last given, so that joins can take seats back.
// make_corpus.py writes the seed corpus in this format.
// After every step the actions are checked against a model built only from what the hub
// said (`Model`), and the hub's counters against the model. A broken rule stops the run
// with the step that broke it; PARLEY_FUZZ_TRACE=1 prints every step and its actions.

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func signalingFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The decoder on its own, with whatever the input is (newlines included).
    checkDecoding(String(decoding: bytes, as: UTF8.self), maxBytes: 1 << 16)
    var script = Script(bytes)
    script.run()
    return 0
}

/// What can happen to a connection, in the order the frame header selects them.
enum Event: UInt8, CaseIterable {
    case open
    case text
    /// A text frame whose join is checked by the shell first: the payload's first byte says
    /// what the shell found (password right or wrong, token valid or not, address throttled).
    case textWithCredentials
    case binary
    case joinDeadline
    case closed
    case deliveryFailed
    case rateLimitExceeded
    case shutdown
    case drain
    case adminKick
    case adminCloseRoom
    /// The resume window of the slot's (closed) connection passed.
    case resumeWindowPassed
}

/// SplitMix64, so that peer ids, and so every run of one input, are the same.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let traceEnabled = getenv("PARLEY_FUZZ_TRACE") != nil

/// Once kept out because of known issues in the hub, now fixed, and fed like everything else:
/// events after a shutdown (the hub used to keep its rooms) and closing a connection that has
/// not joined (it used to go on being answered). The switches stay so a regression can be
/// narrowed down. (Deeply nested JSON, whose decoding took time cubic in the depth, is fed too:
/// the decoder now refuses more than `ClientMessage.maxNestingDepth` levels first.)
let feedsEverythingAfterShutdown = true
let feedsClosingOfUnjoined = true

func trace(_ text: @autoclosure () -> String) {
    if traceEnabled {
        writeToStandardError(text() + "\n")
    }
}

func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        guard written > 0 else { return }
        bytes.removeFirst(written)
    }
}

/// Decoding never traps, is deterministic, and a size over the limit is always refused.
func checkDecoding(_ text: String, maxBytes: Int) {
    checkJSON(text)
    let first = ClientMessage.decode(text, maxBytes: maxBytes)
    let second = ClientMessage.decode(text, maxBytes: maxBytes)
    require(first == second, "decoding the same text twice gave different results")
    if text.utf8.count > maxBytes {
        guard case .failure(let error) = first, error.code == .messageTooLarge else {
            fail("a message over the size limit was not refused as message-too-large")
        }
    }
}

/// The JSON parser on its own: what it reads, written back, reads as the same value; and
/// Foundation's decoder (which the server used before) reads it too, to the same value (numbers
/// compared by value: Foundation may read `1e2` as an integer). Foundation is laxer (it takes
/// trailing commas, for one), so a text only Foundation reads is not a failure.
func checkJSON(_ text: String) {
    let depth = ClientMessage.maxNestingDepth
    checkKeptMembers(text)
    guard let ours = try? JSONValue(parsing: text, maxDepth: depth) else { return }
    require(
        (try? JSONValue(parsing: ours.jsonText, maxDepth: depth)) == ours, "written JSON did not read back the same")
    let foundations = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    require(
        foundations.map(numbersAsDoubles) == numbersAsDoubles(ours),
        "Foundation's decoder read \(String(describing: foundations)) where the JSON parser read \(ours)")
}

/// `parseMembers` (how messages are decoded, a signal's `data` kept as text) agrees with the
/// parser on every text: the same error for what it refuses; for an object, the same members,
/// a kept text that reads as the parser's `data`, and the parser's `data.description`.
func checkKeptMembers(_ text: String) {
    let depth = ClientMessage.maxNestingDepth
    let parsed = Result { () throws(JSONSyntaxError) in try JSONValue(parsing: text, maxDepth: depth) }
    let kept = Result { () throws(JSONSyntaxError) in
        try JSONValue.parseMembers(of: text, maxDepth: depth, keepingTextOf: "data", butParsing: "description")
    }
    switch (parsed, kept) {
    case (.failure(let error), .failure(let keptError)):
        require(error == keptError, "the parser refused with \(error), parseMembers with \(keptError)")
    case (.success(.object(var members)), .success(let keptMembers?)):
        let data = members.removeValue(forKey: "data")
        require(keptMembers.members == members, "parseMembers read other members than the parser")
        let keptData = keptMembers.kept.flatMap { try? JSONValue(parsing: String($0), maxDepth: .max) }
        require(
            keptData == data,
            "the kept text of data (\(String(describing: keptMembers.kept))) does not read as the parser's (\(String(describing: data)))"
        )
        require(keptMembers.keptMember == data?["description"], "data.description differs")
    case (.success(let value), .success(nil)):
        if case .object = value { fail("parseMembers said an object was not one") }
    default:
        fail("the parser gave \(parsed), parseMembers \(kept)")
    }
}

func numbersAsDoubles(_ value: JSONValue) -> JSONValue {
    switch value {
    case .integer(let integer): .number(Double(integer))
    case .array(let elements): .array(elements.map(numbersAsDoubles))
    case .object(let members): .object(members.mapValues(numbersAsDoubles))
    default: value
    }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

func fail(_ message: String) -> Never {
    writeToStandardError("INVARIANT BROKEN: \(message)\n")
    fatalError(message)
}

/// Runs one input against a fresh hub.
struct Script {
    static let slots = 8

    var hub: SignalingHub
    let bytes: [UInt8]
    var model = Model()
    /// The connection each slot stands for now; a slot gets a new id when it opens again
    /// after closing, as the server never reuses one.
    var slotConnection: [ConnectionID]
    var nextConnection: UInt64 = 100
    /// The resume token each slot was last given in a `joined`.
    var slotToken: [Int: ResumeToken] = [:]
    var step = 0
    var hasShutDown = false

    init(_ bytes: [UInt8]) {
        let flags = bytes.first ?? 0
        let configuration = SignalingConfiguration(
            // Small limits, so that short inputs reach them.
            maxPeersPerRoom: 2 + Int((flags >> 2) & 3),
            maxMessageBytes: 4_096,
            maxSDPBytes: 1_024,
            maxSDPLines: 40,
            maxLobbyPerRoom: 2,
            iceServers: [ICEServer(urls: ["stun:127.0.0.1:3478"])],
            requireToken: flags & 1 != 0,
            requirePrecreatedRooms: flags & 2 != 0,
            maxChatCharacters: 40,
            chatHistoryLimit: 3,
            resumeWindow: flags & 16 != 0 ? .zero : .seconds(30),
            maxQueuedWhileAway: 4)
        let known: [RoomName: RoomSettings] = [
            RoomName("locked")!: RoomSettings(locked: true),
            RoomName("secret")!: RoomSettings(passwordHash: "hash"),
            RoomName("both")!: RoomSettings(passwordHash: "hash", locked: true),
            RoomName("open")!: RoomSettings(),
        ]
        hub = SignalingHub(configuration: configuration, knownRooms: known, random: SeededGenerator(state: 7))
        self.bytes = bytes
        // Before a slot opens, its id is one the hub has never seen.
        slotConnection = (0..<UInt64(Self.slots)).map { ConnectionID(1 + $0) }
        trace("config: \(configuration)")
    }

    mutating func run() {
        guard bytes.count > 1 else { return }
        for frame in bytes[1...].split(separator: 0xFF, omittingEmptySubsequences: true) {
            let header = frame[frame.startIndex]
            let slot = Int(header & 7)
            let event = Event.allCases[Int(header >> 3) % Event.allCases.count]
            perform(event, slot: slot, payload: Array(frame.dropFirst()))
            step += 1
        }
    }

    private mutating func perform(_ event: Event, slot: Int, payload: [UInt8]) {
        let connection = slotConnection[slot]
        if hasShutDown && !feedsEverythingAfterShutdown && event != .closed {
            trace("#\(step) (\(event) not fed after shutdown)")
            return
        }
        var scope = Scope.connection(connection, room: model.room(of: connection))
        let actions: [SignalingAction]
        switch event {
        case .open:
            guard !model.open.contains(connection) else { return }
            let fresh = ConnectionID(nextConnection)
            nextConnection += 1
            slotConnection[slot] = fresh
            trace("#\(step) open slot \(slot) as \(fresh)")
            hub.connectionOpened(fresh)
            model.open.insert(fresh)
            actions = []
            scope = .connection(fresh, room: nil)
        case .text:
            let text = substitutingPeerIDs(payload)
            trace("#\(step) text from \(connection): \(text.prefix(300))")
            actions = receive(text, from: connection, credentials: JoinCredentials())
        case .textWithCredentials:
            let flags = payload.first ?? 0
            let text = substitutingPeerIDs(Array(payload.dropFirst()))
            let decoded = ClientMessage.decode(text, maxBytes: hub.configuration.maxMessageBytes)
            let credentials = Self.credentials(flags, for: decoded)
            trace("#\(step) text from \(connection) with \(credentials): \(text.prefix(300))")
            actions = receive(text, from: connection, credentials: credentials)
        case .binary:
            trace("#\(step) binary from \(connection)")
            actions = hub.binaryReceived(from: connection)
        case .joinDeadline:
            trace("#\(step) join deadline of \(connection)")
            actions = hub.joinDeadlinePassed(for: connection)
        case .closed:
            trace("#\(step) \(connection) closed")
            actions = hub.connectionClosed(connection)
        case .deliveryFailed, .rateLimitExceeded:
            if !feedsClosingOfUnjoined && model.open.contains(connection) && !model.closing.contains(connection)
                && model.room(of: connection) == nil
            {
                trace("#\(step) (\(event) of \(connection) not fed: it has not joined)")
                return
            }
            if event == .deliveryFailed {
                trace("#\(step) delivery to \(connection) failed")
                actions = hub.deliveryFailed(to: connection)
            } else {
                trace("#\(step) \(connection) over its rate")
                actions = hub.rateLimitExceeded(by: connection)
            }
        case .shutdown:
            trace("#\(step) shutdown")
            actions = hub.shutdown()
            scope = .everyone
            hasShutDown = true
            model.serverShutDown()
        case .drain:
            let seconds = Int(payload.first ?? 30)
            trace("#\(step) drain within \(seconds) s")
            actions = hub.drainStarted(within: seconds)
            scope = .everyone
        case .adminKick:
            guard let room = model.member[connection], let peer = model.peer[connection] else { return }
            trace("#\(step) admin kicks \(peer) (\(connection)) from \(room)")
            let wasAway = model.away.contains(connection)
            actions = hub.adminKick(peer, from: room) ?? []
            require(wasAway || !actions.isEmpty, "adminKick of a member returned nothing")
            scope = .room(room)
            if wasAway { model.endAway(connection) }
        case .adminCloseRoom:
            guard let room = model.room(of: connection) else { return }
            trace("#\(step) admin closes \(room)")
            actions = hub.adminCloseRoom(room) ?? []
            scope = .room(room)
            model.endAwaySeats(in: room)
        case .resumeWindowPassed:
            guard model.away.contains(connection), let room = model.member[connection] else {
                trace("#\(step) resume window of \(connection) passed (not away)")
                actions = hub.resumeWindowPassed(for: connection)
                require(actions.isEmpty, "the window of a connection that is not away did something: \(actions)")
                return
            }
            trace("#\(step) resume window of \(connection) passed")
            actions = hub.resumeWindowPassed(for: connection)
            model.endAway(connection)
            scope = .room(room)
        }
        for action in actions {
            trace("    \(action)")
        }
        model.apply(actions, scope: scope, step: step, configuration: hub.configuration)
        if event == .closed {
            if actions.contains(where: { if case .scheduleAwayExpiry(connection, _) = $0 { true } else { false } }) {
                model.goAway(connection)
            } else if !model.away.contains(connection) {
                // Closed once more after going away: the seat stays.
                model.forget(connection)
            }
        }
        for action in actions {
            if case .send(.joined(_, _, _, _, _, let welcome), let target) = action, let token = welcome.resume,
                let slot = slotConnection.firstIndex(of: target)
            {
                slotToken[slot] = token
            }
        }
        model.check(against: hub, step: step, roomsComparable: !hasShutDown || feedsEverythingAfterShutdown)
    }

    /// The payload as text, with "@N" replaced by the peer id of slot N's participant and
    /// "#N" by the resume token slot N was last given.
    private func substitutingPeerIDs(_ payload: [UInt8]) -> String {
        guard payload.contains(UInt8(ascii: "@")) || payload.contains(UInt8(ascii: "#")) else {
            return String(decoding: payload, as: UTF8.self)
        }
        var result: [UInt8] = []
        result.reserveCapacity(payload.count + 64)
        var index = 0
        while index < payload.count {
            let byte = payload[index]
            if byte == UInt8(ascii: "@"), index + 1 < payload.count,
                (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(payload[index + 1]),
                let id = model.peer[slotConnection[Int(payload[index + 1] - UInt8(ascii: "0"))]]
            {
                result += Array(id.rawValue.utf8)
                index += 2
            } else if byte == UInt8(ascii: "#"), index + 1 < payload.count,
                (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(payload[index + 1]),
                let token = slotToken[Int(payload[index + 1] - UInt8(ascii: "0"))]
            {
                result += Array(token.rawValue.utf8)
                index += 2
            } else {
                result.append(byte)
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// What the relay does with a text frame: decode it, hash a new password, hand it on.
    private mutating func receive(
        _ text: String, from connection: ConnectionID, credentials: JoinCredentials
    ) -> [SignalingAction] {
        let maxBytes = hub.configuration.maxMessageBytes
        checkDecoding(text, maxBytes: maxBytes)
        var decoded = ClientMessage.decode(text, maxBytes: maxBytes)
        if case .success(.setPassword(let password)) = decoded {
            // The relay hashes only a moderator's password; the hub must refuse anyone else.
            decoded = .success(.moderate(.setPassword(hash: password.map { "hashed:" + $0 })))
        }
        // Chat timestamps come from the step number, so ages vary but runs repeat.
        return hub.decodedMessageReceived(
            decoded, from: connection, credentials: credentials, now: Int64(step) * 60_000)
    }

    /// The shell's findings about a join, chosen by `flags`: bits 0-1 the password (none,
    /// right, wrong), bits 2-3 the token (none, valid, invalid, valid for another room), bits
    /// 4-5 the token's role, bit 6 the address over its join rate.
    static func credentials(_ flags: UInt8, for decoded: Result<ClientMessage, SignalingError>) -> JoinCredentials {
        let password: Bool? =
            switch flags & 3 {
            case 1: true
            case 2: false
            default: nil
            }
        var token = JoinCredentials.Token.absent
        if case .success(.join(let room, let name, _, _, _, _, _)) = decoded {
            let role = Role.allCases[Int((flags >> 4) & 3) % Role.allCases.count]
            let tokenName = name ?? DisplayName("From a token")!
            switch (flags >> 2) & 3 {
            case 1: token = .valid(JoinToken(room: room, name: tokenName, role: role))
            case 2: token = .invalid("bad signature")
            case 3: token = .valid(JoinToken(room: RoomName("elsewhere")!, name: tokenName, role: role))
            default: break
            }
        }
        return JoinCredentials(passwordMatches: password, token: token, rateLimited: flags & 64 != 0)
    }
}

/// Whom an event may concern: room-scoped messages it causes must stay within this.
enum Scope {
    /// Something one connection did or that happened to it; `room` is where it was.
    case connection(ConnectionID, room: RoomName?)
    /// An administrator acted on a room.
    case room(RoomName)
    /// Draining or shutting down: every connection.
    case everyone
}

/// What the actions so far have said about each connection; nothing is read from the hub.
struct Model {
    /// Opened and not yet reported closed.
    var open: Set<ConnectionID> = []
    /// The hub has closed them (`.close`); nothing may be sent to them any more.
    var closing: Set<ConnectionID> = []
    /// In a room: learnt from `joined`.
    var member: [ConnectionID: RoomName] = [:]
    /// Waiting in a lobby: learnt from `lobby`.
    var waiting: [ConnectionID: RoomName] = [:]
    var peer: [ConnectionID: PeerID] = [:]
    var role: [ConnectionID: Role] = [:]
    /// Closed without leaving, with their seats kept (still in `member`, no longer `open`).
    var away: Set<ConnectionID> = []
    /// Connections whose seat a resume took over this step: the hub may close them.
    var superseded: Set<ConnectionID> = []
    /// The connection that resumed this step: what follows its `joined` for it was queued
    /// while it was away, caused by others.
    var replaying: ConnectionID?

    func room(of connection: ConnectionID) -> RoomName? {
        member[connection] ?? waiting[connection]
    }

    mutating func forget(_ connection: ConnectionID) {
        open.remove(connection)
        closing.remove(connection)
        leave(connection)
    }

    /// The connection closed and its participant is away: the seat stays, the socket does not.
    mutating func goAway(_ connection: ConnectionID) {
        guard member[connection] != nil else { fail("\(connection) went away without a seat") }
        open.remove(connection)
        closing.remove(connection)
        away.insert(connection)
    }

    /// After a shutdown nobody is in any room: seats, lobbies and away seats are all gone.
    mutating func serverShutDown() {
        member = [:]
        waiting = [:]
        peer = [:]
        role = [:]
        away = []
    }

    /// An away seat is gone for good (window passed, kicked, room ended).
    mutating func endAway(_ connection: ConnectionID) {
        guard away.remove(connection) != nil else { return }
        leave(connection)
    }

    mutating func endAwaySeats(in room: RoomName) {
        for connection in away where member[connection] == room {
            endAway(connection)
        }
    }

    private mutating func leave(_ connection: ConnectionID) {
        member[connection] = nil
        waiting[connection] = nil
        peer[connection] = nil
        role[connection] = nil
    }

    mutating func apply(
        _ actions: [SignalingAction], scope: Scope, step: Int, configuration: SignalingConfiguration
    ) {
        func broken(_ message: String) -> Never {
            fail("step \(step): \(message)")
        }
        let actor: ConnectionID?
        var scopeRoom: RoomName?
        switch scope {
        case .connection(let connection, let room): (actor, scopeRoom) = (connection, room)
        case .room(let room): (actor, scopeRoom) = (nil, room)
        case .everyone: (actor, scopeRoom) = (nil, nil)
        }
        let isEveryone = if case .everyone = scope { true } else { false }
        superseded = []
        replaying = nil
        if actor.map({ !open.contains($0) }) ?? false {
            if !actions.isEmpty { broken("actions for a connection that is not open: \(actions)") }
            return
        }

        for action in actions {
            switch action {
            case .send(let message, let target):
                checkDeliverable(to: target, broken)
                deliver(message, to: [target], actor: actor, scopeRoom: scopeRoom, configuration: configuration, broken)
                if target == actor, scopeRoom == nil {
                    // The actor has just entered a room or its lobby: what follows concerns it.
                    scopeRoom = room(of: target)
                }
            case .broadcast(let message, let targets):
                if targets.isEmpty { broken("a broadcast to nobody: \(message.type)") }
                if Set(targets).count != targets.count { broken("a broadcast names a connection twice") }
                for target in targets { checkDeliverable(to: target, broken) }
                deliver(message, to: targets, actor: actor, scopeRoom: scopeRoom, configuration: configuration, broken)
            case .close(let target, let code, let finalError):
                checkDeliverable(to: target, broken)
                if !isEveryone && target != actor && room(of: target) != scopeRoom && !superseded.contains(target) {
                    broken("closed \(target) outside \(scopeRoom.map(\.rawValue) ?? "any room")")
                }
                if code == .roomEnded, let ended = room(of: target) {
                    endAwaySeats(in: ended)
                }
                finalError.map { checkEncodes(.error($0), broken) }
                closing.insert(target)
                leave(target)
            case .saveRoom(let name, _):
                if !isEveryone, let actor, scopeRoom != nil, scopeRoom != name, room(of: actor) != name {
                    broken("saved room \(name) from an event in \(scopeRoom!)")
                }
            case .saveChat(let name, let message):
                guard let actor, member[actor] == name, peer[actor] == message.from else {
                    broken("saved chat of \(name) that its sender did not send there")
                }
            case .scheduleAwayExpiry(let target, _):
                if target != actor || member[target] == nil {
                    broken("an away seat for \(target), which did not just close with a seat")
                }
            }
        }
    }

    private func checkDeliverable(to target: ConnectionID, _ broken: (String) -> Never) {
        if !open.contains(target) { broken("delivery to \(target), which is not open") }
        if closing.contains(target) { broken("delivery to \(target) after the hub closed it") }
    }

    private mutating func deliver(
        _ message: ServerMessage, to targets: [ConnectionID], actor: ConnectionID?, scopeRoom: RoomName?,
        configuration: SignalingConfiguration, _ broken: (String) -> Never
    ) {
        checkEncodes(message, broken)
        if let replaying, targets == [replaying], message.type != "joined" {
            // Queued for the participant while away: only where it goes can be checked.
            if member[replaying] != scopeRoom { broken("\(message.type) replayed outside \(replaying)'s room") }
            return
        }
        switch message {
        case .joined(let you, let room, let peers, _, _, let welcome):
            guard targets.count == 1, let target = targets.first else { broken("joined broadcast") }
            if welcome.resumed {
                // The seat moves from the connection it had to this one.
                guard target == actor, member[target] == nil, waiting[target] == nil,
                    let previous = member.first(where: { $0.value == room && peer[$0.key] == you.id })?.key
                else { broken("\(target) resumed \(you.id) in \(room), which holds no such seat") }
                // An away participant may have been made moderator meanwhile (a hand-over it
                // learns on resuming); a superseded live one was told of every change.
                if !away.contains(previous), role[previous] != you.role {
                    broken("\(you.id) resumed as \(you.role), not \(role[previous]!)")
                }
                if !away.contains(previous) { superseded.insert(previous) }
                replaying = target
                away.remove(previous)
                leave(previous)
            }
            if member[target] != nil { broken("joined sent to \(target), already in \(member[target]!)") }
            if let waitingRoom = waiting[target], waitingRoom != room {
                broken("\(target) waited in \(waitingRoom) but joined \(room)")
            }
            if target != actor && (waiting[target] != room || scopeRoom != room) {
                broken("\(target) joined \(room) through another connection's event outside that room")
            }
            let others = member.filter { $0.value == room }.keys
            let othersIDs = Set(others.compactMap { peer[$0] })
            if Set(peers.map(\.id)) != othersIDs || peers.count != others.count {
                broken(
                    "joined lists \(peers.map(\.id)) but the room holds \(othersIDs.sorted { $0.rawValue < $1.rawValue })"
                )
            }
            if others.count + 1 > configuration.maxPeersPerRoom {
                broken("\(room) has \(others.count + 1) members, over \(configuration.maxPeersPerRoom)")
            }
            if peer.values.contains(you.id) { broken("peer id \(you.id) given out twice") }
            if (welcome.resume != nil) != (configuration.resumeWindow > .zero) {
                broken("a resume token with resuming \(configuration.resumeWindow > .zero ? "on" : "off")")
            }
            waiting[target] = nil
            member[target] = room
            peer[target] = you.id
            role[target] = you.role
        case .lobby(let room):
            guard let target = actor, targets == [target] else { broken("lobby sent to someone else") }
            if member[target] != nil || waiting[target] != nil { broken("lobby sent to \(target), already placed") }
            if waiting.values.filter({ $0 == room }).count + 1 > configuration.maxLobbyPerRoom {
                broken("\(room)'s lobby is over \(configuration.maxLobbyPerRoom)")
            }
            waiting[target] = room
        case .draining:
            if actor != nil || scopeRoom != nil { broken("draining outside a drain") }
            let everyoneJoined = Set(member.keys).subtracting(away)
            if Set(targets) != everyoneJoined { broken("draining to \(targets), not to every participant") }
        case .error:
            if targets.count != 1 || targets.first != actor {
                broken("an error sent to \(targets), not to the connection that caused it")
            }
        case .peerJoined, .peerLeft, .peerMedia, .signal, .peerRole, .muteRequest, .roomState, .knock,
            .knockEnded, .peerHand, .reaction, .chat:
            // Room-scoped: only to members of the room the event happened in.
            guard let scopeRoom else { broken("\(message.type) with no room in scope") }
            for target in targets {
                if member[target] != scopeRoom {
                    broken(
                        "\(message.type) crossed rooms: event in \(scopeRoom), sent to \(target) in \(member[target].map(\.rawValue) ?? "no room")"
                    )
                }
            }
            switch message {
            case .signal(let from, _):
                guard let actor, let sender = peer[actor] else { broken("a signal relayed from nobody") }
                if from != sender { broken("a signal claims to be from \(from), but \(sender) sent it") }
                if targets.contains(actor) { broken("a signal relayed back to its sender") }
            case .knock, .knockEnded:
                for target in targets where role[target] != .moderator {
                    broken("\(message.type) sent to \(target), who is not a moderator")
                }
            case .peerRole(let id, let newRole):
                if let target = member.first(where: { $0.value == scopeRoom && peer[$0.key] == id })?.key {
                    role[target] = newRole
                } else {
                    broken("peer-role for \(id), who is not in \(scopeRoom)")
                }
            case .peerLeft(let id):
                // An away seat that is removed (kicked, say) is seen only through this.
                if let gone = away.first(where: { member[$0] == scopeRoom && peer[$0] == id }) {
                    endAway(gone)
                }
            case .chat(let message):
                if let actor, message.from != peer[actor] { broken("chat from \(message.from) sent by \(actor)") }
                if let actor, !targets.contains(actor) { broken("chat not shown to its sender") }
            case .peerHand(let id, _), .reaction(let id, _):
                if let actor, id != peer[actor] { broken("\(message.type) for \(id) sent by \(actor)") }
                if let actor, !targets.contains(actor) { broken("\(message.type) not shown to its sender") }
            default:
                break
            }
        }
    }

    /// What the server would send can be encoded and read back as a JSON object of its type.
    private func checkEncodes(_ message: ServerMessage, _ broken: (String) -> Never) {
        let text = message.jsonText()
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
            value["type"]?.stringValue == message.type
        else { broken("\(message.type) encoded as unreadable JSON: \(text.prefix(300))") }
    }

    /// The hub's own counts agree with what its actions said.
    func check(against hub: SignalingHub, step: Int, roomsComparable: Bool) {
        func broken(_ message: String) -> Never {
            fail("step \(step): \(message)")
        }
        if hub.connectionCount != open.count {
            broken("hub counts \(hub.connectionCount) connections, the actions imply \(open.count)")
        }
        guard roomsComparable else { return }
        if hub.awayCount != away.count {
            broken("hub holds \(hub.awayCount) away seats, the actions imply \(away.count)")
        }
        if hub.participantCount - hub.awayCount > hub.connectionCount {
            broken(
                "more participants with a connection (\(hub.participantCount - hub.awayCount)) than connections (\(hub.connectionCount))"
            )
        }
        if hub.participantCount != member.count {
            broken("hub counts \(hub.participantCount) participants, the actions imply \(member.count)")
        }
        let rooms = Set(member.values).union(waiting.values)
        if hub.roomCount != rooms.count {
            broken("hub has \(hub.roomCount) busy rooms, the actions imply \(rooms.count)")
        }
        for name in rooms {
            guard let room = hub.room(name) else { broken("room \(name) vanished") }
            let members = member.filter { $0.value == name }
            if room.members.count != members.count || Set(room.members.map(\.connection)) != Set(members.keys) {
                broken("\(name) has members \(room.members.map(\.connection)), the actions imply \(members.keys)")
            }
            if room.lobby.count != waiting.values.filter({ $0 == name }).count {
                broken("\(name)'s lobby holds \(room.lobby.count), the actions imply otherwise")
            }
            // Away participants are told of role changes only when they resume.
            for member in room.members
            where !away.contains(member.connection) && role[member.connection] != member.info.role {
                broken("\(member.connection) is \(member.info.role) in the hub but was told otherwise")
            }
        }
    }
}
