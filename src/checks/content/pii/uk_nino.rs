//! `pii/uk-nino`: National Insurance numbers. No checksum, so the prefix rules carry the
//! weight: first letter not D F I Q U V, second not D F I O Q U V, never-allocated prefixes
//! (BG GB NK KN TN NT ZZ) and administrative ones skipped, suffix A–D. The printed form
//! `AB 12 34 56 C` counts on its own; the compact form needs a NINO key or nearby word.

use super::Hit;
use super::Scoped;
use super::context::{TextCtx, standalone};

pub(crate) const PATTERN: &str = r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]";

pub(crate) const KEYWORDS: &[&str] =
    &["nino", "ni number", "ni no", "nino number", "national insurance", "ni num", "nin"];

const NEVER: &[&[u8]] =
    &[b"BG", b"GB", b"NK", b"KN", b"TN", b"NT", b"ZZ", b"OO", b"CR", b"FY", b"MW", b"NC", b"PP", b"PY", b"PZ"];

pub(crate) fn valid_prefix(p: &[u8]) -> bool {
    p.len() == 2 && !b"DFIQUV".contains(&p[0]) && !b"DFIOQUV".contains(&p[1]) && !NEVER.contains(&p)
}

pub(crate) fn find(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let s = m.as_bytes();
        if !standalone(text, m.start(), m.end()) || !valid_prefix(&s[..2]) {
            continue;
        }
        let compact: Vec<u8> = s.iter().copied().filter(|&b| b != b' ').collect();
        // 000000 is HMRC's placeholder; repdigit numbers are filler.
        if compact[2..8].iter().all(|&b| b == compact[2]) {
            continue;
        }
        let printed = s.len() == 13;
        if printed || s.len() == 9 && ctx.has_context(m.range(), KEYWORDS) {
            out.push(Hit { range: m.range(), key: compact, note: None });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::PiiScanner;
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(b"a.txt", text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    #[test]
    fn prefix_rules() {
        assert!(valid_prefix(b"AB"));
        assert!(valid_prefix(b"JG"));
        for p in [b"QQ", b"BG", b"TN", b"DA", b"AO", b"ZZ", b"AV"] {
            assert!(!valid_prefix(p), "{p:?}");
        }
    }

    #[test]
    fn detection() {
        assert_eq!(ids("NI: JG 10 37 21 B"), ["pii/uk-nino"]);
        assert_eq!(ids("JG 10 37 21 B"), ["pii/uk-nino"]);
        assert_eq!(ids(r#"{"nino": "AB123456C"}"#), ["pii/uk-nino"]);
        assert!(ids("part AB123456C").is_empty());
        for t in ["QQ 12 34 56 C", "QQ123456C nino", "nino: CE123456E", "nino: TN123456A", "XAB123456C nino"] {
            assert!(ids(t).is_empty(), "{t}");
        }
    }
}
