/// A reaction someone shows the room for a moment (`reaction`): one of a fixed set of emoji.
///
/// A fixed set, not any text: a reaction is drawn large over the call, so it must not be a
/// way to put arbitrary words or long sequences on everyone's screen.
public enum Reaction: String, Hashable, Sendable, CaseIterable {
    case thumbsUp = "\u{1F44D}"
    case clap = "\u{1F44F}"
    case laugh = "\u{1F602}"
    case surprised = "\u{1F62E}"
    case heart = "\u{2764}\u{FE0F}"
    case party = "\u{1F389}"

    /// The allowed emoji, space-separated, for error messages.
    public static var allowedList: String { allCases.map(\.rawValue).joined(separator: " ") }
}
