//! `pii/br-cpf` and `pii/br-cnpj`: Brazilian individual and company tax ids. Both have two
//! mod-11 check digits; repdigits pass the arithmetic but are void. The masks
//! `000.000.000-00` and `00.000.000/0000-00` count on their own; bare runs need a key or word.
//! CNPJ accepts the alphanumeric form issued from July 2026 (`[0-9A-Z]{12}` + 2 digits).

use super::Scoped;
use super::checksum::{cnpj_valid, cpf_valid};
use super::context::{TextCtx, standalone};
use super::{Hit, known};

pub(crate) const CPF_PATTERN: &str = r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}";
pub(crate) const CNPJ_PATTERN: &str = r"[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/?[0-9A-Z]{4}-?[0-9]{2}";

pub(crate) const CPF_KEYWORDS: &[&str] = &[
    "cpf",
    "cpfs",
    "cpf cnpj",
    "cpfcnpj",
    "cadastro de pessoas",
    "pessoa fisica",
    "contribuinte",
    "tax id",
    "taxid",
    "documento",
    "document number",
    "nr cpf",
    "num cpf",
    "chave",
    "chave pix",
    "pix key",
];
pub(crate) const CNPJ_KEYWORDS: &[&str] = &[
    "cnpj",
    "cnpjs",
    "cgc",
    "cpf cnpj",
    "cpfcnpj",
    "pessoa juridica",
    "tax id",
    "taxid",
    "documento",
    "document number",
    "chave",
    "chave pix",
    "pix key",
];

pub(crate) fn find_cpf(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let s = m.as_bytes();
        if !standalone(text, m.start(), m.end()) {
            continue;
        }
        let d: Vec<u8> = s.iter().copied().filter(u8::is_ascii_digit).collect();
        let masked = s.len() == 14 && s[3] == b'.' && s[7] == b'.' && s[11] == b'-';
        let other_punct = s.len() != 11 && !masked;
        if !cpf_valid(&d) || known::contains(known::EXAMPLE_CPFS, &d) {
            continue;
        }
        if masked || (other_punct || s.len() == 11) && ctx.has_context(m.range(), CPF_KEYWORDS) {
            out.push(Hit { range: m.range(), key: d, note: None });
        }
    }
    out
}

pub(crate) fn find_cnpj(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let s = m.as_bytes();
        if !standalone(text, m.start(), m.end()) {
            continue;
        }
        let c: Vec<u8> = s.iter().copied().filter(u8::is_ascii_alphanumeric).collect();
        let masked = s.len() == 18 && s[2] == b'.' && s[6] == b'.' && s[10] == b'/' && s[15] == b'-';
        if !cnpj_valid(&c) || known::contains(known::EXAMPLE_CNPJS, &c) {
            continue;
        }
        // An alphanumeric candidate must still look like an id, not an upper-case word.
        if c.iter().filter(|b| b.is_ascii_digit()).count() < 6 {
            continue;
        }
        if masked || ctx.has_context(m.range(), CNPJ_KEYWORDS) {
            out.push(Hit { range: m.range(), key: c, note: None });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::PiiScanner;
    use super::super::checksum::{cnpj_check_digits, cpf_check_digits, is_repdigit};

    fn lcg(x: &mut u64) -> u64 {
        *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *x >> 33
    }

    /// A made-up valid CPF (11 digits) from `seed`.
    pub(crate) fn make_cpf(seed: u64) -> String {
        let mut x = seed;
        loop {
            let nine: String = (0..9).map(|_| char::from(b'0' + u8::try_from(lcg(&mut x) % 10).unwrap_or(0))).collect();
            if is_repdigit(nine.as_bytes()) {
                continue;
            }
            let Some(dv) = cpf_check_digits(nine.as_bytes()) else {
                continue;
            };
            return format!("{nine}{}", String::from_utf8_lossy(&dv));
        }
    }

    /// A made-up valid CNPJ; `alnum` makes the first 12 characters alphanumeric.
    pub(crate) fn make_cnpj(seed: u64, alnum: bool) -> String {
        let mut x = seed;
        const ALPH: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        let twelve: String = (0..12)
            .map(|i| {
                let r = usize::try_from(lcg(&mut x)).unwrap_or(0);
                if alnum && i % 3 == 1 {
                    char::from(ALPH[10 + r % (ALPH.len() - 10)])
                } else {
                    char::from(ALPH[r % 10])
                }
            })
            .collect();
        let dv = cnpj_check_digits(twelve.as_bytes()).unwrap_or([b'0', b'0']);
        format!("{twelve}{}", String::from_utf8_lossy(&dv))
    }

    pub(crate) fn mask_cpf(c: &str) -> String {
        format!("{}.{}.{}-{}", &c[..3], &c[3..6], &c[6..9], &c[9..])
    }
    pub(crate) fn mask_cnpj(c: &str) -> String {
        format!("{}.{}.{}/{}-{}", &c[..2], &c[2..5], &c[5..8], &c[8..12], &c[12..])
    }

    fn ids(path: &str, text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(path.as_bytes(), text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    #[test]
    fn cpf() {
        let c = make_cpf(3);
        assert_eq!(ids("a.txt", &format!("cliente {}", mask_cpf(&c))), ["pii/br-cpf"]);
        assert_eq!(ids("a.json", &format!("{{\"cpf\":\"{c}\"}}")), ["pii/br-cpf"]);
        assert_eq!(ids("a.py", &format!("customer_cpf = '{c}'")), ["pii/br-cpf"]);
        assert!(ids("a.txt", &format!("order {c}")).is_empty());
        let mut bad = c.into_bytes();
        bad[10] = if bad[10] == b'0' { b'1' } else { b'0' };
        let bad = String::from_utf8_lossy(&bad).into_owned();
        assert!(ids("a.txt", &format!("cpf {}", mask_cpf(&bad))).is_empty());
        for t in ["cpf: 111.111.111-11", "cpf: 000.000.000-00", "cpf: 123.456.789-09"] {
            assert!(ids("a.txt", t).is_empty(), "{t}");
        }
    }

    #[test]
    fn cnpj() {
        let c = make_cnpj(5, false);
        assert_eq!(ids("a.txt", &format!("empresa {}", mask_cnpj(&c))), ["pii/br-cnpj"]);
        assert_eq!(ids("a.json", &format!("{{\"cnpj\":\"{c}\"}}")), ["pii/br-cnpj"]);
        assert!(ids("a.txt", &format!("ref {c}")).is_empty());
        let a = make_cnpj(11, true);
        assert!(a.bytes().any(|b| b.is_ascii_uppercase()));
        assert_eq!(ids("a.txt", &format!("CNPJ {}", mask_cnpj(&a))), ["pii/br-cnpj"]);
        for t in ["11.222.333/0001-81", "00.000.000/0000-00", "11.222.333/0001-80", "12.ABC.345/01DE-35"] {
            assert!(ids("a.txt", t).is_empty(), "{t}");
        }
    }
}
