//! Rewriting regex pattern text for the secret engine's combined rule set: a set that only
//! pre-selects rules may match more than the rules themselves.

use regex_syntax::hir::{Hir, HirKind};

/// The form of `pattern` that goes into the combined set: [`loosen`]ed, then with what a match
/// need not start with trimmed off its front ([`trim_front`]). Like `loosen`, it only widens the
/// language: wherever the pattern matches, its set form matches too (a test checks every
/// built-in rule's samples and random texts). A pattern regex-syntax cannot parse is only
/// loosened (the set build reports it).
pub(crate) fn set_form(pattern: &str) -> String {
    let loose = loosen(pattern);
    match regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(&loose) {
        Ok(hir) => trim_front(hir).to_string(),
        Err(_) => loose,
    }
}

/// `hir` without what a match need not start with, for an unanchored search: leading optional
/// items (`[A-Za-z0-9_.-]*?` before a keyword, a left-context group such as `(?:\A|[\s=:])`)
/// are dropped, and a leading run `X+` keeps one `X`; assertions such as `\b` before a dropped
/// or shortened item go with it, and stay before anything else (`\bkey-` keeps its `\b`).
///
/// Why: in a set of ~140 unanchored patterns, a pattern that starts with a run of a broad class
/// (`[A-Za-z0-9]+\.atlasv1\.`, `[A-Za-z0-9_~.]+[0-9]Q~`) is "in progress" inside every
/// identifier of the text, and the lazy DFA builds a state for every mix of such progress:
/// measured over the added lines of a 28 000-commit history, building states was half of the
/// set's time, and this cuts that by 40 % without admitting a single text more.
/// Every rewrite keeps the language's "matches somewhere" set or widens it: a match of `E R`
/// contains a match of `R` when `E` can be empty, and a match of `X+ R` ends with one of `X R`.
pub(crate) fn trim_front(hir: Hir) -> Hir {
    match hir.kind() {
        HirKind::Concat(_) => {
            let HirKind::Concat(items) = hir.into_kind() else { unreachable!("matched a concatenation") };
            let mut items: std::collections::VecDeque<Hir> = items.into();
            loop {
                let looks = items.iter().take_while(|h| matches!(h.kind(), HirKind::Look(_))).count();
                let Some(next) = items.get(looks) else { break };
                // Never drop the last item: a pattern that can match empty stays as it is.
                if looks + 1 < items.len() && next.properties().minimum_len() == Some(0) {
                    items.drain(..=looks);
                    continue;
                }
                if matches!(next.kind(), HirKind::Repetition(_) | HirKind::Capture(_) | HirKind::Alternation(_)) {
                    let trimmed = trim_front(next.clone());
                    if &trimmed != next {
                        items.drain(..=looks);
                        items.push_front(trimmed);
                    }
                }
                break;
            }
            Hir::concat(items.into())
        }
        HirKind::Capture(c) => {
            let trimmed = trim_front((*c.sub).clone());
            if trimmed == *c.sub { hir } else { trimmed }
        }
        HirKind::Repetition(r) if r.min >= 1 => trim_front((*r.sub).clone()),
        HirKind::Alternation(_) => {
            let HirKind::Alternation(alts) = hir.into_kind() else { unreachable!("matched an alternation") };
            Hir::alternation(alts.into_iter().map(trim_front).collect())
        }
        _ => hir,
    }
}

/// A cheaper over-approximation of `pattern` for the combined rule set: every counted
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
    fn set_form_trims_only_what_a_match_need_not_start_with() {
        let form = |p: &str| build(&set_form(p));
        // A run before a required literal keeps one byte; the left context goes.
        let azure = form(r"(?:\A|[\s=:])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})");
        assert!(azure.is_match(b"x8Q~abcdefghijklmnopqrstuvwxyz01234"));
        assert!(!azure.is_match(b"Q~abcdefghijklmnopqrstuvwxyz01234"));
        // An optional key prefix goes; the keyword stays required.
        let generic = form(r"(?i)(?P<key>[A-Za-z0-9_.-]*?secret[A-Za-z0-9]*)\s*=\s*(?P<secret>\S{8,})");
        assert!(generic.is_match(b"SECRET = abcdefgh"));
        assert!(!generic.is_match(b"password = abcdefgh"));
        // `\b` before a literal stays: `key-` inside `monkey-patch` is not admitted.
        let mailgun = form(r"\b(key-[0-9a-z]{32})\b");
        assert!(mailgun.is_match(b"key-0123456789abcdef0123456789abcdef"));
        assert!(!mailgun.is_match(b"monkey-0123456789abcdef0123456789abcdef"));
        // `\b` before a shortened run goes with it (`\b[a-f0-9]NRAL` would not admit `ab12NRAL`).
        assert!(form(r"\b([a-f0-9]{36}NRAL)\b").is_match(b"x-0123456789abcdef0123456789abcdef0123NRAL"));
        // A pattern that can match empty is not trimmed to nothing.
        assert!(form("[a-z]*").is_match(b"") && form("a*b*").is_match(b""));
        // Unparseable: only loosened (the set build reports the error).
        assert_eq!(set_form("a{2}("), "a+(");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// Wherever a pattern matches, its set form matches: texts are built around a piece
        /// generated for each pattern (so that most of them match), with random bytes around it
        /// that the left context, `\\b` and the trimmed runs react to.
        #[test]
        fn set_form_matches_wherever_the_pattern_does(
            pre in "[ab01Q~=_ .NRLke-]{0,4}",
            cores in (
                "[ab0-9]{1,4}[0-9]Q~[ab]{1,3}",
                "[ab_.-]{0,3}[kK][eE][ab0-9]{0,2} ?= ?[^\\s]{1,3}",
                "[a-f0-9]{1,4}NRAL",
                "(ke-|[ab]{1,2}\\.[01]{1,2})[ab;]?",
                "((_a|b)?[01]{1,3}\\.){1,2}Q",
                "ke-[a-z0-9]{2,4}",
                "[ab]{0,2}~=|[01]{1,2} ",
            ),
            post in "[ab01Q~=_ .NRLke-]{0,4}",
        ) {
            let patterns: [(&str, &String); 7] = [
                (r"(?:\A|[\s=])[ab0-9]{2,}[0-9]Q~[ab]{2}", &cores.0),
                (r"(?i)(?P<key>[ab_.-]*?ke[ab0-9]*)\s*=\s*(?P<s>[^\s]{2,})", &cores.1),
                (r"\b([a-f0-9]{2,}NRAL)\b", &cores.2),
                (r"\b(?:ke-|[ab]+\.[01]+)(?:[^ab]|\z)", &cores.3),
                (r"(?:(?:_a|b)?[01]{1,3}\.)+Q", &cores.4),
                (r"\b(ke-[a-z0-9]{3})\b", &cores.5),
                (r"[ab]*?~=|[01]+ ", &cores.6),
            ];
            for (p, core) in patterns {
                let text = format!("{pre}{core}{post}");
                let exact = build(p);
                let set = build(&set_form(p));
                proptest::prop_assert!(
                    !exact.is_match(text.as_bytes()) || set.is_match(text.as_bytes()),
                    "{p} matches {text:?} but its set form {} does not", set_form(p)
                );
            }
        }
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
