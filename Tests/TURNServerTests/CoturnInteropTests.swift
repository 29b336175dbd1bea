import Foundation
import STUN
import TURN
import TURNServer
import Testing

/// coturn's own test client against Parley's server. Needs Debian's `coturn` package
/// (`apt-get install coturn`), which provides `turnutils_uclient`.
private let uclientPath = "/usr/bin/turnutils_uclient"

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: uclientPath)))
struct CoturnInteropTests {
    /// `turnutils_uclient` with TURN REST credentials (`-W`) allocates two relays and sends
    /// between them (client-to-client mode) over channels, then over Send indications, over
    /// UDP and TCP, losing nothing.
    @Test(arguments: [[], ["-s"], ["-t"]])
    func uclientRelaysThroughParley(extra: [String]) async throws {
        try await withTURNServer { addresses in
            let output = try await run(
                uclientPath,
                [
                    "-y", "-c", "-n", "40", "-m", "2", "-l", "170", "-z", "5", "-W", testSecret, "-u", "uclient",
                    "-p", "\(addresses.udpPort)", "-e", "127.0.0.1",
                ] + extra + ["127.0.0.1"])
            let lost = output.split(separator: "\n").first { $0.contains("Total lost packets") }
            #expect(lost?.contains("Total lost packets 0 ") == true, "\(output.suffix(1500))")
            let sent = output.split(separator: "\n").first { $0.contains("Total transmit time") }
            #expect(sent != nil, "\(output.suffix(1500))")
        }
    }

    private func run(_ path: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.terminationHandler = { _ in
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
