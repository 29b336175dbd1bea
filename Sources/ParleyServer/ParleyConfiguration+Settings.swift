import Foundation
import Logging
import ParleySignaling
import STUN
import TURN

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One human-readable line per event.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

/// A setting that could not be used; the message names the setting, the source and the rule.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

extension ParleyConfiguration {
    /// One configurable setting: its name (the flag `--NAME`, the config-file key NAME, the
    /// environment variable `PARLEY_NAME` in upper case with `_`), how to apply a value and
    /// how to show the current one.
    public struct Setting: Sendable {
        public let name: String
        /// Secrets never appear in `parley config` output or logs.
        public let isSecret: Bool
        /// Repeatable flags; in the environment, comma-separated.
        public let isList: Bool
        let apply: @Sendable (inout ParleyConfiguration, [String]) throws -> Void
        let current: @Sendable (ParleyConfiguration) -> String

        public var environmentKey: String {
            "PARLEY_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        }
    }

    struct SettingError: Error {
        var reason: String
    }

    /// Every setting, in the order `parley config` shows them.
    public static let settings: [Setting] = [
        Setting(
            name: "host", isSecret: false, isList: false, apply: { $0.host = try nonEmpty($1) }, current: { $0.host }),
        Setting(
            name: "port", isSecret: false, isList: false,
            apply: { $0.port = try integer($1, in: 0...65_535) }, current: { "\($0.port)" }),
        Setting(
            name: "ice-server", isSecret: false, isList: true,
            apply: { configuration, values in
                for url in values where !["stun:", "stuns:", "turn:", "turns:"].contains(where: url.hasPrefix) {
                    throw SettingError(reason: "'\(url)' must start with stun:, stuns:, turn: or turns:")
                }
                configuration.signaling.iceServers = values.map { ICEServer(urls: [$0]) }
            },
            current: { $0.signaling.iceServers.flatMap(\.urls).joined(separator: ",") }),
        Setting(
            name: "max-peers", isSecret: false, isList: false,
            apply: { $0.signaling.maxPeersPerRoom = try integer($1, in: 2...1_000) },
            current: { "\($0.signaling.maxPeersPerRoom)" }),
        Setting(
            name: "max-message-bytes", isSecret: false, isList: false,
            apply: { $0.signaling.maxMessageBytes = try integer($1, in: 4_096...(1 << 20)) },
            current: { "\($0.signaling.maxMessageBytes)" }),
        Setting(
            name: "max-chat-chars", isSecret: false, isList: false,
            apply: { $0.signaling.maxChatCharacters = try integer($1, in: 1...20_000) },
            current: { "\($0.signaling.maxChatCharacters)" }),
        Setting(
            name: "chat-history", isSecret: false, isList: false,
            apply: { $0.signaling.chatHistoryLimit = try integer($1, in: 0...1_000) },
            current: { "\($0.signaling.chatHistoryLimit)" }),
        Setting(
            name: "chat-retention", isSecret: false, isList: false,
            apply: { $0.signaling.chatRetention = .seconds(3_600 * (try integer($1, in: 0...87_600))) },
            current: { "\($0.signaling.chatRetention.components.seconds / 3_600)" }),
        Setting(
            name: "join-timeout", isSecret: false, isList: false,
            apply: { $0.joinTimeout = .seconds(try integer($1, in: 1...3_600)) },
            current: { "\($0.joinTimeout.components.seconds)" }),
        Setting(
            name: "resume-window", isSecret: false, isList: false,
            apply: { $0.signaling.resumeWindow = .seconds(try integer($1, in: 0...3_600)) },
            current: { "\($0.signaling.resumeWindow.components.seconds)" }),
        Setting(
            name: "ping-interval", isSecret: false, isList: false,
            apply: { $0.pingInterval = .seconds(try integer($1, in: 1...3_600)) },
            current: { "\($0.pingInterval.components.seconds)" }),
        Setting(
            name: "drain-timeout", isSecret: false, isList: false,
            apply: { $0.drainTimeout = .seconds(try integer($1, in: 0...86_400)) },
            current: { "\($0.drainTimeout.components.seconds)" }),
        Setting(
            name: "database", isSecret: false, isList: false,
            apply: { configuration, values in
                let path = try nonEmpty(values)
                configuration.databasePath = path == ParleyConfiguration.inMemoryDatabase ? nil : path
            },
            current: { $0.databasePath ?? ParleyConfiguration.inMemoryDatabase }),
        Setting(
            name: "require-token", isSecret: false, isList: false,
            apply: { $0.signaling.requireToken = try boolean($1) }, current: { "\($0.signaling.requireToken)" }),
        Setting(
            name: "token-secret", isSecret: true, isList: false,
            // HS256 needs a key at least as long as its 32-byte hash output.
            apply: { $0.tokenSecret = try secret($1, minimumBytes: 32) }, current: { $0.tokenSecret ?? "" }),
        Setting(
            name: "precreated-rooms-only", isSecret: false, isList: false,
            apply: { $0.signaling.requirePrecreatedRooms = try boolean($1) },
            current: { "\($0.signaling.requirePrecreatedRooms)" }),
        Setting(
            name: "admin-token", isSecret: true, isList: false,
            apply: { $0.adminToken = try secret($1, minimumBytes: 16) }, current: { $0.adminToken ?? "" }),
        Setting(
            name: "allowed-origin", isSecret: false, isList: true,
            apply: { configuration, values in
                for origin in values where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
                    throw SettingError(reason: "'\(origin)' must look like https://host[:port]")
                }
                configuration.allowedOrigins = values
            },
            current: { $0.allowedOrigins.joined(separator: ",") }),
        Setting(
            name: "max-connections-per-ip", isSecret: false, isList: false,
            apply: { $0.limits.maxConnectionsPerAddress = try integer($1, in: 0...1_000_000) },
            current: { "\($0.limits.maxConnectionsPerAddress)" }),
        Setting(
            name: "messages-per-second", isSecret: false, isList: false,
            apply: { $0.limits.messagesPerSecond = Double(try integer($1, in: 1...100_000)) },
            current: { "\(Int($0.limits.messagesPerSecond))" }),
        Setting(
            name: "joins-per-minute", isSecret: false, isList: false,
            apply: { configuration, values in
                let perMinute = try integer(values, in: 1...1_000_000)
                configuration.limits.joinsPerSecond = Double(perMinute) / 60
                configuration.limits.joinBurst = max(perMinute, 1)
            },
            current: { "\(Int(($0.limits.joinsPerSecond * 60).rounded()))" }),
        Setting(
            name: "http-idle-timeout", isSecret: false, isList: false,
            apply: { $0.httpIdleTimeout = .seconds(try integer($1, in: 1...3_600)) },
            current: { "\($0.httpIdleTimeout.components.seconds)" }),
        Setting(
            name: "media", isSecret: false, isList: false,
            apply: { $0.media.enabled = try boolean($1) }, current: { $0.media.enabled ? "on" : "off" }),
        Setting(
            name: "media-port", isSecret: false, isList: false,
            apply: { $0.media.port = try integer($1, in: 0...65_535) }, current: { "\($0.media.port)" }),
        Setting(
            name: "media-host", isSecret: false, isList: false,
            apply: { configuration, values in
                let text = try nonEmpty(values)
                guard IPAddress(text) != nil else { throw SettingError(reason: "'\(text)' is not an IP address") }
                configuration.media.host = text
            },
            current: { $0.media.host }),
        Setting(
            name: "echo-sessions", isSecret: false, isList: false,
            apply: { $0.media.maximumEchoSessions = try integer($1, in: 0...10_000) },
            current: { "\($0.media.maximumEchoSessions)" }),
        Setting(
            name: "turn", isSecret: false, isList: false,
            apply: { configuration, values in
                let on = try boolean(values)
                if !on {
                    configuration.turn.mode = .off
                } else if configuration.turn.mode == .off {
                    configuration.turn.mode = .builtIn
                }
            },
            current: { $0.turn.mode == .off ? "off" : "on" }),
        Setting(
            name: "turn-port", isSecret: false, isList: false,
            apply: { $0.turn.port = try integer($1, in: 0...65_535) }, current: { "\($0.turn.port)" }),
        Setting(
            name: "turn-host", isSecret: false, isList: false,
            apply: { $0.turn.host = try nonEmpty($1) }, current: { $0.turn.host ?? "(same as host)" }),
        Setting(
            name: "turn-relay-ports", isSecret: false, isList: false,
            apply: { configuration, values in
                let parts = try nonEmpty(values).split(separator: "-").compactMap { UInt16($0) }
                guard parts.count == 2, parts[0] >= 1024, parts[0] <= parts[1] else {
                    throw SettingError(reason: "'\(values[0])' is not a port range like 49152-65535 (from 1024 up)")
                }
                configuration.turn.relayPorts = parts[0]...parts[1]
            },
            current: { "\($0.turn.relayPorts.lowerBound)-\($0.turn.relayPorts.upperBound)" }),
        Setting(
            name: "public-ip", isSecret: false, isList: false,
            apply: { configuration, values in
                let text = try nonEmpty(values)
                guard IPAddress(text) != nil else { throw SettingError(reason: "'\(text)' is not an IP address") }
                configuration.turn.publicIP = text
            },
            current: { $0.turn.publicIP ?? "" }),
        Setting(
            name: "turn-secret", isSecret: true, isList: false,
            apply: { $0.turn.secret = try secret($1, minimumBytes: 16) }, current: { $0.turn.secret ?? "" }),
        Setting(
            name: "turn-external", isSecret: false, isList: true,
            apply: { configuration, values in
                for url in values where !["stun:", "stuns:", "turn:", "turns:"].contains(where: url.hasPrefix) {
                    throw SettingError(reason: "'\(url)' must start with stun:, stuns:, turn: or turns:")
                }
                if configuration.turn.mode != .off { configuration.turn.mode = .external(values) }
            },
            current: { if case .external(let urls) = $0.turn.mode { urls.joined(separator: ",") } else { "" } }),
        Setting(
            name: "turn-allow-peer", isSecret: false, isList: true,
            apply: { configuration, values in
                configuration.turn.allowedPeers = try values.map { text in
                    guard let network = IPNetwork(text) else {
                        throw SettingError(reason: "'\(text)' is not an address or network like 192.168.1.0/24")
                    }
                    return network
                }
            },
            current: { $0.turn.allowedPeers.map(\.description).joined(separator: ",") }),
        Setting(
            name: "turn-allow-private", isSecret: false, isList: false,
            apply: { $0.turn.allowPrivatePeers = try boolean($1) }, current: { "\($0.turn.allowPrivatePeers)" }),
        Setting(
            name: "tls-cert", isSecret: false, isList: false,
            apply: { $0.tls.certificateFile = try nonEmpty($1) }, current: { $0.tls.certificateFile ?? "" }),
        Setting(
            name: "tls-key", isSecret: false, isList: false,
            apply: { $0.tls.privateKeyFile = try nonEmpty($1) }, current: { $0.tls.privateKeyFile ?? "" }),
        Setting(
            name: "tls-self-signed", isSecret: false, isList: false,
            apply: { $0.tls.selfSigned = try boolean($1) }, current: { "\($0.tls.selfSigned)" }),
        Setting(
            name: "web-root", isSecret: false, isList: false,
            apply: { $0.webRoot = try nonEmpty($1) }, current: { $0.webRoot ?? "(built in)" }),
        Setting(
            name: "log-level", isSecret: false, isList: false,
            apply: { $0.logLevel = try oneOf($1, Logger.Level.allCases) }, current: { $0.logLevel.rawValue }),
        Setting(
            name: "log-format", isSecret: false, isList: false,
            apply: { $0.logFormat = try oneOf($1, LogFormat.allCases) }, current: { $0.logFormat.rawValue }),
    ]

    /// The configuration from every source, highest precedence first: command-line flags,
    /// then `PARLEY_*` environment variables, then the config file (a JSON object whose keys
    /// are the flag names), then the defaults.
    ///
    /// - Parameters:
    ///   - flags: flag name (without dashes) → the values given on the command line.
    ///   - environment: the process environment.
    ///   - configFile: path of the config file, if any.
    ///   - defaults: setting name → values used when no source sets it, in place of the
    ///     built-in default (the command line's own defaults, such as a database file).
    public static func resolve(
        flags: [String: [String]], environment: [String: String], configFile: String?,
        defaults: [String: [String]] = [:]
    ) throws(ConfigurationError) -> ParleyConfiguration {
        assert(flags.keys.allSatisfy { key in settings.contains { $0.name == key } }, "a flag has no setting")
        let file = try configFile.map { path throws(ConfigurationError) in try readConfigFile(path) } ?? [:]
        if let unknown = file.keys.sorted().first(where: { key in !settings.contains { $0.name == key } }) {
            throw ConfigurationError(description: "config file \(configFile ?? ""): unknown setting '\(unknown)'")
        }
        var configuration = ParleyConfiguration()
        for setting in settings {
            let values: [String]
            let source: String
            if let flagValues = flags[setting.name], !flagValues.isEmpty {
                (values, source) = (flagValues, "--\(setting.name)")
            } else if let text = environment[setting.environmentKey] {
                let parts = setting.isList ? text.split(separator: ",").map { String($0) } : [text]
                (values, source) = (parts.map { $0.trimmingCharacters(in: .whitespaces) }, setting.environmentKey)
            } else if let fileValues = file[setting.name] {
                (values, source) = (fileValues, "'\(setting.name)' in \(configFile ?? "")")
            } else if let defaultValues = defaults[setting.name] {
                (values, source) = (defaultValues, "the default --\(setting.name)")
            } else {
                continue
            }
            do {
                try setting.apply(&configuration, values)
            } catch let error as SettingError {
                throw ConfigurationError(description: "\(source): \(error.reason)")
            } catch {
                throw ConfigurationError(description: "\(source): \(error)")
            }
        }
        if let conflict = configuration.tls.conflict {
            throw ConfigurationError(description: conflict)
        }
        return configuration
    }

    /// Every setting and its effective value, secrets redacted: what `parley config` prints.
    public func describedSettings() -> [(name: String, environmentKey: String, value: String)] {
        Self.settings.map { setting in
            let value = setting.current(self)
            return (setting.name, setting.environmentKey, setting.isSecret && !value.isEmpty ? "(redacted)" : value)
        }
    }

    private static func readConfigFile(_ path: String) throws(ConfigurationError) -> [String: [String]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(description: "config file \(path): cannot be read")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError(description: "config file \(path): not a JSON object")
        }
        var values: [String: [String]] = [:]
        for (key, value) in object {
            let items = (value as? [Any]) ?? [value]
            values[key] = try items.map { item throws(ConfigurationError) in
                switch item {
                case let string as String: return string
                case let number as NSNumber: return number.stringValue
                default:
                    throw ConfigurationError(description: "config file \(path): '\(key)' must be a string or number")
                }
            }
        }
        return values
    }

    private static func single(_ values: [String]) throws(SettingError) -> String {
        guard values.count == 1, let value = values.first else {
            throw SettingError(reason: "takes one value, got \(values.count)")
        }
        return value
    }

    private static func nonEmpty(_ values: [String]) throws(SettingError) -> String {
        let value = try single(values)
        guard !value.isEmpty else { throw SettingError(reason: "must not be empty") }
        return value
    }

    private static func integer(_ values: [String], in range: ClosedRange<Int>) throws(SettingError) -> Int {
        let text = try single(values)
        guard let value = Int(text), range.contains(value) else {
            throw SettingError(
                reason: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func boolean(_ values: [String]) throws(SettingError) -> Bool {
        switch try single(values).lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        case let text: throw SettingError(reason: "'\(text)' is not true or false")
        }
    }

    private static func secret(_ values: [String], minimumBytes: Int) throws(SettingError) -> String {
        let value = try single(values)
        guard value.utf8.count >= minimumBytes else {
            throw SettingError(reason: "must be at least \(minimumBytes) bytes long")
        }
        return value
    }

    private static func oneOf<Choice: RawRepresentable<String>>(
        _ values: [String], _ choices: [Choice]
    ) throws(SettingError) -> Choice {
        let text = try single(values)
        guard let choice = choices.first(where: { $0.rawValue == text }) else {
            throw SettingError(reason: "'\(text)' is not one of \(choices.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }
}
