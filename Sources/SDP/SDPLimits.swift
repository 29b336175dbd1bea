/// Bounds on what the parser accepts, so a description from the network cannot make it use
/// unbounded memory or time. A Chromium offer with audio, video and data is about 6 KiB and
/// 150 lines; the defaults leave ample room for many transceivers.
public struct SDPLimits: Hashable, Sendable {
    /// The largest description, in UTF-8 bytes.
    public var maximumBytes: Int
    /// The most lines, counting the session section and every m= section.
    public var maximumLines: Int
    /// The most m= sections (one per transceiver or data channel transport).
    public var maximumMediaSections: Int

    public init(maximumBytes: Int = 64 * 1024, maximumLines: Int = 4096, maximumMediaSections: Int = 32) {
        self.maximumBytes = maximumBytes
        self.maximumLines = maximumLines
        self.maximumMediaSections = maximumMediaSections
    }
}
