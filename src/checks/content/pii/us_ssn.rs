//! `pii/us-ssn`: US Social Security numbers. Invalid areas (000, 666, 900–999), group 00 and
//! serial 0000 are skipped, as are advertised/placeholder numbers (078-05-1120, 219-09-9999,
//! 123-45-6789 …). `AAA-GG-SSSS` counts on its own; bare or spaced runs need an SSN key or word.

use super::Scoped;
use super::context::{TextCtx, standalone};
use super::{Hit, known};

pub(crate) const PATTERN: &str = r"[0-9]{3}[ \-]?[0-9]{2}[ \-]?[0-9]{4}";

pub(crate) const KEYWORDS: &[&str] =
    &["ssn", "ssns", "social security", "social sec", "ss number", "ss no", "soc sec", "ssn number"];

pub(crate) fn valid(d: &[u8]) -> bool {
    let num = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
    d.len() == 9
        && d.iter().all(u8::is_ascii_digit)
        && !matches!(num(0..3), 0 | 666 | 900..=999)
        && num(3..5) != 0
        && num(5..9) != 0
        && !super::checksum::is_repdigit(d)
        && !known::contains(known::EXAMPLE_SSNS, d)
}

pub(crate) fn find(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let s = m.as_bytes();
        if !standalone(text, m.start(), m.end()) {
            continue;
        }
        let seps: Vec<u8> = s.iter().copied().filter(|b| !b.is_ascii_digit()).collect();
        if !(seps.is_empty() || seps == b"--" || seps == b"  ") {
            continue;
        }
        let d: Vec<u8> = s.iter().copied().filter(u8::is_ascii_digit).collect();
        if !valid(&d) {
            continue;
        }
        if seps == b"--" || ctx.has_context(m.range(), KEYWORDS) {
            out.push(Hit { range: m.range(), key: d, note: None });
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
    fn rules() {
        assert!(valid(b"536904187"));
        for bad in [
            &b"000123456"[..],
            b"666123456",
            b"912345678",
            b"536004187",
            b"536900000",
            b"078051120",
            b"123456789",
            b"219099999",
        ] {
            assert!(!valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn detection() {
        assert_eq!(ids("applicant 536-90-4187"), ["pii/us-ssn"]);
        assert_eq!(ids("ssn=536904187"), ["pii/us-ssn"]);
        assert!(ids("id=536904187").is_empty());
        assert!(ids("536-90 4187").is_empty());
        assert!(ids("example 078-05-1120 and 123-45-6789").is_empty());
        assert!(ids("build 2024-536-90-4187").is_empty());
    }
}
