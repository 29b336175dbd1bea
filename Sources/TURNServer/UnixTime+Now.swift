import TURN

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension UnixTime {
    /// The wall clock, read by the IO shell only.
    static func now() -> UnixTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(seconds: Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9)
    }
}
