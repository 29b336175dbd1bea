import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// How many event loops a server runs: one per core it may run on.
///
/// SwiftNIO sizes its shared event loop group by the machine's cores (or a cgroup's quota), not
/// by the cores the process is allowed on. A server pinned to one core (`taskset`, systemd's
/// `CPUAffinity=`) would then run two or more event loop threads on that core, taking turns and
/// waiting on each other's locks for nothing.
public enum EventLoopSizing {
    /// The cores this process may run on (its CPU affinity), or nil where that is unknown.
    public static func coresAllowed() -> Int? {
        #if os(Linux)
            // The kernel's own account of the affinity mask, as hex words ("Cpus_allowed:\t3").
            // (Swift's Glibc module does not offer sched_getaffinity.)
            guard let file = fopen("/proc/self/status", "r") else { return nil }
            defer { fclose(file) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, file) > 0, let line {
                let text = String(cString: line)
                guard text.hasPrefix("Cpus_allowed:") else { continue }
                let count = text.dropFirst("Cpus_allowed:".count).reduce(0) { count, character in
                    count + (character.hexDigitValue?.nonzeroBitCount ?? 0)
                }
                return count > 0 ? count : nil
            }
            return nil
        #else
            return nil
        #endif
    }

    /// Sizes NIO's shared event loop group to the cores allowed, when they are fewer than it
    /// would take. Call once, first thing in `main`: NIO refuses a size set after the group is
    /// in use. An explicit `NIO_SINGLETON_GROUP_LOOP_COUNT` in the environment wins.
    public static func matchSharedEventLoopsToAffinity() {
        guard getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil, let cores = coresAllowed(), cores < System.coreCount
        else { return }
        NIOSingletons.groupLoopCountSuggestion = cores
    }
}
