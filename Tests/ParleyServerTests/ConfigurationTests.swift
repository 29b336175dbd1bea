import Foundation
import ParleyServer
import Testing

@Suite struct ConfigurationTests {
    private func writeConfigFile(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-\(UUID()).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// With no sources at all, the documented defaults apply.
    @Test func defaults() throws {
        let configuration = try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.signaling.maxPeersPerRoom == 8)
        #expect(configuration.joinTimeout == .seconds(10))
    }

    /// Flags win over the environment, which wins over the file, which wins over defaults.
    @Test func precedenceIsFlagsThenEnvironmentThenFile() throws {
        let file = try writeConfigFile(#"{"port": 9001, "max-peers": 3, "join-timeout": "7", "host": "0.0.0.0"}"#)
        let configuration = try ParleyConfiguration.resolve(
            flags: ["port": ["9003"]],
            environment: ["PARLEY_PORT": "9002", "PARLEY_MAX_PEERS": "5"],
            configFile: file)
        #expect(configuration.port == 9003)
        #expect(configuration.signaling.maxPeersPerRoom == 5)
        #expect(configuration.joinTimeout == .seconds(7))
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.pingInterval == .seconds(15))
    }

    /// The command line's own defaults (a database file) apply only where no source sets the
    /// setting; `:memory:` keeps nothing.
    @Test func commandLineDefaultsComeLast() throws {
        let defaults = ["database": [ParleyConfiguration.defaultDatabaseFile]]
        let unset = try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: nil, defaults: defaults)
        #expect(unset.databasePath == "parley.sqlite")
        let fromEnvironment = try ParleyConfiguration.resolve(
            flags: [:], environment: ["PARLEY_DATABASE": "/var/lib/parley/rooms.sqlite"], configFile: nil,
            defaults: defaults)
        #expect(fromEnvironment.databasePath == "/var/lib/parley/rooms.sqlite")
        let inMemory = try ParleyConfiguration.resolve(
            flags: ["database": [":memory:"]], environment: [:], configFile: nil, defaults: defaults)
        #expect(inMemory.databasePath == nil)
    }

    /// Lists come from repeated flags, comma-separated environment values or JSON arrays.
    @Test func listsFromEverySource() throws {
        let fromEnvironment = try ParleyConfiguration.resolve(
            flags: [:], environment: ["PARLEY_ICE_SERVER": "stun:a:1, turn:b:2"], configFile: nil)
        #expect(fromEnvironment.signaling.iceServers.map(\.urls) == [["stun:a:1"], ["turn:b:2"]])
        let file = try writeConfigFile(#"{"ice-server": ["stun:c:3"]}"#)
        let fromFile = try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: file)
        #expect(fromFile.signaling.iceServers.map(\.urls) == [["stun:c:3"]])
    }

    /// A bad value fails with a message naming the setting and where it came from.
    @Test(arguments: [
        (["port": ["http"]], [String: String](), "--port"),
        ([:], ["PARLEY_MAX_PEERS": "1"], "PARLEY_MAX_PEERS"),
        ([:], ["PARLEY_LOG_LEVEL": "loud"], "PARLEY_LOG_LEVEL"),
        (["ice-server": ["http://x"]], [:], "--ice-server"),
        (["join-timeout": ["0"]], [:], "--join-timeout"),
    ])
    func badValuesNameTheSetting(flags: [String: [String]], environment: [String: String], named: String) {
        #expect {
            try ParleyConfiguration.resolve(flags: flags, environment: environment, configFile: nil)
        } throws: { error in
            (error as? ConfigurationError)?.description.hasPrefix(named) == true
        }
    }

    /// Unknown keys and unreadable files are refused rather than silently ignored.
    @Test func badConfigFilesAreRefused() throws {
        let unknown = try writeConfigFile(#"{"max-peer": 3}"#)
        #expect(throws: ConfigurationError.self) {
            try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: unknown)
        }
        let notJSON = try writeConfigFile("port = 3")
        #expect(throws: ConfigurationError.self) {
            try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: notJSON)
        }
        #expect(throws: ConfigurationError.self) {
            try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: "/nonexistent/parley.json")
        }
    }

    /// HTTPS is off unless asked for; a certificate needs its key, and a self-signed one
    /// excludes both. Conflicts are refused when the settings are read, not at the first visit.
    @Test func tlsSettingsGoTogetherOrNotAtAll() throws {
        let none = try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(none.tls.mode(keepingSelfSignedIn: ".") == nil)
        let files = try ParleyConfiguration.resolve(
            flags: ["tls-cert": ["full.pem"]], environment: ["PARLEY_TLS_KEY": "key.pem"], configFile: nil)
        #expect(files.tls.mode(keepingSelfSignedIn: ".") == .files(certificate: "full.pem", privateKey: "key.pem"))
        let selfSigned = try ParleyConfiguration.resolve(
            flags: ["tls-self-signed": ["true"]], environment: [:], configFile: nil)
        #expect(selfSigned.tls.mode(keepingSelfSignedIn: "/var/lib/parley") == .selfSigned(folder: "/var/lib/parley"))
        let conflicts: [[String: [String]]] = [
            ["tls-cert": ["full.pem"]], ["tls-key": ["key.pem"]], ["tls-self-signed": ["true"], "tls-key": ["k"]],
        ]
        for flags in conflicts {
            #expect(throws: ConfigurationError.self, "\(flags)") {
                try ParleyConfiguration.resolve(flags: flags, environment: [:], configFile: nil)
            }
        }
    }

    /// Every setting has its own name and environment variable.
    @Test func settingNamesAreUnique() {
        let names = ParleyConfiguration.settings.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(ParleyConfiguration.settings.allSatisfy { $0.environmentKey.hasPrefix("PARLEY_") })
    }
}
