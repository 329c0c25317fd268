//! Parsing what git hands a hook: pre-receive's and pre-push's stdin lines and update's
//! arguments. Every byte here is chosen by the pusher or by git; anything unexpected is an error
//! naming the line, never a guess.

use gix::ObjectId;
use gix::hash::Kind;

/// A ref and its value before and after the push (`None`: does not exist on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// Full ref name, `refs/heads/live`.
    pub name: String,
    pub old: Option<ObjectId>,
    pub new: Option<ObjectId>,
    /// pre-push only: the local ref being pushed (`refs/heads/x`), if any.
    pub local: Option<String>,
}

impl RefUpdate {
    pub fn is_create(&self) -> bool {
        self.old.is_none() && self.new.is_some()
    }
    pub fn is_delete(&self) -> bool {
        self.new.is_none()
    }
    /// The branch name when this is a `refs/heads/` ref.
    pub fn branch(&self) -> Option<&str> {
        self.name.strip_prefix("refs/heads/")
    }
    pub fn tag(&self) -> Option<&str> {
        self.name.strip_prefix("refs/tags/")
    }
}

/// Errors in hook input. The line number is 1-based.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("hook input line {line}: expected {expected}, got {got} field(s)")]
    FieldCount { line: usize, expected: &'static str, got: usize },
    #[error("hook input line {line}: `{value}` is not an object id")]
    BadId { line: usize, value: String },
    #[error("hook input line {line}: object id has {len} hex digits but this repository uses {kind:?} ({want})")]
    WrongHashKind { line: usize, len: usize, kind: Kind, want: usize },
    #[error("hook input line {line}: `{value}` is not a valid ref name")]
    BadRef { line: usize, value: String },
    #[error("hook input line {line}: both old and new value are absent")]
    NothingToDo { line: usize },
    #[error("hook input is not valid UTF-8 text (line {line})")]
    NotText { line: usize },
}

/// `0000…` (any length) means "does not exist".
fn parse_id(line: usize, value: &str, kind: Kind) -> Result<Option<ObjectId>, InputError> {
    let want = kind.len_in_hex();
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) || value.is_empty() {
        return Err(InputError::BadId { line, value: truncate(value) });
    }
    if value.len() != want {
        return Err(InputError::WrongHashKind { line, len: value.len(), kind, want });
    }
    let id = ObjectId::from_hex(value.as_bytes()).map_err(|_| InputError::BadId { line, value: truncate(value) })?;
    Ok(if id.is_null() { None } else { Some(id) })
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn check_ref(line: usize, name: &str) -> Result<String, InputError> {
    // git's own rules (check-ref-format), via gix.
    match gix::refs::FullName::try_from(name) {
        Ok(_) if name.starts_with("refs/") => Ok(name.to_string()),
        _ => Err(InputError::BadRef { line, value: truncate(name) }),
    }
}

fn lines(input: &[u8]) -> impl Iterator<Item = (usize, Result<&str, InputError>)> {
    input.split(|b| *b == b'\n').enumerate().filter_map(|(i, raw)| {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        match std::str::from_utf8(raw) {
            // Gitea re-feeds stdin with `echo`, so blank lines (often the last) are normal.
            Ok(s) if s.trim().is_empty() => None,
            Ok(s) => Some((line, Ok(s))),
            Err(_) => Some((line, Err(InputError::NotText { line }))),
        }
    })
}

/// pre-receive / post-receive: `<old> SP <new> SP <ref>` per line.
pub fn parse_pre_receive(input: &[u8], kind: Kind) -> Result<Vec<RefUpdate>, InputError> {
    let mut out = Vec::new();
    for (line, text) in lines(input) {
        let fields: Vec<&str> = text?.split_ascii_whitespace().collect();
        let [old, new, name] = fields[..] else {
            return Err(InputError::FieldCount { line, expected: "3 (<old> <new> <ref>)", got: fields.len() });
        };
        out.push(update(line, name, old, new, kind, None)?);
    }
    Ok(out)
}

/// update hook: `<ref> <old> <new>` as arguments.
pub fn parse_update(name: &str, old: &str, new: &str, kind: Kind) -> Result<RefUpdate, InputError> {
    update(1, name, old, new, kind, None)
}

/// pre-push: `<local ref> SP <local sha> SP <remote ref> SP <remote sha>` per line;
/// a deletion has `(delete)` as the local ref and a zero local sha.
pub fn parse_pre_push(input: &[u8], kind: Kind) -> Result<Vec<RefUpdate>, InputError> {
    let mut out = Vec::new();
    for (line, text) in lines(input) {
        let fields: Vec<&str> = text?.split_ascii_whitespace().collect();
        let [lref, lsha, rref, rsha] = fields[..] else {
            return Err(InputError::FieldCount {
                line,
                expected: "4 (<local ref> <local sha> <remote ref> <remote sha>)",
                got: fields.len(),
            });
        };
        let local = (lref != "(delete)").then(|| lref.to_string());
        out.push(update(line, rref, rsha, lsha, kind, local)?);
    }
    Ok(out)
}

fn update(
    line: usize,
    name: &str,
    old: &str,
    new: &str,
    kind: Kind,
    local: Option<String>,
) -> Result<RefUpdate, InputError> {
    let old = parse_id(line, old, kind)?;
    let new = parse_id(line, new, kind)?;
    let name = check_ref(line, name)?;
    if old.is_none() && new.is_none() {
        return Err(InputError::NothingToDo { line });
    }
    Ok(RefUpdate { name, old, new, local })
}

#[cfg(test)]
mod tests {
    use super::*;

    const Z: &str = "0000000000000000000000000000000000000000";
    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn pre_receive_creation_update_deletion_and_blank_lines() {
        let input = format!("{Z} {A} refs/heads/new\n{A} {B} refs/heads/main\r\n{B} {Z} refs/tags/v1\n\n");
        let u = parse_pre_receive(input.as_bytes(), Kind::Sha1).unwrap();
        assert_eq!(u.len(), 3);
        assert!(u[0].is_create());
        assert_eq!(u[1].branch(), Some("main"));
        assert!(u[2].is_delete());
        assert_eq!(u[2].tag(), Some("v1"));
    }

    #[test]
    fn sha256_ids() {
        let a = "a".repeat(64);
        let z = "0".repeat(64);
        let u = parse_pre_receive(format!("{z} {a} refs/heads/x\n").as_bytes(), Kind::Sha256).unwrap();
        assert_eq!(u[0].new.unwrap().to_hex().to_string(), a);
        let e = parse_pre_receive(format!("{Z} {A} refs/heads/x\n").as_bytes(), Kind::Sha256).unwrap_err();
        assert!(matches!(e, InputError::WrongHashKind { .. }));
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        let cases: Vec<(String, &str)> = vec![
            (format!("{Z} {A}\n"), "line 1: expected 3"),
            (format!("{Z} {A} refs/heads/x extra\n"), "expected 3"),
            (format!("\n{Z} xyz refs/heads/x\n"), "line 2: `xyz` is not an object id"),
            (format!("{Z} {A} refs/heads/a..b\n"), "not a valid ref name"),
            (format!("{Z} {A} HEAD\n"), "not a valid ref name"),
            (format!("{Z} {Z} refs/heads/x\n"), "both old and new"),
        ];
        for (input, want) in cases {
            let e = parse_pre_receive(input.as_bytes(), Kind::Sha1).unwrap_err().to_string();
            assert!(e.contains(want), "{input:?} -> {e}");
        }
        let e = parse_pre_receive(b"\xff\xfe 1 2\n", Kind::Sha1).unwrap_err();
        assert_eq!(e, InputError::NotText { line: 1 });
    }

    #[test]
    fn pre_push_lines_and_deletions() {
        let input = format!("refs/heads/x {A} refs/heads/x {Z}\n(delete) {Z} refs/heads/old {B}\n");
        let u = parse_pre_push(input.as_bytes(), Kind::Sha1).unwrap();
        assert!(u[0].is_create());
        assert_eq!(u[0].local.as_deref(), Some("refs/heads/x"));
        assert!(u[1].is_delete());
        assert_eq!(u[1].local, None);
    }

    #[test]
    fn update_arguments() {
        let u = parse_update("refs/heads/main", A, B, Kind::Sha1).unwrap();
        assert_eq!(u.old.unwrap().to_hex().to_string(), A);
        assert!(parse_update("main", A, B, Kind::Sha1).is_err());
    }
}
