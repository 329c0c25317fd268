//! `pii/payment-card`: 13–19 digit PANs in the network's printed grouping, or as one bare run
//! with a card word for key, column or nearby word; Luhn, issuer prefix (IIN) and length per
//! network; published test PANs and obviously synthetic numbers are skipped.

use super::Scoped;
use super::checksum::{is_repdigit, luhn_valid};
use super::context::{TextCtx, standalone};
use super::{Hit, known};

pub(crate) const PATTERN: &str = r"[0-9](?:[0-9]|[ \-][0-9]){12,25}";

/// Groupings in which PANs are printed, by total length.
const GROUPINGS: &[&[usize]] = &[
    &[4, 4, 4, 4],
    &[4, 6, 5],
    &[4, 6, 4],
    &[4, 4, 5],
    &[4, 4, 4, 1],
    &[4, 4, 4, 5],
    &[4, 4, 4, 6],
    &[4, 4, 4, 4, 3],
    &[4, 4, 4, 4, 1],
    &[4, 4, 4, 4, 2],
    &[6, 13],
    &[4, 4, 4, 3],
];

pub(crate) fn find(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        // Split the candidate into digit groups and the separators between them.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut seps: Vec<u8> = Vec::new();
        let mut gs = m.start();
        for (i, &b) in text[m.range()].iter().enumerate().map(|(k, b)| (m.start() + k, b)) {
            if !b.is_ascii_digit() {
                groups.push((gs, i));
                seps.push(b);
                gs = i + 1;
            }
        }
        groups.push((gs, m.end()));
        if m.end() - m.start() + 1 - groups.len() < 13 {
            // Fewer than 13 digits in the whole candidate: no window can be a PAN.
            continue;
        }
        let all_spaces = seps.iter().all(|&s| s == b' ');
        // Try the whole candidate first, then (space-separated only) any window of groups,
        // so "qty 2 4111 1111 1111 1111 12/25" still finds the PAN.
        let n = groups.len();
        let mut i = 0;
        while i < n {
            // A window passes only as one group of 13+ digits or as a printed grouping, and every
            // grouping starts with 4 or 6 digits: skip the others without trying their windows
            // (files of "0 0 1 0 …" make thousands of such candidates).
            let first = groups[i].1 - groups[i].0;
            if first != 4 && first != 6 && first < 13 {
                i += 1;
                continue;
            }
            let mut found = None;
            for j in (i + 1..=n).rev() {
                let whole = i == 0 && j == n;
                let window_seps = &seps[i..j - 1];
                if !whole && !all_spaces {
                    continue;
                }
                if window_seps.windows(2).any(|w| w[0] != w[1]) {
                    continue;
                }
                let window = &groups[i..j];
                // Length first (no allocation): most digit runs in source code are no PAN.
                let count: usize = window.iter().map(|(a, b)| b - a).sum();
                if !(13..=19).contains(&count) {
                    continue;
                }
                let grouped =
                    |g: &&[usize]| g.len() == window.len() && g.iter().zip(window).all(|(l, (a, b))| *l == b - a);
                if window.len() > 1 && !GROUPINGS.iter().any(grouped) {
                    continue;
                }
                let (start, end) = (groups[i].0, groups[j - 1].1);
                if !standalone(text, start, end) {
                    continue;
                }
                let digits: Vec<u8> = text[start..end].iter().copied().filter(u8::is_ascii_digit).collect();
                let Some(network) = valid_pan(&digits) else { continue };
                // Context lookup is the expensive part (it may walk back for a parent key), so it
                // runs only for a candidate that already passed length, prefix and Luhn: a file of
                // "0 0 1 0 …" took 20 s when it ran for every digit group.
                //
                // A bare run of digits is a card only where the text says so (a key, column or
                // nearby word): numeric constants in code pass Luhn and an issuer prefix one
                // time in a few dozen. Printed groupings need no context.
                let bare = i + 1 == j;
                if bare && !ctx.has_context(start..end, KEYWORDS) {
                    continue;
                }
                found = Some((j, Hit { range: start..end, key: digits, note: Some(format!("{network} card number")) }));
                break;
            }
            match found {
                Some((j, hit)) => {
                    out.push(hit);
                    i = j;
                }
                None => i += 1,
            }
        }
    }
    out
}

/// Card words: a bare digit run needs one of them as its key, column or nearby word.
const KEYWORDS: &[&str] = &[
    "card",
    "cards",
    "cc",
    "pan",
    "credit",
    "debit",
    "visa",
    "mastercard",
    "amex",
    "discover",
    "jcb",
    "diners",
    "maestro",
    "elo",
    "hipercard",
    "unionpay",
    "cartao",
    "card number",
];

/// Network name when `d` is a plausible, non-test PAN.
pub(crate) fn valid_pan(d: &[u8]) -> Option<&'static str> {
    if !(13..=19).contains(&d.len()) || !luhn_valid(d) || is_repdigit(d) {
        return None;
    }
    if known::contains(known::TEST_PANS, d) || synthetic(d) {
        return None;
    }
    network(d)
}

/// A run of eight or more equal digits after the IIN: processors' magic test cards
/// (`4000 0000 0000 0002`, `6304 0000 0000 0000`) look like this; issued PANs practically never do.
fn synthetic(d: &[u8]) -> bool {
    let mut run = 1;
    for w in d.get(4..).unwrap_or_default().windows(2) {
        if w[0] == w[1] {
            run += 1;
            if run >= 8 {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

fn prefix(d: &[u8], n: usize) -> u32 {
    d.iter().take(n).fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'))
}

fn network(d: &[u8]) -> Option<&'static str> {
    let len = d.len();
    let p = |n| prefix(d, n);
    let in_ranges = |n: usize, ranges: &[(u32, u32)]| {
        let v = p(n);
        ranges.iter().any(|&(a, b)| (a..=b).contains(&v))
    };
    // Most specific prefixes first: Elo and Hipercard live inside Visa/Discover/Maestro space.
    const ELO: &[(u32, u32)] = &[
        (401178, 401179),
        (431274, 431274),
        (438935, 438935),
        (451416, 451416),
        (457393, 457393),
        (457631, 457632),
        (504175, 504175),
        (506699, 506778),
        (509000, 509999),
        (627780, 627780),
        (636297, 636297),
        (636368, 636368),
        (650031, 650033),
        (650035, 650051),
        (650405, 650439),
        (650485, 650538),
        (650541, 650598),
        (650700, 650718),
        (650720, 650727),
        (650901, 650978),
        (651652, 651679),
        (655000, 655019),
        (655021, 655058),
    ];
    if len == 16 && in_ranges(6, ELO) {
        return Some("Elo");
    }
    if matches!(len, 13 | 16 | 19) && (p(6) == 606282 || matches!(p(6), 384100 | 384140 | 384160)) {
        return Some("Hipercard");
    }
    if matches!(p(4), 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763) {
        return (12..=19).contains(&len).then_some("Maestro");
    }
    match d.first()? {
        b'4' => matches!(len, 13 | 16 | 19).then_some("Visa"),
        b'5' if (51..=55).contains(&p(2)) => (len == 16).then_some("Mastercard"),
        b'2' if (2221..=2720).contains(&p(4)) => (len == 16).then_some("Mastercard"),
        b'3' if matches!(p(2), 34 | 37) => (len == 15).then_some("American Express"),
        b'3' if (3528..=3589).contains(&p(4)) => (16..=19).contains(&len).then_some("JCB"),
        b'3' if (300..=305).contains(&p(3)) || p(4) == 3095 || matches!(p(2), 36 | 38 | 39) => {
            (14..=19).contains(&len).then_some("Diners Club")
        }
        b'6' if (622126..=622925).contains(&p(6)) || p(4) == 6011 || (644..=649).contains(&p(3)) || p(2) == 65 => {
            (16..=19).contains(&len).then_some("Discover")
        }
        b'6' if p(2) == 62 => (16..=19).contains(&len).then_some("UnionPay"),
        b'8' if p(2) == 81 => (16..=19).contains(&len).then_some("UnionPay"),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::PiiScanner;
    use super::*;

    /// Complete `prefix` (digits) to `len` digits with a Luhn check digit; middle digits come
    /// from `seed` so each call gives a different, made-up number.
    pub(crate) fn make_pan(prefix: &str, len: usize, seed: u64) -> String {
        let mut s = prefix.to_string();
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        while s.len() < len - 1 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            s.push(char::from(b'0' + u8::try_from((x >> 33) % 10).unwrap_or(0)));
        }
        for c in b'0'..=b'9' {
            let mut t = s.clone().into_bytes();
            t.push(c);
            if luhn_valid(&t) {
                return String::from_utf8(t).unwrap_or_default();
            }
        }
        unreachable!("one check digit always satisfies Luhn")
    }

    fn ids(text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(b"x.txt", text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    #[test]
    fn networks_and_lengths() {
        for (p, len, name) in [
            ("4", 16, "Visa"),
            ("4", 13, "Visa"),
            ("53", 16, "Mastercard"),
            ("2720", 16, "Mastercard"),
            ("37", 15, "American Express"),
            ("6011", 16, "Discover"),
            ("36", 14, "Diners Club"),
            ("3530", 16, "JCB"),
            ("621", 16, "UnionPay"),
            ("6759", 18, "Maestro"),
            ("509100", 16, "Elo"),
            ("606282", 16, "Hipercard"),
        ] {
            let pan = make_pan(p, len, 7);
            assert_eq!(valid_pan(pan.as_bytes()), Some(name), "{p} {len}");
        }
        assert_eq!(valid_pan(make_pan("37", 16, 1).as_bytes()), None); // Amex is 15
        assert_eq!(valid_pan(make_pan("2721", 16, 1).as_bytes()), None); // past the 2-series
        assert_eq!(valid_pan(make_pan("1", 16, 1).as_bytes()), None);
    }

    #[test]
    fn formats() {
        let pan = make_pan("4", 16, 42);
        let (a, b, c, d) = (&pan[..4], &pan[4..8], &pan[8..12], &pan[12..]);
        for t in [
            format!("card: {pan}"),
            format!("{a} {b} {c} {d}"),
            format!("{a}-{b}-{c}-{d}"),
            format!("qty 2 {a} {b} {c} {d} 12/29"),
        ] {
            assert_eq!(ids(&t), ["pii/payment-card"], "{t}");
        }
        for t in [
            format!("{a} {b}-{c} {d}"),   // mixed separators
            format!("{a}{b} {c}{d}"),     // not a network grouping
            format!("tx_{pan}"),          // inside an identifier
            format!("{pan}7"),            // longer run
            format!("deadbeef{pan}cafe"), // inside hex
            format!("{}{}", &pan[..15], (pan.as_bytes()[15] - b'0' + 1) % 10),
        ] {
            assert!(ids(&t).is_empty(), "{t}");
        }
    }

    #[test]
    fn test_pans_are_not_findings() {
        for t in [
            "4111111111111111",
            "4242 4242 4242 4242",
            "5555555555554444",
            "378282246310005",
            "4000 0000 0000 0002",
            "6011111111111117",
            "3566002020360505",
        ] {
            assert!(ids(t).is_empty(), "{t}");
        }
    }

    /// A bare run needs a card word as its key, column or nearby word; printed groupings do
    /// not. Numeric constants in code (arrays of field limbs, big-number tables) pass Luhn and
    /// an issuer prefix one time in a few dozen and are no findings.
    #[test]
    fn bare_runs_need_card_context() {
        let pan = make_pan("4", 16, 42);
        for t in [
            format!("const VISA_LEAK: &str = \"{pan}\"; // pasted from prod"),
            format!("static final String DISCOVER = \"{pan}\";"),
            format!("{{\"card_number\": \"{pan}\"}}"),
            format!("charged credit card {pan} twice"),
        ] {
            assert_eq!(ids(&t), ["pii/payment-card"], "{t}");
        }
        // Shapes of numeric tables in code (a field-limb array of curve25519-dalek gave dozens
        // of such findings in the benchmark history).
        for t in [
            format!("        {pan},"),
            format!("pub const L: [u64; 3] = [755974180946558, {pan}, 900171276175154];"),
            format!("let x = {pan};"),
            format!("static final long ORDER_ID = {pan}L;"),
        ] {
            assert!(ids(&t).is_empty(), "{t}");
        }
        // Not for want of a valid number.
        assert!(valid_pan(pan.as_bytes()).is_some());
    }
}

#[cfg(test)]
mod grouping_tests {
    /// `find` skips windows whose first group is not 4 or 6 digits long: true of every grouping.
    #[test]
    fn every_grouping_starts_with_four_or_six_digits() {
        assert!(super::GROUPINGS.iter().all(|g| matches!(g.first(), Some(4 | 6))));
    }
}
