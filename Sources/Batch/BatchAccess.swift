/// Who may see a stored file or a batch job. Each is owned by the gateway key (by its name) that
/// created it, or by no key (made by the `batch` command line or a gateway without keys).
///
/// A request made with a key sees what that key owns, and nothing else: another key's file or
/// job reads as not found. A requester without a key is the operator (the command line, or a
/// gateway without keys, which listens on loopback only) and sees everything.
public enum BatchAccess {
    public static func allows(owner: String?, requester: String?) -> Bool {
        requester == nil || owner == requester
    }
}
