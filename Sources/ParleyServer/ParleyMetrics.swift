import CoreMetrics
import Foundation
import MediaServer
import Prometheus
import Synchronization
import TURN

/// Parley's metrics, kept in a registry of their own (not the process-wide `MetricsSystem`),
/// so that every application instance, including each one a test starts, counts separately.
/// `/metrics` serves them in Prometheus text format; every name starts with `parley_`.
public struct ParleyMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let rooms: CoreMetrics.Gauge
    private let participants: CoreMetrics.Gauge
    private let connections: CoreMetrics.Gauge
    private let residentMemory: CoreMetrics.Gauge
    // Totals since start, copied from the TURN server's own counters (so gauges, not counters).
    private let turnAllocations: CoreMetrics.Gauge
    private let turnPacketsRelayed: CoreMetrics.Gauge
    private let turnBytesRelayed: CoreMetrics.Gauge
    private let turnForbiddenPeers: CoreMetrics.Gauge
    // Likewise from the media engine.
    private let echoSessions: CoreMetrics.Gauge
    private let echoSessionsStarted: CoreMetrics.Gauge
    private let mediaPacketsEchoed: CoreMetrics.Gauge
    private let mediaDatagramsUnrouted: CoreMetrics.Gauge
    /// Counters by label and dimension value. The values are message types, error codes and
    /// rejection reasons: the server's own names, a bounded set.
    private let counters = Counters()

    private final class Counters: Sendable {
        let table = Mutex<[CounterKey: CoreMetrics.Counter]>([:])
    }

    private struct CounterKey: Hashable {
        let label: String
        let value: String
    }

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        rooms = CoreMetrics.Gauge(label: "parley_rooms", factory: factory)
        participants = CoreMetrics.Gauge(label: "parley_participants", factory: factory)
        connections = CoreMetrics.Gauge(label: "parley_connections", factory: factory)
        residentMemory = CoreMetrics.Gauge(label: "parley_process_resident_memory_bytes", factory: factory)
        turnAllocations = CoreMetrics.Gauge(label: "parley_turn_allocations_created", factory: factory)
        turnPacketsRelayed = CoreMetrics.Gauge(label: "parley_turn_packets_relayed", factory: factory)
        turnBytesRelayed = CoreMetrics.Gauge(label: "parley_turn_bytes_relayed", factory: factory)
        turnForbiddenPeers = CoreMetrics.Gauge(label: "parley_turn_forbidden_peer_attempts", factory: factory)
        echoSessions = CoreMetrics.Gauge(label: "parley_media_echo_sessions", factory: factory)
        echoSessionsStarted = CoreMetrics.Gauge(label: "parley_media_echo_sessions_started", factory: factory)
        mediaPacketsEchoed = CoreMetrics.Gauge(label: "parley_media_packets_echoed", factory: factory)
        mediaDatagramsUnrouted = CoreMetrics.Gauge(label: "parley_media_datagrams_unrouted", factory: factory)
    }

    /// Adds what `tally` counted to the counters, and empties it.
    func publish(_ tally: inout MessageTally) {
        for entry in tally.entries where entry.count > 0 {
            let (label, dimension) = entry.counter.name
            counter(label, dimension, entry.value).increment(by: entry.count)
        }
        tally.reset()
    }

    /// The counter `label{dimension="value"}`, made once: making one through the factory takes
    /// the registry's lock and checks its names.
    private func counter(_ label: String, _ dimension: String, _ value: String) -> CoreMetrics.Counter {
        let key = CounterKey(label: label, value: value)
        return counters.table.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: [(dimension, value)], factory: factory)
            counters[key] = counter
            return counter
        }
    }

    func recordMedia(_ statistics: MediaStatistics) {
        echoSessions.record(statistics.activeSessions)
        echoSessionsStarted.record(statistics.sessionsStarted)
        mediaPacketsEchoed.record(statistics.packetsEchoed)
        mediaDatagramsUnrouted.record(statistics.datagramsUnrouted)
    }

    func recordTURN(_ statistics: TURNStatistics) {
        turnAllocations.record(statistics.allocationsCreated)
        turnPacketsRelayed.record(statistics.packetsRelayedToPeers + statistics.packetsRelayedToClients)
        turnBytesRelayed.record(statistics.bytesRelayed)
        turnForbiddenPeers.record(statistics.forbiddenPeers)
    }

    func record(rooms: Int, participants: Int, connections: Int) {
        self.rooms.record(rooms)
        self.participants.record(participants)
        self.connections.record(connections)
    }

    /// The Prometheus text exposition of every metric, process memory read just now.
    func exposition() -> String {
        if let bytes = Self.residentMemoryBytes() {
            residentMemory.record(bytes)
        }
        return registry.emitToString()
    }

    /// Resident set size from /proc (Linux); nil elsewhere.
    private static func residentMemoryBytes() -> Int64? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Signalling's counters (messages received and sent by type, errors by code, refused joins by
/// reason) as plain numbers, kept by the relay under the lock it holds for every message anyway,
/// and added to the Prometheus counters when `/metrics` is read (`ParleyMetrics.publish`).
///
/// Counting straight into the Prometheus counters took a lock, a table lookup and an atomic
/// add for each count, twice for every relayed signal: about half a microsecond of the 15 or
/// so the server spends on a signal beyond reading and writing it (perf, 2026-12-06).
struct MessageTally {
    enum Counter: Equatable {
        case received, sent, error, joinRejected

        /// The metric's name and its one label.
        var name: (label: String, dimension: String) {
            switch self {
            case .received: ("parley_messages_received_total", "type")
            case .sent: ("parley_messages_sent_total", "type")
            case .error: ("parley_errors_total", "code")
            case .joinRejected: ("parley_joins_rejected_total", "reason")
            }
        }
    }

    /// Every counter and value seen so far, in the order first seen. The values are message
    /// types, error codes and reasons (the server's own names, a few dozen at most), so a
    /// search along a short array beats hashing: the commonest, `signal`, comes early.
    private(set) var entries: [(counter: Counter, value: String, count: Int)] = []

    mutating func add(_ counter: Counter, _ value: String, count: Int = 1) {
        for index in entries.indices where entries[index].counter == counter && entries[index].value == value {
            entries[index].count += count
            return
        }
        entries.append((counter, value, count))
    }

    /// Every count back to zero; the entries stay, so counting allocates nothing from then on.
    mutating func reset() {
        for index in entries.indices { entries[index].count = 0 }
    }
}
