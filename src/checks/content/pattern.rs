//! Rewriting regex pattern text for the secret engine's combined `RegexSet`: a set that only
//! pre-selects rules may match more than the rules themselves.

/// A cheaper over-approximation of `pattern` for the combined `RegexSet`: every counted
/// repetition `{n}`, `{n,}`, `{n,m}` becomes `+` (n ≥ 1) or `*` (n = 0). The language only
/// grows, so the set never misses a rule that can match; the exact per-rule regex confirms.
/// Counted repetitions are what make a set of ~150 token regexes slow to compile (each copy
/// of a class is NFA states), and a hook compiles the set on every push.
pub(crate) fn loosen(pattern: &str) -> String {
    rewrite_counted(pattern, |lo, _| if lo.bytes().all(|d| d == b'0') { "*".into() } else { "+".into() })
}

/// Every counted repetition `{lo}`, `{lo,}`, `{lo,hi}` of `pattern` (outside classes and
/// escapes) replaced by `with(lo, hi)`; `hi` is `None` for `{lo}`, empty for `{lo,}`.
fn rewrite_counted(pattern: &str, with: impl Fn(&str, Option<&str>) -> String) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    let mut class_depth = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            // Copy the escape and the escaped byte verbatim.
            let end = (i + 2).min(b.len());
            out.push_str(&pattern[i..end]);
            i = end;
            continue;
        }
        if class_depth > 0 {
            if c == b'[' && b.get(i + 1) == Some(&b':') {
                // POSIX class `[:alpha:]` inside a class: copy through `:]`.
                if let Some(rel) = pattern[i..].find(":]") {
                    out.push_str(&pattern[i..i + rel + 2]);
                    i += rel + 2;
                    continue;
                }
            }
            if c == b'[' {
                class_depth += 1;
            } else if c == b']' {
                class_depth -= 1;
            }
            out.push(c as char);
            i += 1;
            continue;
        }
        if c == b'[' {
            class_depth = 1;
            out.push('[');
            i += 1;
            // A `]` or `^]` right after the opening bracket is literal.
            if b.get(i) == Some(&b'^') {
                out.push('^');
                i += 1;
            }
            if b.get(i) == Some(&b']') {
                out.push(']');
                i += 1;
            }
            continue;
        }
        if c == b'{'
            && let Some(rel) = pattern[i..].find('}')
        {
            let inner = &pattern[i + 1..i + rel];
            let mut parts = inner.splitn(2, ',');
            let lo = parts.next().unwrap_or("");
            let hi = parts.next();
            let is_num = |s: &str| !s.is_empty() && s.bytes().all(|d| d.is_ascii_digit());
            if is_num(lo) && hi.is_none_or(|h| h.is_empty() || is_num(h)) {
                out.push_str(&with(lo, hi));
                i += rel + 1;
                continue;
            }
        }
        out.push(c as char);
        i += 1;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn build(p: &str) -> regex::bytes::Regex {
        regex::bytes::RegexBuilder::new(p).unicode(false).build().unwrap()
    }

    #[test]
    fn loosen_rewrites_counted_repetitions_only() {
        assert_eq!(loosen(r"\b(ghp_[A-Za-z0-9]{36})\b"), r"\b(ghp_[A-Za-z0-9]+)\b");
        assert_eq!(loosen(r"a{0,40}?b{2,}c{3,5}"), r"a*?b+c+");
        assert_eq!(loosen(r"\{3\}[{3}]x"), r"\{3\}[{3}]x");
        assert_eq!(loosen(r"[]{2}]{4}"), r"[]{2}]+");
        assert_eq!(loosen(r"[^]x]{4}[[:alpha:]]{2}"), r"[^]x]+[[:alpha:]]+");
        assert_eq!(loosen(r"(?P<secret>x){1}"), r"(?P<secret>x)+");
        assert_eq!(loosen(r"a{,3}b{x}"), r"a{,3}b{x}");
        // Looser pattern matches everything the exact one does.
        let exact = build(r"\b(AKIA[A-Z2-7]{16})\b");
        let loose = build(&loosen(r"\b(AKIA[A-Z2-7]{16})\b"));
        for s in ["AKIA2345234523452345", "x AKIAABCDEFGHIJKLMNOP y"] {
            assert!(exact.is_match(s.as_bytes()) && loose.is_match(s.as_bytes()));
        }
    }
}
