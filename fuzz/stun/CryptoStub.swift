// A stand-in for swift-crypto's `Crypto` with the few signatures the STUN codec calls, so the
// fuzz target compiles from the STUN sources alone. The digests are not real: the fuzzer
// exercises parsing, not cryptography.

public protocol HashFunction {
    static var byteCount: Int { get }
}

public enum Insecure {
    public enum SHA1: HashFunction { public static let byteCount = 20 }
    public enum MD5 {
        public static func hash<D: Sequence>(data: D) -> [UInt8] where D.Element == UInt8 {
            digest(data, count: 16)
        }
    }
}

public enum SHA256: HashFunction { public static let byteCount = 32 }

public struct SymmetricKey {
    public init<D: Sequence>(data: D) where D.Element == UInt8 {}
}

public enum HMAC<H: HashFunction> {
    public static func authenticationCode<D: Sequence>(for data: D, using key: SymmetricKey) -> [UInt8]
    where D.Element == UInt8 {
        digest(data, count: H.byteCount)
    }
}

func digest<D: Sequence>(_ data: D, count: Int) -> [UInt8] where D.Element == UInt8 {
    var state: UInt8 = 0
    for byte in data { state = state &* 31 &+ byte }
    return [UInt8](repeating: state, count: count)
}
