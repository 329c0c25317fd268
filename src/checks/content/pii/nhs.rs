//! `pii/uk-nhs-number`: 10 digits with the NHS mod-11 check (check value 10 is never issued),
//! not a repdigit, not in the 900–999 synthetic/test range. The printed form `NNN NNN NNNN`
//! counts on its own; a bare or dashed run needs an NHS key, column or nearby word.

use super::Hit;
use super::Scoped;
use super::checksum::{is_repdigit, nhs_valid};
use super::context::{TextCtx, standalone, words_match};

pub(crate) const PATTERN: &str = r"[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4}";

pub(crate) const KEYWORDS: &[&str] = &[
    "nhs",
    "nhs number",
    "nhs no",
    "nhsno",
    "nhs num",
    "national health",
    "health service",
    "chi number",
    "chi no",
    "chi",
    "hsc number",
    "hcn",
];

const PHONE_WORDS: &[&str] = &["phone", "tel", "telephone", "mobile", "fax", "call", "ring"];

pub(crate) fn find(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let s = m.as_bytes();
        if !standalone(text, m.start(), m.end()) {
            continue;
        }
        let seps: Vec<u8> = s.iter().copied().filter(|b| !b.is_ascii_digit()).collect();
        if !(seps.is_empty() || seps == b"  " || seps == b"--") {
            continue;
        }
        let mut d = [0u8; 10];
        for (slot, b) in d.iter_mut().zip(s.iter().filter(|b| b.is_ascii_digit())) {
            *slot = *b;
        }
        // 900–999 is the synthetic/test range that PDS never issues to patients.
        if !nhs_valid(&d) || is_repdigit(&d) || d[0] == b'9' {
            continue;
        }
        let printed = seps == b"  ";
        let has_ctx = ctx.has_context(m.range(), KEYWORDS);
        // A 3-3-4 group next to "phone" is a phone number unless NHS context says otherwise.
        let ok = has_ctx || (printed && !words_match(&ctx.nearby_words(m.range()), PHONE_WORDS));
        if ok {
            out.push(Hit { range: m.range(), key: d.to_vec(), note: None });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::PiiScanner;
    use super::*;

    /// A valid NHS number starting with `first3` (not 9xx), middle digits from `seed`.
    pub(crate) fn make_nhs(first3: &str, seed: u64) -> String {
        let mut x = seed;
        loop {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mid = (x >> 33) % 1_000_000;
            let nine = format!("{first3}{mid:06}");
            for c in b'0'..=b'9' {
                let mut d = [0u8; 10];
                d[..9].copy_from_slice(nine.as_bytes());
                d[9] = c;
                if nhs_valid(&d) && !is_repdigit(&d) {
                    return String::from_utf8_lossy(&d).into_owned();
                }
            }
        }
    }

    fn ids(path: &str, text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(path.as_bytes(), text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    #[test]
    fn printed_counts_bare_needs_context() {
        let n = make_nhs("485", 1);
        let printed = format!("{} {} {}", &n[..3], &n[3..6], &n[6..]);
        assert_eq!(ids("a.txt", &format!("Patient {printed} seen")), ["pii/uk-nhs-number"]);
        assert!(ids("a.txt", &format!("id {n}")).is_empty());
        assert_eq!(ids("a.json", &format!("{{\"nhs_number\": \"{n}\"}}")), ["pii/uk-nhs-number"]);
        assert_eq!(ids("a.yaml", &format!("patient:\n  nhsNo: {n}\n")), ["pii/uk-nhs-number"]);
        assert_eq!(ids("a.csv", &format!("name,nhs\nA,{n}\n")), ["pii/uk-nhs-number"]);
        assert!(ids("a.txt", &format!("phone: {printed}")).is_empty());
    }

    #[test]
    fn invalid_and_test_values() {
        let n = make_nhs("612", 9);
        let last = n.as_bytes()[9];
        let wrong = format!("{}{}", &n[..9], char::from(if last == b'0' { b'1' } else { last - 1 }));
        for t in [
            format!("nhs: {wrong}"),
            "nhs: 943 476 5919".to_string(), // synthetic 9xx range
            "nhs: 0000000000".to_string(),
            "nhs: 1700000000".to_string(),
            format!("nhs: {n}abc"),
            format!("nhs: 0x{n}"),
        ] {
            assert!(ids("a.txt", &t).is_empty(), "{t}");
        }
    }
}
