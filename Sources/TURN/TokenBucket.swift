/// A token bucket driven by time passed in: `rate` tokens per second, at most `capacity`.
///
/// Used for bytes per second per allocation and for 401 replies per client address.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let capacity: Double
    private var tokens: Double
    private var updated: UnixTime

    public init(rate: Double, capacity: Double, now: UnixTime) {
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now
    }

    /// Takes `amount` tokens if available; false (and nothing taken) otherwise.
    public mutating func take(_ amount: Double, now: UnixTime) -> Bool {
        if now > updated {
            tokens = min(capacity, tokens + (now - updated) * rate)
            updated = now
        }
        guard tokens >= amount else { return false }
        tokens -= amount
        return true
    }

    /// True when the bucket has refilled completely, so forgetting it changes nothing.
    public func isFull(now: UnixTime) -> Bool { tokens + max(0, now - updated) * rate >= capacity }
}
