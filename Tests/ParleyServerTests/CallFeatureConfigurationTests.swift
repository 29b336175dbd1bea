import Foundation
import ParleyServer
import Testing

@Suite struct CallFeatureConfigurationTests {
    /// Chat and resume settings default to what the documentation says.
    @Test func defaults() throws {
        let signaling = try ParleyConfiguration.resolve(flags: [:], environment: [:], configFile: nil).signaling
        #expect(signaling.maxChatCharacters == 2_000)
        #expect(signaling.chatHistoryLimit == 50)
        #expect(signaling.chatRetention == .seconds(24 * 3_600))
        #expect(signaling.resumeWindow == .seconds(30))
        #expect(signaling.maxQueuedWhileAway == 100)
    }

    /// Each comes from a flag, a PARLEY_* variable or the config file, like every setting.
    @Test func fromEverySource() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"chat-history": 7, "resume-window": "0"}"#.utf8).write(to: URL(fileURLWithPath: path))
        let configuration = try ParleyConfiguration.resolve(
            flags: ["max-chat-chars": ["500"]], environment: ["PARLEY_CHAT_RETENTION": "0"], configFile: path)
        #expect(configuration.signaling.maxChatCharacters == 500)
        #expect(configuration.signaling.chatHistoryLimit == 7)
        #expect(configuration.signaling.chatRetention == .zero)
        #expect(configuration.signaling.resumeWindow == .zero)
        let shown = Dictionary(uniqueKeysWithValues: configuration.describedSettings().map { ($0.name, $0.value) })
        #expect(shown["chat-retention"] == "0")
        #expect(shown["resume-window"] == "0")
        #expect(shown["max-chat-chars"] == "500")
    }

    /// Out-of-range values are refused naming the setting.
    @Test(arguments: [
        ("PARLEY_MAX_CHAT_CHARS", "0"), ("PARLEY_CHAT_HISTORY", "-1"), ("PARLEY_CHAT_RETENTION", "1.5"),
        ("PARLEY_RESUME_WINDOW", "86400"),
    ])
    func badValuesAreRefused(_ key: String, _ value: String) {
        #expect {
            try ParleyConfiguration.resolve(flags: [:], environment: [key: value], configFile: nil)
        } throws: { error in
            (error as? ConfigurationError)?.description.contains(key) == true
        }
    }
}
