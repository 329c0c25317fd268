//! The shell scripts `pushgate install` writes, and how it recognises them later.
//!
//! Every script starts with [`HEADER`] (`#!/bin/sh` + `# installed by pushgate`): that prefix is
//! the only thing that marks a file as ours, so uninstall never touches anything else. Paths are
//! put in single quotes (the one sh quoting with no special characters inside except `'`), so a
//! binary or policy path with spaces, `$`, backquotes or quotes is passed through unchanged.

use std::path::Path;

/// The first two lines of every file we write.
pub(super) const HEADER: &[u8] = b"#!/bin/sh\n# installed by pushgate\n";

/// Marks a hook that runs a kept, pre-existing hook after pushgate.
const CHAIN_MARK: &[u8] = b"# chains: ";

/// Suffix of the name under which a pre-existing hook is kept (`pre-receive.pushgate-chained`).
pub(super) const CHAINED_SUFFIX: &str = ".pushgate-chained";

/// Whether a file's content starts like one of ours.
pub(super) fn is_ours(content: &[u8]) -> bool {
    content.starts_with(HEADER)
}

/// Whether one of our files is the chaining kind (runs a kept hook after pushgate).
pub(super) fn is_chaining(content: &[u8]) -> bool {
    is_ours(content) && content.split(|&b| b == b'\n').any(|line| line.starts_with(CHAIN_MARK))
}

/// `s` as one sh word: `'...'`, each `'` written as `'\''`.
pub(super) fn sh_quote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &b in s {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// Raw bytes of a path, as the shell will see them (on Unix, exactly the file name bytes).
fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// Which hook a script is for; decides the pushgate subcommand and whether `"$@"` is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hook {
    PreReceive,
    PrePush,
}

impl Hook {
    pub(super) fn name(self) -> &'static str {
        match self {
            Hook::PreReceive => "pre-receive",
            Hook::PrePush => "pre-push",
        }
    }
}

/// `'<binary>' [--policy '<policy>'] <hook> ["$@"]`: how the hook calls pushgate.
fn command(binary: &Path, policy: Option<&Path>, hook: Hook) -> Vec<u8> {
    let mut out = sh_quote(path_bytes(binary));
    if let Some(p) = policy {
        out.extend_from_slice(b" --policy ");
        out.extend_from_slice(&sh_quote(path_bytes(p)));
    }
    out.push(b' ');
    out.extend_from_slice(hook.name().as_bytes());
    if hook == Hook::PrePush {
        // pre-push gets `<remote> <url>`; pre-receive gets no arguments.
        out.extend_from_slice(b" \"$@\"");
    }
    out
}

/// A hook that only runs pushgate. `how` is one comment line saying where it is and how to remove it.
pub(super) fn direct(binary: &Path, policy: Option<&Path>, hook: Hook, how: &str) -> Vec<u8> {
    let mut s = HEADER.to_vec();
    s.extend_from_slice(format!("# {how}\n").as_bytes());
    s.extend_from_slice(b"exec ");
    s.extend_from_slice(&command(binary, policy, hook));
    s.push(b'\n');
    s
}

/// A hook that runs pushgate, then the hook that was there before (kept next to it as
/// `<hook>.pushgate-chained`), both on the same standard input and arguments. The push goes ahead
/// only if both accept; both always run so the pusher sees every reason at once (as Gitea's
/// `pre-receive.d` loop does). The kept hook runs only if it is executable, as git would have run it.
pub(super) fn chaining(binary: &Path, policy: Option<&Path>, hook: Hook, how: &str) -> Vec<u8> {
    let name = hook.name();
    let mut s = HEADER.to_vec();
    s.extend_from_slice(
        format!(
            "# {how}\n\
             # Runs pushgate, then the {name} hook that was here before pushgate was installed\n\
             # (kept next to this file), each with the same standard input; the push goes ahead\n\
             # only if both accept. Uninstalling pushgate puts the old hook back.\n\
             # chains: {name}{CHAINED_SUFFIX}\n\
             chained=\"$(dirname \"$0\")/{name}{CHAINED_SUFFIX}\"\n\
             input=$(mktemp \"${{TMPDIR:-/tmp}}/pushgate.XXXXXX\") || {{\n\
             \x20 echo \"pushgate: cannot create a temporary file; refusing the push\" >&2\n\
             \x20 exit 1\n\
             }}\n\
             trap 'rm -f \"$input\"' EXIT\n\
             trap 'exit 1' HUP INT TERM\n\
             cat >\"$input\" || exit 1\n"
        )
        .as_bytes(),
    );
    s.extend_from_slice(&command(binary, policy, hook));
    s.extend_from_slice(
        b" <\"$input\"\n\
          pushgate_status=$?\n\
          chained_status=0\n\
          if [ -x \"$chained\" ]; then\n\
          \x20 \"$chained\" \"$@\" <\"$input\"\n\
          \x20 chained_status=$?\n\
          fi\n\
          if [ \"$pushgate_status\" -ne 0 ]; then exit \"$pushgate_status\"; fi\n\
          exit \"$chained_status\"\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote(b"/usr/bin/pushgate"), b"'/usr/bin/pushgate'");
        assert_eq!(sh_quote(b"it's"), b"'it'\\''s'");
        assert_eq!(sh_quote(b""), b"''");
        assert_eq!(sh_quote(b"$HOME `x` \"y\""), b"'$HOME `x` \"y\"'");
    }

    #[test]
    fn recognition() {
        let d = direct(Path::new("/b"), None, Hook::PreReceive, "x");
        let c = chaining(Path::new("/b"), Some(Path::new("/p")), Hook::PrePush, "x");
        assert!(is_ours(&d) && !is_chaining(&d));
        assert!(is_ours(&c) && is_chaining(&c));
        assert!(!is_ours(b"#!/bin/sh\nexec pushgate pre-receive\n"));
        assert!(!is_chaining(b"#!/bin/sh\n# chains: pre-receive.pushgate-chained\n"));
        assert_eq!(d, b"#!/bin/sh\n# installed by pushgate\n# x\nexec '/b' pre-receive\n");
    }
}
