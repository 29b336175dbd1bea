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

    func messageReceived(type: String) {
        counter("parley_messages_received_total", "type", type).increment()
    }

    func messagesSent(type: String, count: Int) {
        counter("parley_messages_sent_total", "type", type).increment(by: count)
    }

    func errorSent(code: String) {
        counter("parley_errors_total", "code", code).increment()
    }

    func joinRejected(reason: String) {
        counter("parley_joins_rejected_total", "reason", reason).increment()
    }

    /// The counter `label{dimension="value"}`, made once: making one through the factory takes
    /// the registry's lock and checks its names, and two are counted for every relayed message.
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
