//! The hook files `pushgate install` writes, and how it recognises them later.
//!
//! Two kinds, both starting with a `#!` line and `# installed by pushgate` — that pair of lines is
//! the only thing that marks a file as ours, so uninstall never touches anything else:
//!
//! - a **hook file** (`#!<binary> run-hook`), for a hook that only runs pushgate: the kernel runs
//!   the binary itself with the file's path (`pushgate run-hook <file> [args]`), and pushgate reads
//!   which hook it is and which policy applies from the file, which is TOML below its comment
//!   lines. No shell starts: ≈ 0.7 ms of a one-commit pre-receive hook's ≈ 4 ms on our bench
//!   machine. Used when the binary's path can be a `#!` line everywhere (no whitespace or control
//!   characters, UTF-8, the line at most 127 bytes: Linux read no more before 5.1) and the policy
//!   path is UTF-8 without control characters; otherwise
//! - a **shell script** (`#!/bin/sh`, [`HEADER`]) that `exec`s pushgate, and the one that chains a
//!   kept hook. Paths are put in single quotes (the one sh quoting with no special characters
//!   inside except `'`), so a binary or policy path with spaces, `$`, backquotes or quotes is
//!   passed through unchanged.

use std::path::{Path, PathBuf};

/// The first two lines of every shell script we write.
pub(super) const HEADER: &[u8] = b"#!/bin/sh\n# installed by pushgate\n";

/// The second line of every file we write.
const MARK: &[u8] = b"# installed by pushgate";

/// The hidden subcommand a hook file's `#!` line names: `pushgate run-hook <file> [args]`.
pub const RUN_HOOK: &str = "run-hook";

/// The longest `#!` line (without its newline) a hook file gets; Linux before 5.1 cut it at 127.
const MAX_SHEBANG: usize = 127;

/// Hook files are a few hundred bytes; `run-hook` refuses anything larger than this.
pub const MAX_HOOK_FILE: u64 = 64 * 1024;

/// Marks a hook that runs a kept, pre-existing hook after pushgate.
const CHAIN_MARK: &[u8] = b"# chains: ";

/// Suffix of the name under which a pre-existing hook is kept (`pre-receive.pushgate-chained`).
pub(super) const CHAINED_SUFFIX: &str = ".pushgate-chained";

/// Whether a file's content starts like one of ours: a shell script, or a hook file.
pub(super) fn is_ours(content: &[u8]) -> bool {
    content.starts_with(HEADER) || is_hook_file(content)
}

/// Whether `content` starts `#!<something> run-hook` + `# installed by pushgate`.
fn is_hook_file(content: &[u8]) -> bool {
    let mut lines = content.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let suffix = [b" ", RUN_HOOK.as_bytes()].concat();
    first.starts_with(b"#!") && first.ends_with(&suffix) && lines.next() == Some(MARK)
}

/// Whether one of our files is the chaining kind (runs a kept hook after pushgate).
pub(super) fn is_chaining(content: &[u8]) -> bool {
    content.starts_with(HEADER) && content.split(|&b| b == b'\n').any(|line| line.starts_with(CHAIN_MARK))
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

/// Which hook a file is for; decides the pushgate subcommand and whether git's arguments are passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    PreReceive,
    PrePush,
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::PreReceive => "pre-receive",
            Hook::PrePush => "pre-push",
        }
    }
}

/// The `#!` line of a hook file for `binary`, if the path can be one on every kernel we target.
fn shebang(binary: &Path) -> Option<String> {
    let b = binary.to_str()?;
    // Whitespace would split the line; control characters are not allowed in a TOML comment.
    if b.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let line = format!("#!{b} {RUN_HOOK}");
    (line.len() <= MAX_SHEBANG).then_some(line)
}

/// `s` as a TOML basic string, if it has no control characters.
fn toml_string(s: &str) -> Option<String> {
    if s.chars().any(char::is_control) {
        return None;
    }
    Some(format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
}

/// A hook file (module docs), or `None` when the binary or policy path cannot be written in one.
fn hook_file(binary: &Path, policy: Option<&Path>, hook: Hook, how: &str) -> Option<Vec<u8>> {
    let first = shebang(binary)?;
    let policy = match policy {
        Some(p) => Some(toml_string(p.to_str()?)?),
        None => None,
    };
    let mut s = format!(
        "{first}\n# installed by pushgate\n# {how}\n\
         # Not a shell script: the kernel runs the pushgate binary named on the first line with this\n\
         # file's path, and pushgate reads the settings below (TOML). Change them with `pushgate install`.\n\
         hook = \"{}\"\n",
        hook.name()
    );
    if let Some(p) = policy {
        s.push_str(&format!("policy = {p}\n"));
    }
    Some(s.into_bytes())
}

/// What a hook file says: the hook it is, and the policy it names (absolute), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookFile {
    pub hook: Hook,
    pub policy: Option<PathBuf>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHookFile {
    hook: String,
    policy: Option<String>,
}

/// Reads a hook file for `pushgate run-hook`. Every problem is an error that names the file:
/// the hook then refuses the push.
pub fn read_hook_file(path: &Path) -> Result<HookFile, String> {
    use std::io::Read;
    let what = |e: &dyn std::fmt::Display| format!("hook file {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| what(&e))?;
    let len = file.metadata().map_err(|e| what(&e))?.len();
    let mut content = Vec::with_capacity(len.min(MAX_HOOK_FILE) as usize + 1);
    file.take(MAX_HOOK_FILE + 1).read_to_end(&mut content).map_err(|e| what(&e))?;
    if content.len() as u64 > MAX_HOOK_FILE {
        return Err(what(&format!("larger than {MAX_HOOK_FILE} bytes; not one `pushgate install` wrote")));
    }
    if !is_hook_file(&content) {
        return Err(what(&format!(
            "does not start with `#!<pushgate> {RUN_HOOK}` and `# installed by pushgate`; \
             write it with `pushgate install`"
        )));
    }
    let text = std::str::from_utf8(&content).map_err(|_| what(&"not UTF-8 text"))?;
    let raw: RawHookFile = toml::from_str(text).map_err(|e| what(&e.message()))?;
    let hook = match raw.hook.as_str() {
        "pre-receive" => Hook::PreReceive,
        "pre-push" => Hook::PrePush,
        other => return Err(what(&format!("hook = {other:?}: expected \"pre-receive\" or \"pre-push\""))),
    };
    let policy = raw.policy.map(PathBuf::from);
    if let Some(p) = &policy
        && !p.is_absolute()
    {
        return Err(what(&format!("policy = {:?} is not an absolute path", p.display().to_string())));
    }
    Ok(HookFile { hook, policy })
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

/// A hook that only runs pushgate: a hook file where the paths allow one, else a shell script.
/// `how` is one comment line saying where it is and how to remove it.
pub(super) fn direct(binary: &Path, policy: Option<&Path>, hook: Hook, how: &str) -> Vec<u8> {
    hook_file(binary, policy, hook, how).unwrap_or_else(|| direct_script(binary, policy, hook, how))
}

/// A shell script that `exec`s pushgate.
fn direct_script(binary: &Path, policy: Option<&Path>, hook: Hook, how: &str) -> Vec<u8> {
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
        let s = direct(Path::new("/a b"), None, Hook::PreReceive, "x");
        let c = chaining(Path::new("/b"), Some(Path::new("/p")), Hook::PrePush, "x");
        assert!(is_ours(&d) && !is_chaining(&d));
        assert!(is_ours(&s) && !is_chaining(&s));
        assert!(is_ours(&c) && is_chaining(&c));
        assert!(!is_ours(b"#!/bin/sh\nexec pushgate pre-receive\n"));
        assert!(!is_ours(b"#!/usr/bin/pushgate run-hook\nhook = \"pre-receive\"\n"));
        assert!(!is_chaining(b"#!/bin/sh\n# chains: pre-receive.pushgate-chained\n"));
        assert!(d.starts_with(b"#!/b run-hook\n# installed by pushgate\n# x\n"), "{}", String::from_utf8_lossy(&d));
        assert_eq!(s, b"#!/bin/sh\n# installed by pushgate\n# x\nexec '/a b' pre-receive\n");
    }

    /// Writes `content` to a temporary file and reads it as a hook file.
    fn read(content: &[u8]) -> Result<HookFile, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pre-receive");
        std::fs::write(&path, content).unwrap();
        read_hook_file(&path)
    }

    #[test]
    fn hook_files_read_back_what_was_written() {
        for (hook, policy) in [
            (Hook::PreReceive, None),
            (Hook::PrePush, Some("/etc/pushgate/policy.toml")),
            (Hook::PreReceive, Some("/srv/it's \"quoted\" \\ $HOME `x` é/p.toml")),
        ] {
            let policy = policy.map(Path::new);
            let file = direct(Path::new("/usr/local/bin/pushgate"), policy, hook, "how");
            assert!(file.starts_with(b"#!/usr/local/bin/pushgate run-hook\n"), "{}", String::from_utf8_lossy(&file));
            assert_eq!(read(&file), Ok(HookFile { hook, policy: policy.map(Path::to_path_buf) }));
        }
    }

    #[test]
    fn paths_a_hook_file_cannot_hold_get_a_script() {
        let long = format!("/{}", "d".repeat(MAX_SHEBANG));
        for (binary, policy) in [
            ("/opt/my tools/pushgate", None),
            ("/opt/tab\there/pushgate", None),
            (long.as_str(), None),
            ("/usr/bin/pushgate", Some("/etc/new\nline.toml")),
        ] {
            let file = direct(Path::new(binary), policy.map(Path::new), Hook::PreReceive, "how");
            assert!(file.starts_with(HEADER), "{}", String::from_utf8_lossy(&file));
        }
        // The longest path that still fits.
        let fits = format!("/{}", "d".repeat(MAX_SHEBANG - " run-hook".len() - 3));
        let file = direct(Path::new(&fits), None, Hook::PreReceive, "how");
        assert_eq!(file.split(|&b| b == b'\n').next().unwrap().len(), MAX_SHEBANG);
    }

    #[test]
    fn hook_files_that_are_not_ours_or_are_broken_are_errors() {
        let ok = "#!/usr/bin/pushgate run-hook\n# installed by pushgate\n";
        for (content, says) in [
            ("#!/bin/sh\nexec pushgate pre-receive\n".to_string(), "does not start with"),
            ("#!/usr/bin/pushgate run-hook\nhook = \"pre-receive\"\n".to_string(), "does not start with"),
            (format!("{ok}hook = \"update\"\n"), "expected \"pre-receive\" or \"pre-push\""),
            (format!("{ok}hook = \"pre-receive\"\npolicy = \"p.toml\"\n"), "not an absolute path"),
            (format!("{ok}hook = \"pre-receive\"\nplicy = \"/p.toml\"\n"), "unknown field"),
            (format!("{ok}policy = \"/p.toml\"\n"), "missing field"),
            (format!("{ok}hook = \"pre-receive\n"), "hook file"),
            (format!("{ok}# {}\nhook = \"pre-receive\"\n", "x".repeat(MAX_HOOK_FILE as usize)), "larger than"),
        ] {
            let e = read(content.as_bytes()).unwrap_err();
            assert!(e.contains(says) && e.contains("pre-receive"), "{e}");
        }
        let mut bad_utf8 = format!("{ok}hook = \"pre-receive\"\n").into_bytes();
        bad_utf8.extend_from_slice(b"# \xff\n");
        assert!(read(&bad_utf8).unwrap_err().contains("not UTF-8"));
        let dir = tempfile::tempdir().unwrap();
        assert!(read_hook_file(&dir.path().join("missing")).unwrap_err().contains("missing"));
    }
}
