#!/usr/bin/env python3
"""Writes the seed corpus of the signalling fuzzer (corpus/) in its script format.

Format (see SignalingFuzzer.swift): one configuration byte, then frames separated by 0xFF;
a frame is a header byte (event << 3 | slot) and a payload. "@N" in a text is replaced by the
peer id of slot N's participant. Run it again after changing the seeds below; the files are
checked in so that run.sh needs nothing but the toolchain.
"""

import json
import pathlib

EVENTS = [
    "open", "text", "credentials", "binary", "deadline", "closed", "delivery-failed",
    "rate-limit", "shutdown", "drain", "admin-kick", "admin-close", "resume-window",
]
SEPARATOR = b"\xff"


def frame(event, slot=0, payload=b""):
    if isinstance(payload, str):
        payload = payload.encode()
    if isinstance(payload, dict):
        payload = json.dumps(payload, ensure_ascii=False).encode()
    return bytes([(EVENTS.index(event) << 3) | slot]) + payload


def open_(slot):
    return frame("open", slot)


def text(slot, message):
    return frame("text", slot, message)


def with_credentials(slot, flags, message):
    """flags: bits 0-1 password (1 right, 2 wrong), bits 2-3 token (1 valid, 2 invalid,
    3 another room), bits 4-5 token role (0 moderator, 1 participant, 2 viewer), bit 6 throttled."""
    payload = json.dumps(message).encode() if isinstance(message, dict) else message.encode()
    return frame("credentials", slot, bytes([flags]) + payload)


def join(slot, room, name, **extra):
    return text(slot, {"type": "join", "room": room, "name": name, **extra})


def script(config, *frames):
    """config: bit 0 requireToken, bit 1 requirePrecreatedRooms, bits 2-3 maxPeersPerRoom - 2,
    bit 4 resuming off."""
    return bytes([config]) + SEPARATOR.join(frames)


OFFER_SDP = "\r\n".join([
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
    "a=group:BUNDLE 0 1", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0",
    "a=mid:0", "a=sendrecv", "a=rtpmap:111 opus/48000/2",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=recvonly", "a=rtpmap:96 VP8/90000", "",
])
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host", "sdpMid": "0",
             "sdpMLineIndex": 0}


def seeds():
    yield "call-two-peers", script(
        0b0100,  # four per room
        open_(0), open_(1),
        join(0, "daily-standup", "Ada"),
        join(1, "daily-standup", "Grace", audio=False),
        text(1, {"type": "signal", "to": "@0", "data": {"description": {"type": "offer", "sdp": OFFER_SDP}}}),
        text(0, {"type": "signal", "to": "@1", "data": {"description": {"type": "answer", "sdp": OFFER_SDP}}}),
        text(1, {"type": "signal", "to": "@0", "data": {"candidate": CANDIDATE}}),
        text(1, {"type": "signal", "to": "@0", "data": {"candidate": None}}),
        text(0, {"type": "media", "audio": False, "video": True}),
        text(0, {"type": "leave"}),
        frame("closed", 0),
        frame("closed", 1),
    )
    yield "rooms-apart", script(
        0b0000,
        open_(0), open_(1), open_(2), open_(3),
        join(0, "red", "A"), join(1, "red", "B"), join(2, "blue", "C"), join(3, "blue", "D"),
        text(0, {"type": "signal", "to": "@2", "data": {"x": 1}}),
        text(2, {"type": "signal", "to": "@3", "data": {"x": 2}}),
        text(0, {"type": "kick", "id": "@2"}),
        text(0, {"type": "mute-request", "id": "@3"}),
        text(2, {"type": "mute-all"}),
        text(0, {"type": "signal", "to": "@0", "data": {}}),
        join(0, "blue", "again"),
        frame("delivery-failed", 1),
        frame("rate-limit", 3),
        frame("closed", 1), frame("closed", 3),
    )
    yield "room-full", script(
        0b0000,  # two per room
        open_(0), open_(1), open_(2),
        join(0, "small", "A"), join(1, "small", "B"), join(2, "small", "C"),
        text(1, {"type": "leave"}), join(2, "small", "C"),
    )
    yield "moderation-lobby", script(
        0b1100,
        open_(0), open_(1), open_(2), open_(3), open_(4),
        join(0, "team", "Mod"), join(1, "team", "P"),
        text(0, {"type": "lock"}),
        join(2, "team", "Knocker"), join(3, "team", "Another"), join(4, "team", "Third"),
        text(1, {"type": "admit", "id": "@2"}),
        text(0, {"type": "grant-moderator", "id": "@1"}),
        text(0, {"type": "revoke-moderator", "id": "@0"}),
        text(1, {"type": "set-password", "password": "correct horse"}),
        text(1, {"type": "unlock"}),
        text(1, {"type": "set-password", "password": None}),
        text(1, {"type": "kick", "id": "@0"}),
        text(1, {"type": "deny", "id": "@3"}),
        frame("closed", 1),
        text(2, {"type": "end-room"}),
        frame("admin-close", 3),
    )
    yield "known-rooms-credentials", script(
        0b0100,
        open_(0), open_(1), open_(2), open_(3), open_(4),
        join(0, "secret", "NoPassword"),
        with_credentials(0, 0b10, {"type": "join", "room": "secret", "name": "Wrong", "password": "x"}),
        with_credentials(0, 0b01, {"type": "join", "room": "secret", "name": "Right", "password": "x"}),
        join(1, "locked", "Waiting"),
        with_credentials(2, 0b0100, {"type": "join", "room": "locked", "token": "t"}),
        text(2, {"type": "admit", "id": "@1"}),
        join(3, "both", "Lobby"),
        with_credentials(4, 0b1000000, {"type": "join", "room": "open", "name": "Throttled"}),
        with_credentials(4, 0b1100, {"type": "join", "room": "open", "name": "ElsewhereToken"}),
        with_credentials(4, 0b1000, {"type": "join", "room": "open", "name": "BadToken", "token": "x"}),
        frame("admin-kick", 0),
        frame("deadline", 4),
    )
    yield "require-token-viewer", script(
        0b0111,  # tokens required, rooms precreated only
        open_(0), open_(1), open_(2),
        join(0, "open", "NoToken"),
        with_credentials(0, 0b0100, {"type": "join", "room": "open", "token": "t"}),
        with_credentials(1, 0b100100, {"type": "join", "room": "open", "name": "Viewer", "token": "t"}),
        text(1, {"type": "signal", "to": "@0", "data": {"description": {"type": "answer", "sdp": OFFER_SDP}}}),
        text(1, {"type": "media", "audio": True, "video": True}),
        with_credentials(2, 0b0100, {"type": "join", "room": "unknown-room", "token": "t"}),
        join(2, "unknown-room", "Nobody"),
    )
    yield "drain-shutdown", script(
        0b0100,
        open_(0), open_(1), open_(2),
        join(0, "r", "A"), join(1, "r", "B"),
        frame("drain", 0, bytes([30])),
        join(2, "r", "Late"),
        frame("deadline", 2),
        text(2, {"type": "join", "room": "r", "name": "After deadline"}),
        frame("shutdown", 0),
        text(0, {"type": "leave"}),
        frame("closed", 0), frame("closed", 1), frame("closed", 2),
        open_(0), join(0, "r", "Reconnected"),
    )
    yield "before-join", script(
        0b0100,
        open_(0),
        text(0, {"type": "signal", "to": "x", "data": {}}),
        text(0, {"type": "media", "audio": True, "video": True}),
        text(0, {"type": "leave"}),
        frame("binary", 0, b"\x00\x01"),
        text(0, {"type": "kick", "id": "x"}),
        text(5, {"type": "join", "room": "never-opened", "name": "Ghost"}),
        frame("closed", 6),
    )
    malformed = [
        "", "{", "}", "[]", "null", "\"join\"", "{\"type\":1}", "{\"type\":null}", "{\"type\":\"\"}",
        "{\"type\":\"join\"}", "{\"type\":\"join\",\"room\":\"a b\",\"name\":\"x\"}",
        "{\"type\":\"join\",\"room\":\"ok\",\"name\":\"   \"}",
        "{\"type\":\"join\",\"room\":\"ok\",\"name\":\"a\\u0000b\"}",
        "{\"type\":\"join\",\"room\":\"ok\",\"name\":\"x\",\"audio\":\"yes\"}",
        "{\"type\":\"signal\",\"to\":\"@1\",\"data\":[1,2]}", "{\"type\":\"signal\",\"data\":{}}",
        "{\"type\":\"media\",\"audio\":true}", "{\"type\":\"set-password\",\"password\":\"\"}",
        "{\"type\":\"set-password\",\"password\":7}", "{\"type\":\"unknown\"}", "{\"type\":\"join\",}",
        "{\"type\":\"leave\",\"type\":\"join\"}", "{'type':'leave'}", "{\"type\":\"leave\"} trailing",
        "\ufeff{\"type\":\"leave\"}", "{\"type\":\"le\\u0061ve\"}", "{\"type\":\"signal\",\"to\":\"\\ud800\",\"data\":{}}",
    ]
    yield "malformed-json", script(
        0b0100, open_(0), open_(1), join(1, "m", "Target"),
        *[text(0, m) for m in malformed],
        join(0, "m", "Sender"),
        *[text(0, m) for m in malformed],
    )
    yield "numbers", script(
        0b0100, open_(0), open_(1), join(0, "n", "A"), join(1, "n", "B"),
        *[text(0, "{\"type\":\"signal\",\"to\":\"@1\",\"data\":{\"v\":%s}}" % number) for number in [
            "1e999", "-1e999", "1e-999", "-0", "0.1", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "123456789012345678901234567890", "1E+2", "01", "1.", ".5", "NaN", "Infinity",
        ]],
    )
    yield "deep-nesting", script(
        0b0100, open_(0), open_(1), join(0, "d", "A"), join(1, "d", "B"),
        text(0, "{\"type\":\"signal\",\"to\":\"@1\",\"data\":{\"a\":" + "[" * 600 + "]" * 600 + "}}"),
        text(0, "{\"type\":\"signal\",\"to\":\"@1\",\"data\":" + "{\"a\":" * 300 + "1" + "}" * 300 + "}"),
        text(0, "{\"type\":\"signal\",\"to\":\"@1\",\"data\":{\"a\":" + "[" * 2000 + "}}"),
        text(0, "[" * 3000),
    )
    yield "huge-strings", script(
        0b0100, open_(0), open_(1), join(0, "h", "A"), join(1, "h", "B"),
        text(0, {"type": "signal", "to": "@1", "data": {"s": "x" * 3900}}),
        text(0, {"type": "signal", "to": "@1", "data": {"s": "y" * 5000}}),
        text(0, {"type": "signal", "to": "@1", "data": {"description": {"type": "offer", "sdp": "a=x\n" * 60}}}),
        text(0, {"type": "signal", "to": "@1", "data": {"description": {"type": "offer", "sdp": "v" * 1100}}}),
        text(0, {"type": "join", "room": "r" * 65, "name": "n"}),
        text(0, {"type": "set-password", "password": "p" * 257}),
        text(1, {"type": "join", "room": "h", "name": "é" * 65}),
        text(0, {"type": "kick", "id": "z" * 3000}),
    )
    yield "names", script(
        0b0100, open_(0), open_(1), open_(2), open_(3),
        join(0, "u", "  Zoë  "), join(1, "u", "👩‍💻" * 64), join(2, "u", "\u202eevil"),
        join(3, "u", "\tTab"), join(3, "u", "\u00a0"), join(3, "u", "a\u0301" * 64), join(3, "u", "名前"),
    )
    yield "hands-reactions-chat", script(
        0b0100,
        open_(0), open_(1), open_(2),
        join(0, "talk", "A"), join(1, "talk", "B"), join(2, "other", "C"),
        text(0, {"type": "hand", "raised": True}), text(1, {"type": "hand", "raised": False}),
        text(0, {"type": "hand", "raised": "yes"}),
        text(1, {"type": "reaction", "emoji": "\U0001F44D"}), text(1, {"type": "reaction", "emoji": "\u2764\ufe0f"}),
        text(1, {"type": "reaction", "emoji": "\u2764"}), text(1, {"type": "reaction", "emoji": "x" * 50}),
        text(0, {"type": "chat", "id": "0123456789abcdef", "text": "hello"}),
        text(1, {"type": "chat", "id": "0123456789abcdee", "text": "  line\nnext\t"}),
        text(1, {"type": "chat", "id": "0123456789abcdee", "text": "again"}),
        text(1, {"type": "chat", "id": "0123456789ABCDEF", "text": "bad id"}),
        text(1, {"type": "chat", "id": "0123456789abcdea", "text": "\u0007bell"}),
        text(1, {"type": "chat", "id": "0123456789abcdeb", "text": "z" * 41}),
        text(1, {"type": "chat", "id": "0123456789abcdec", "text": "   "}),
        text(2, {"type": "chat", "id": "0123456789abcded", "text": "elsewhere"}),
        open_(3), text(3, {"type": "chat", "id": "0123456789abcdef", "text": "not joined"}),
        join(3, "talk", "Late"),
    )
    yield "resume", script(
        0b0100,
        open_(0), open_(1), open_(2),
        join(0, "seat", "A"), join(1, "seat", "B"),
        text(0, {"type": "hand", "raised": True}),
        frame("closed", 0),
        text(1, {"type": "signal", "to": "@0", "data": {"candidate": None}}),
        text(1, {"type": "chat", "id": "0123456789abcdef", "text": "while away"}),
        text(1, {"type": "mute-request", "id": "@0"}),
        join(2, "seat", "C", resume="#0"),
        join(2, "seat", "C", resume="#0"),
        open_(0), join(0, "seat", "Stale", resume="#0"),
        open_(3), join(3, "elsewhere", "Foreign", resume="#2"),
        frame("closed", 2),
        frame("resume-window", 2),
        join(3, "seat", "Too late", resume="#2"),
        frame("closed", 1), text(0, {"type": "kick", "id": "@1"}),
        open_(4), join(4, "seat", "Half-open", resume="#0"),
        frame("closed", 4), frame("admin-kick", 4),
        frame("closed", 0), frame("admin-close", 0),
    )
    yield "away-hand-over", script(
        0b0100,
        open_(0), open_(1), join(0, "seat", "A"), join(1, "seat", "B"),
        frame("closed", 0), frame("closed", 1),
        open_(2), join(2, "seat", "A again", resume="#0"),
        frame("closed", 2),
        frame("admin-kick", 2),  # B, away, becomes moderator unseen; it learns on resuming
        open_(3), join(3, "seat", "B again", resume="#1"),
    )
    yield "resume-off-and-drain", script(
        0b10100,
        open_(0), open_(1), join(0, "r", "A"), join(1, "r", "B"),
        frame("closed", 0), open_(0), join(0, "r", "Back", resume="#0"),
        frame("drain", 0, bytes([5])), frame("closed", 1),
    )


def known_issues():
    """Smallest scripts showing the issues the fuzzer keeps out unless PARLEY_FUZZ_STRICT=1
    (SignalingFuzzer.swift, "Known issue"); each fails in strict mode until it is fixed."""
    yield "closing-unjoined-connection", script(
        0b0100,
        open_(0),
        frame("delivery-failed", 0),  # the hub answers .close, but the connection stays awaiting its join
        join(0, "after-close", "Still here"),  # ... so it is let in after it was closed
    )
    yield "shutdown-keeps-members", script(
        0b0100,
        open_(0), join(0, "r", "A"),
        frame("shutdown", 0),
        frame("closed", 0),  # the hub still counts A in room r
        open_(1), join(1, "r", "B"),  # B is told A is there; peer-joined goes to A's closed connection
    )
    yield "cubic-nesting", script(
        0b0100,
        open_(0), open_(1), join(0, "d", "A"), join(1, "d", "B"),
        # About 1 s to decode in a release build; over 10 s under ASan.
        text(0, "{\"type\":\"signal\",\"to\":\"@1\",\"data\":{\"a\":" + "[" * 500 + "]" * 500 + "}}"),
    )


def write(folder, scripts):
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.bin"):
        old.unlink()
    for name, data in scripts:
        (folder / f"{name}.bin").write_bytes(data)
        print(f"{folder.name}/{name}.bin: {len(data)} bytes")


def main():
    here = pathlib.Path(__file__).resolve().parent
    write(here / "corpus", seeds())
    write(here / "known-issues", known_issues())


if __name__ == "__main__":
    main()
