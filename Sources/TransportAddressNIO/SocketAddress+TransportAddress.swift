import NIOCore
import STUN

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Conversions between NIO's socket addresses and the pure targets' ``TransportAddress``, for
/// the UDP services (TURN, media) that sit between the two.
extension TransportAddress {
    /// Converts without going through text: this runs for every relayed packet.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self.init(
                ip: .v4(UInt32(bigEndian: v4.address.sin_addr.s_addr)), port: UInt16(bigEndian: v4.address.sin_port))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            guard let ip = IPAddress(bytes: bytes) else { return nil }
            self.init(ip: ip, port: UInt16(bigEndian: v6.address.sin6_port))
        default:
            return nil
        }
    }
}

extension SocketAddress {
    public init(_ address: TransportAddress) {
        switch address.ip {
        case .v4(let value):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = address.port.bigEndian
            sin.sin_addr.s_addr = value.bigEndian
            self.init(sin, host: "")
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = address.port.bigEndian
            let bytes = address.ip.bytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = bytes[index] }
            }
            self.init(sin6, host: "")
        }
    }
}
