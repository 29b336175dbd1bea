// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "parley",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "ParleySignaling", targets: ["ParleySignaling"]),
        .library(name: "ParleyServer", targets: ["ParleyServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
    ],
    targets: [
        // Pure: the wire protocol and the room state machine. No IO, no clock.
        .target(name: "ParleySignaling"),

        // Pure: STUN messages (RFC 8489) and their attributes.
        .target(name: "STUN", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Pure: TURN allocations (RFC 8656) driven by packets and time passed in.
        .target(name: "TURN", dependencies: ["STUN", .product(name: "Crypto", package: "swift-crypto")]),
        // Pure: RTP and RTCP packets (RFC 3550, 4585, 5104, 8285), demultiplexing (RFC 7983). No IO.
        .target(name: "RTP"),
        // Pure: the ICE-lite agent of the media engine (RFC 8445, consent per RFC 7675).
        .target(name: "ICE", dependencies: ["STUN"]),
        // Pure: SDP offers and answers (RFC 8866, 8829, 8843) for the media engine. No IO.
        .target(name: "SDP"),
        // The media engine's C: OpenSSL for DTLS (Debian's libssl-dev), libsrtp2 for SRTP. Only
        // MediaCrypto imports them; no unsafe pointer leaves it.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // libsrtp2 2.5.0 built from its source here with its crypto in OpenSSL's libcrypto:
        // Debian's libsrtp2 does its AES through NSS, which sets up a cipher for every packet
        // (Sources/CSRTP/README.md says what is taken and how it is configured).
        .target(
            name: "CSRTP",
            exclude: ["README.md", "LICENSE"],
            cSettings: [
                .define("HAVE_CONFIG_H"),
                .headerSearchPath("libsrtp"),
                .headerSearchPath("libsrtp/include"),
                .headerSearchPath("libsrtp/crypto/include"),
            ],
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(name: "MediaCrypto", dependencies: ["COpenSSL", "CSRTP"]),
        // Pure (sans-IO, no clock): the echo session, ICE + DTLS + SRTP + RTP/RTCP for one browser.
        .target(name: "MediaEngine", dependencies: ["ICE", "SDP", "RTP", "STUN", "MediaCrypto"]),
        // NIO socket addresses to and from the pure targets' TransportAddress.
        .target(
            name: "TransportAddressNIO", dependencies: ["STUN", .product(name: "NIOCore", package: "swift-nio")]),
        // IO: a UDP socket read and written in batches (recvmmsg, sendmmsg) by a thread of its own.
        // recvmmsg and sendmmsg, which Swift's Glibc module does not declare.
        .target(name: "CDatagramSocket"),
        .target(name: "DatagramSocket", dependencies: ["CDatagramSocket", "STUN"]),
        // IO: the media engine's UDP port, running EchoSessions.
        .target(
            name: "MediaServer",
            dependencies: [
                "MediaEngine", "MediaCrypto", "ICE", "SDP", "STUN", "DatagramSocket", "TransportAddressNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // IO: the STUN/TURN listeners and relay sockets (UDP on DatagramSocket, TCP on SwiftNIO).
        .target(
            name: "TURNServer",
            dependencies: [
                "TURN", "TransportAddressNIO", "DatagramSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // IO: WebSocket connections run inside their channel pipelines, on Hummingbird's HTTP/1.
        .target(
            name: "WebSocketServer",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // IO shell: HTTP, WebSocket, the embedded web client.
        .target(
            name: "ParleyServer",
            dependencies: [
                "ParleySignaling",
                "TURNServer",
                "MediaServer",
                "WebSocketServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["Public"],
            plugins: ["EmbedWebClient"]
        ),

        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyServer",
                "WebSocketServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Build-time tool: turns Sources/ParleyServer/Public into Swift source, so the one
        // binary carries its web client and runs from any working directory.
        .executableTarget(name: "ParleyEmbedTool"),
        .plugin(
            name: "EmbedWebClient",
            capability: .buildTool(),
            dependencies: ["ParleyEmbedTool"]
        ),

        // Benchmark baseline: a bare WebSocket echo on the same stack (bench/README.md).
        .executableTarget(
            name: "BenchEchoServer",
            dependencies: [
                "WebSocketServer", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            path: "bench/EchoServer"
        ),

        .testTarget(name: "ParleySignalingTests", dependencies: ["ParleySignaling"]),
        .testTarget(name: "STUNTests", dependencies: ["STUN"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TURNTests", dependencies: ["TURN"]),
        .testTarget(name: "RTPTests", dependencies: ["RTP"]),
        .testTarget(name: "ICETests", dependencies: ["ICE"]),
        .testTarget(name: "SDPTests", dependencies: ["SDP"]),
        .testTarget(name: "MediaCryptoTests", dependencies: ["MediaCrypto"]),
        .testTarget(
            name: "MediaEngineTests", dependencies: ["MediaEngine", "MediaCrypto", "ICE", "SDP", "RTP", "STUN"]),
        .testTarget(
            name: "MediaServerTests",
            dependencies: [
                "MediaServer", "STUN", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "TURNServerTests", dependencies: ["TURNServer"]),
        .testTarget(name: "DatagramSocketTests", dependencies: ["DatagramSocket", "STUN"]),
        .testTarget(
            name: "WebSocketServerTests",
            dependencies: [
                "WebSocketServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]),
        .testTarget(
            name: "ParleyServerTests",
            dependencies: [
                "ParleyServer",
                "WebSocketServer",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                // Only TLSSetupTests' own WebSocket echo server.
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
