/// A token bucket: up to `capacity` events at once, refilled at `ratePerSecond`.
///
/// Pure: the caller passes the current time (any monotonic clock's reading as a `Duration`
/// since some fixed instant), so tests can drive it without waiting.
public struct TokenBucket: Hashable, Sendable {
    public let capacity: Double
    public let ratePerSecond: Double
    private var tokens: Double
    private var lastRefill: Duration?

    public init(capacity: Int, ratePerSecond: Double) {
        self.capacity = Double(capacity)
        self.ratePerSecond = ratePerSecond
        self.tokens = Double(capacity)
    }

    /// Takes one token if there is one; returns whether the event may go ahead.
    public mutating func take(now: Duration) -> Bool {
        if let lastRefill, now > lastRefill {
            let elapsed =
                Double((now - lastRefill).components.seconds)
                + Double((now - lastRefill).components.attoseconds) / 1e18
            tokens = min(capacity, tokens + elapsed * ratePerSecond)
        }
        lastRefill = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket is full again, i.e. remembering it no longer matters.
    public func isFull(now: Duration) -> Bool {
        guard let lastRefill else { return true }
        let elapsed = Double((now - lastRefill).components.seconds)
        return tokens + elapsed * ratePerSecond >= capacity
    }
}
