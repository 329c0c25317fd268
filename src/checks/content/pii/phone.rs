//! `pii/phone`: telephone numbers that are almost certainly numbers, not digit runs:
//! international `+CC …` (E.164, ≤ 15 digits, real country code, national length rules for
//! +1/+44/+55), UK national (`07xxx xxxxxx`, `020 xxxx xxxx`, `01xxx xxxxxx`) and Brazilian
//! national (`(11) 91234-5678`) written with separators. A bare national digit run needs a
//! phone key or word. Ofcom drama ranges, NANP 555 numbers and filler subscriber numbers
//! (repdigits, `12345678` runs) are skipped.

use super::Hit;
use super::Scoped;
use super::context::{TextCtx, standalone};

pub(crate) const INTL_PATTERN: &str = r"\+[1-9][0-9 ().\-]{5,24}[0-9]";
pub(crate) const UK_PATTERN: &str = r"\(?0[1-9][0-9]{1,3}\)?[ \-]?[0-9]{3,4}[ \-]?[0-9]{3,4}";
pub(crate) const BR_PATTERN: &str = r"\(?[1-9][0-9]\)?[ \-]?9?[0-9]{4}[ \-]?[0-9]{4}";

pub(crate) const KEYWORDS: &[&str] = &[
    "phone",
    "phones",
    "tel",
    "telephone",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "celular",
    "telefone",
    "fone",
    "whatsapp",
    "fax",
    "msisdn",
    "contact number",
    "phone number",
    "landline",
    "contato",
    "sms",
];

/// ITU-T E.164 country calling codes (1–3 digits).
const CC: &[u32] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60,
    61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291,
    297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380,
    381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592,
    593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687,
    688, 689, 690, 691, 692, 850, 852, 853, 855, 856, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971,
    972, 973, 974, 975, 976, 977, 992, 993, 994, 995, 996, 998,
];

/// Brazilian area codes (DDD).
const DDD: &[u32] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48,
    49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
    91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// Ofcom numbers reserved for TV/radio drama, as prefixes of the 11-digit national number
/// (each covers a block of 1000: `07700 900000`–`07700 900999`, `020 7946 0000`–`0999` …).
const OFCOM_DRAMA: &[&str] = &[
    "07700900", "01632960", "02079460", "01134960", "01144960", "01154960", "01164960", "01174960", "01184960",
    "01214960", "01314960", "01414960", "01514960", "01614960", "01914980", "02896496", "02920180", "03069990",
    "08081570", "09098790",
];

fn num(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |a, &b| a.saturating_mul(10).saturating_add(u64::from(b - b'0')))
}

/// Repdigit or a run of six ascending digits (`123456`, `345678`): filler, not a subscriber.
fn filler(nsn: &[u8]) -> bool {
    let tail = &nsn[nsn.len().saturating_sub(8)..];
    if tail.windows(6).any(|w| w.iter().all(|&b| b == w[0])) {
        return true;
    }
    nsn.windows(6).any(|w| w.windows(2).all(|p| p[1] == p[0] + 1))
}

/// UK national number (with leading 0, 11 digits) that is a personal/geographic number.
fn uk_national_ok(d: &[u8]) -> bool {
    if d.len() != 11 || d[0] != b'0' {
        return false;
    }
    let ok_prefix = matches!(d[1], b'1' | b'2' | b'3') || (d[1] == b'7' && !matches!(d[2], b'0' | b'6'));
    ok_prefix && !OFCOM_DRAMA.iter().any(|p| d.starts_with(p.as_bytes())) && !filler(&d[1..])
}

/// Brazilian national number: DDD + 9-digit mobile (9…) or 8-digit landline (2–5…).
fn br_national_ok(d: &[u8]) -> bool {
    if !(d.len() == 10 || d.len() == 11) || !DDD.contains(&(num(&d[..2]) as u32)) {
        return false;
    }
    let sub = &d[2..];
    let shape = match sub.len() {
        9 => sub[0] == b'9',
        // 300x/400x are nationwide company numbers ("números únicos"), not a person's line.
        8 => (b'2'..=b'5').contains(&sub[0]) && !(matches!(&sub[..3], b"300" | b"400")),
        _ => false,
    };
    shape && !filler(sub)
}

fn intl_ok(d: &[u8]) -> bool {
    if !(8..=15).contains(&d.len()) {
        return false;
    }
    let Some(cc_len) = (1..=3).find(|&l| CC.contains(&(num(&d[..l]) as u32))) else {
        return false;
    };
    let nsn = &d[cc_len..];
    match num(&d[..cc_len]) {
        1 => {
            nsn.len() == 10
                && nsn[0] >= b'2'
                && nsn[3] >= b'2'
                && &nsn[3..6] != b"555"
                && &nsn[1..3] != b"11"
                && !filler(nsn)
        }
        44 => uk_national_ok(&[b"0", nsn].concat()),
        55 => br_national_ok(nsn),
        _ => (6..=12).contains(&nsn.len()) && !filler(nsn),
    }
}

/// Digits of a candidate when its punctuation is phone-like: single separators between
/// groups, at most one parenthesised group, and no mixing of `.` with other separators.
fn digits_if_phone_shaped(s: &[u8]) -> Option<Vec<u8>> {
    let mut prev_sep = false;
    let (mut open, mut close) = (0, 0);
    let mut seps = Vec::new();
    for &b in s {
        match b {
            // `(11)` or `(020)`: a closing parenthesis needs one open before it.
            b'(' => open += 1,
            b')' if close < open => close += 1,
            b')' => return None,
            b' ' | b'-' | b'.' => {
                if prev_sep {
                    return None;
                }
                prev_sep = true;
                seps.push(b);
                continue;
            }
            _ => {}
        }
        prev_sep = false;
    }
    // One pair of parentheses at most, and an opened one is closed: `(1730613599` in a tuple
    // of numbers is no phone number.
    if open > 1 || open != close || (seps.contains(&b'.') && seps.iter().any(|&c| c != b'.')) {
        return None;
    }
    Some(s.iter().copied().filter(u8::is_ascii_digit).collect())
}

pub(crate) fn find_intl(ctx: &TextCtx<'_>, re: &Scoped<'_>, path: &[u8]) -> Vec<Hit> {
    let text = ctx.text;
    let lower = path.to_ascii_lowercase();
    let is_patch = lower.ends_with(b".patch") || lower.ends_with(b".diff");
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let start = m.start();
        if start > 0 && (text[start - 1].is_ascii_alphanumeric() || matches!(text[start - 1], b')' | b'_' | b'+')) {
            continue;
        }
        if is_patch && ctx.line_range(start).start == start {
            continue;
        }
        // Greedy match may run into a following number: drop trailing groups until valid.
        let mut end = m.end();
        while end > start + 8 {
            while end > start && !text[end - 1].is_ascii_digit() {
                end -= 1;
            }
            if standalone(text, start + 1, end)
                && let Some(d) = digits_if_phone_shaped(&text[start + 1..end])
                && intl_ok(&d)
            {
                out.push(Hit { range: start..end, key: d, note: None });
                break;
            }
            match text[start + 1..end].iter().rposition(|&b| b == b' ') {
                Some(p) => end = start + 1 + p,
                None => break,
            }
        }
    }
    out
}

pub(crate) fn find_national(ctx: &TextCtx<'_>, re: &Scoped<'_>, uk: bool) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let (start, end) = (m.start(), m.end());
        if start > 0 && matches!(text[start - 1], b'+') {
            continue;
        }
        if !standalone(text, start, end) {
            continue;
        }
        let s = m.as_bytes();
        let Some(d) = digits_if_phone_shaped(s) else {
            continue;
        };
        let separated = d.len() != s.len();
        let ok = if uk {
            uk_national_ok(&d)
        } else {
            // `(11) 91234-5678`, `11 91234-5678` or `11 3456-7890`: DDD then a dashed subscriber.
            let dashed = s.len() >= 5 && s[s.len() - 5] == b'-';
            br_national_ok(&d) && (!separated || s[0] == b'(' || dashed)
        };
        if ok && (separated || ctx.has_context(m.range(), KEYWORDS)) {
            out.push(Hit { range: start..end, key: d, note: None });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::PiiScanner;
    use super::*;

    fn ids(path: &str, text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(path.as_bytes(), text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    #[test]
    fn validity() {
        assert!(intl_ok(b"447911583204"));
        assert!(!intl_ok(b"447700900123")); // Ofcom drama
        assert!(intl_ok(b"5521987351246"));
        assert!(!intl_ok(b"5511912345678")); // filler subscriber
        assert!(!intl_ok(b"551140038271")); // company "número único"
        assert!(intl_ok(b"551132418271")); // landline
        assert!(intl_ok(b"12125843921"));
        assert!(!intl_ok(b"12125550123")); // 555
        assert!(intl_ok(b"33612843951"));
        assert!(!intl_ok(b"999123456789"));
        assert!(uk_national_ok(b"07911583204"));
        assert!(!uk_national_ok(b"02079460123"));
        assert!(!uk_national_ok(b"01134960555"));
    }

    #[test]
    fn detection() {
        for t in [
            "call +44 7911 583204",
            "+55 21 98735-1246",
            "tel: +1 (212) 584-3921",
            "Mobile 07911 583204",
            "(21) 98735-1246",
            "phone=07911583204",
            "{\"telefone\": \"21987351246\"}",
        ] {
            assert_eq!(ids("a.txt", t), ["pii/phone"], "{t}");
        }
        for t in [
            "+44 7700 900123",
            "020 7946 0123",
            "0113 496 0555",
            "version 1.2.3.4",
            "v+1.2.3",
            "1700000000",
            "id 07911583204",
            "1e+10",
            "+55 11 91234-5678",
            "2024-01-15 10:30:00",
            "+1 555 0100",
            // An opening parenthesis of a tuple is no area code in brackets (jiff's time zone
            // tests: a timestamp that reads as a Brazilian number after it).
            "((1730613599, 999_999_999), o(-4), \"EDT\")",
            "x = f(2198735124)",
            "21) 98735-1246",
        ] {
            assert!(ids("a.txt", t).is_empty(), "{t}");
        }
    }
}
