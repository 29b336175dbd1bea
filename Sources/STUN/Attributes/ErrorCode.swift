/// ERROR-CODE (RFC 8489 section 14.8): a 300–699 code and a UTF-8 reason phrase.
public struct ErrorCode: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.errorCode
    public var code: Int
    public var reason: String

    public init(code: Int, reason: String? = nil) {
        self.code = code
        self.reason = reason ?? ErrorCode.defaultReason(code)
    }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        var reader = ByteReader(Array(value))
        guard reader.readUInt16() != nil, let classByte = reader.readUInt8(), let number = reader.readUInt8(),
            (3...6).contains(classByte & 0x07), number < 100, value.count <= 4 + 763,
            let reason = String(validating: value.dropFirst(4), as: UTF8.self)
        else { throw Self.malformed }
        code = Int(classByte & 0x07) * 100 + Int(number)
        self.reason = reason
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        [0, 0, UInt8(clamping: code / 100), UInt8(clamping: code % 100)] + Array(reason.utf8.prefix(763))
    }

    public static let tryAlternate = 300
    public static let badRequest = 400
    public static let unauthorized = 401
    public static let forbidden = 403
    public static let unknownAttribute = 420
    public static let allocationMismatch = 437
    public static let staleNonce = 438
    public static let addressFamilyNotSupported = 440
    public static let wrongCredentials = 441
    public static let unsupportedTransportProtocol = 442
    public static let peerAddressFamilyMismatch = 443
    public static let allocationQuotaReached = 486
    public static let serverError = 500
    public static let insufficientCapacity = 508

    /// The reason phrases of RFC 8489 section 14.8 and RFC 8656 section 18.
    public static func defaultReason(_ code: Int) -> String {
        switch code {
        case 300: "Try Alternate"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 420: "Unknown Attribute"
        case 437: "Allocation Mismatch"
        case 438: "Stale Nonce"
        case 440: "Address Family not Supported"
        case 441: "Wrong Credentials"
        case 442: "Unsupported Transport Protocol"
        case 443: "Peer Address Family Mismatch"
        case 486: "Allocation Quota Reached"
        case 500: "Server Error"
        case 508: "Insufficient Capacity"
        default: "Error"
        }
    }
}
