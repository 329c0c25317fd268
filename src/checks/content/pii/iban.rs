//! `pii/iban`: country code, per-country length and BBAN shape, ISO 7064 mod-97. Accepts the
//! electronic form and the printed form in groups of four separated by single spaces.
//! Registry and bank-documentation example IBANs are skipped.

use super::Scoped;
use super::checksum::iban_mod97_valid;
use super::context::standalone;
use super::{Hit, TextCtx, known};

pub(crate) const PATTERN: &str = r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){10,34}";

/// Country, total length, BBAN shape (`n` digits, `a` upper-case letters, `c` either; each
/// preceded by its count). From the SWIFT IBAN registry.
const COUNTRIES: &[(&str, usize, &str)] = &[
    ("AD", 24, "8n12c"),
    ("AE", 23, "19n"),
    ("AL", 28, "8n16c"),
    ("AT", 20, "16n"),
    ("AZ", 28, "4a20c"),
    ("BA", 20, "16n"),
    ("BE", 16, "12n"),
    ("BG", 22, "4a6n8c"),
    ("BH", 22, "4a14c"),
    ("BI", 27, "23n"),
    ("BR", 29, "23n1a1c"),
    ("BY", 28, "4c4n16c"),
    ("CH", 21, "5n12c"),
    ("CR", 22, "18n"),
    ("CY", 28, "8n16c"),
    ("CZ", 24, "20n"),
    ("DE", 22, "18n"),
    ("DJ", 27, "23n"),
    ("DK", 18, "14n"),
    ("DO", 28, "4c20n"),
    ("EE", 20, "16n"),
    ("EG", 29, "25n"),
    ("ES", 24, "20n"),
    ("FI", 18, "14n"),
    ("FK", 18, "2a12n"),
    ("FO", 18, "14n"),
    ("FR", 27, "10n11c2n"),
    ("GB", 22, "4a14n"),
    ("GE", 22, "2a16n"),
    ("GI", 23, "4a15c"),
    ("GL", 18, "14n"),
    ("GR", 27, "7n16c"),
    ("GT", 28, "24c"),
    ("HR", 21, "17n"),
    ("HU", 28, "24n"),
    ("IE", 22, "4a14n"),
    ("IL", 23, "19n"),
    ("IQ", 23, "4a15n"),
    ("IS", 26, "22n"),
    ("IT", 27, "1a10n12c"),
    ("JO", 30, "4a4n18c"),
    ("KW", 30, "4a22c"),
    ("KZ", 20, "3n13c"),
    ("LB", 28, "4n20c"),
    ("LC", 32, "4a24c"),
    ("LI", 21, "5n12c"),
    ("LT", 20, "16n"),
    ("LU", 20, "3n13c"),
    ("LV", 21, "4a13c"),
    ("LY", 25, "21n"),
    ("MC", 27, "10n11c2n"),
    ("MD", 24, "20c"),
    ("ME", 22, "18n"),
    ("MK", 19, "3n10c2n"),
    ("MN", 20, "16n"),
    ("MR", 27, "23n"),
    ("MT", 31, "4a5n18c"),
    ("MU", 30, "4a19n3a"),
    ("NI", 28, "4a20n"),
    ("NL", 18, "4a10n"),
    ("NO", 15, "11n"),
    ("OM", 23, "3n16c"),
    ("PK", 24, "4a16c"),
    ("PL", 28, "24n"),
    ("PS", 29, "4a21c"),
    ("PT", 25, "21n"),
    ("QA", 29, "4a21c"),
    ("RO", 24, "4a16c"),
    ("RS", 22, "18n"),
    ("RU", 33, "14n15c"),
    ("SA", 24, "2n18c"),
    ("SC", 31, "4a20n3a"),
    ("SD", 18, "14n"),
    ("SE", 24, "20n"),
    ("SI", 19, "15n"),
    ("SK", 24, "20n"),
    ("SM", 27, "1a10n12c"),
    ("SO", 23, "19n"),
    ("ST", 25, "21n"),
    ("SV", 28, "4a20n"),
    ("TL", 23, "19n"),
    ("TN", 24, "20n"),
    ("TR", 26, "5n1n16c"),
    ("UA", 29, "6n19c"),
    ("VA", 22, "18n"),
    ("VG", 24, "4a16n"),
    ("XK", 20, "16n"),
    ("YE", 30, "4a4n18c"),
];

pub(crate) fn find(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let start = m.start();
        let Some(&(_, len, shape)) = COUNTRIES.iter().find(|c| c.0.as_bytes() == &text[start..start + 2]) else {
            continue;
        };
        // Take exactly `len` characters; spaces are allowed only every four characters.
        let mut compact = Vec::with_capacity(len);
        let mut i = start;
        let mut spaced: Option<bool> = None;
        while i < m.end() && compact.len() < len {
            let b = text[i];
            let at_group = !compact.is_empty() && compact.len() % 4 == 0;
            if b == b' ' {
                if !at_group || spaced == Some(false) || text[i - 1] == b' ' {
                    break;
                }
                spaced = Some(true);
                i += 1;
                continue;
            }
            if at_group && text[i - 1] != b' ' {
                if spaced == Some(true) {
                    break;
                }
                spaced = Some(false);
            }
            compact.push(b);
            i += 1;
        }
        if compact.len() != len || !standalone(text, start, i) {
            continue;
        }
        if !bban_shape_ok(&compact[4..], shape)
            || !iban_mod97_valid(&compact)
            || known::contains(known::EXAMPLE_IBANS, &compact)
            || placeholder(&compact[4..])
        {
            continue;
        }
        out.push(Hit { range: start..i, key: compact, note: None });
    }
    out
}

/// BBAN made only of zeros and a single other run (`DE00…0000`) are doc placeholders.
fn placeholder(bban: &[u8]) -> bool {
    bban.iter().filter(|&&b| b != b'0').count() <= 2
}

fn bban_shape_ok(bban: &[u8], shape: &str) -> bool {
    let mut pos = 0;
    let mut n = 0usize;
    for ch in shape.bytes() {
        if ch.is_ascii_digit() {
            n = n * 10 + usize::from(ch - b'0');
            continue;
        }
        let Some(part) = bban.get(pos..pos + n) else {
            return false;
        };
        let ok = match ch {
            b'n' => part.iter().all(u8::is_ascii_digit),
            b'a' => part.iter().all(u8::is_ascii_uppercase),
            _ => part.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        };
        if !ok {
            return false;
        }
        pos += n;
        n = 0;
    }
    pos == bban.len()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::PiiScanner;
    use super::*;

    /// Build a valid IBAN for `country` + `bban` by computing the two check digits.
    pub(crate) fn make_iban(country: &str, bban: &str) -> String {
        for cd in 2..=98u32 {
            let s = format!("{country}{cd:02}{bban}");
            if iban_mod97_valid(s.as_bytes()) {
                return s;
            }
        }
        unreachable!("exactly one check value in 02..=98 satisfies mod-97")
    }

    fn ids(text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(b"x.txt", text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    fn spaced(s: &str) -> String {
        s.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn lengths_sum_up() {
        for (cc, len, shape) in COUNTRIES {
            let mut total = 0;
            let mut n = 0;
            for ch in shape.bytes() {
                if ch.is_ascii_digit() {
                    n = n * 10 + usize::from(ch - b'0');
                } else {
                    total += n;
                    n = 0;
                }
            }
            assert_eq!(total + 4, *len, "{cc}");
        }
    }

    #[test]
    fn generated_ibans() {
        let gb = make_iban("GB", "NWBK60161398765431");
        let de = make_iban("DE", "500105175407324931");
        let br = make_iban("BR", "00360305000010009711223C1");
        assert_eq!(br.len(), 29);
        for v in [&gb, &de, &br] {
            assert_eq!(ids(&format!("iban: {v}")), ["pii/iban"], "{v}");
            assert_eq!(ids(&format!("Pay to {} please", spaced(v))), ["pii/iban"], "{v}");
        }
        let mut bad = gb.clone().into_bytes();
        bad[21] = if bad[21] == b'9' { b'8' } else { b'9' };
        assert!(ids(&String::from_utf8_lossy(&bad)).is_empty());
        assert!(ids(&format!("X{gb}")).is_empty());
        assert!(ids(&format!("{gb}9")).is_empty());
    }

    #[test]
    fn examples_are_not_findings() {
        for t in [
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "BR1800360305000010009795493C1",
            "NL91ABNA0417164300",
            "DE89 3704 0044 0532 0130 00",
        ] {
            assert!(ids(t).is_empty(), "{t}");
        }
    }
}
