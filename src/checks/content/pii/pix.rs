//! `pii/br-pix`: Pix "copia e cola" payloads (EMV-MPM TLV with the `BR.GOV.BCB.PIX` GUI and a
//! valid CRC16 in tag 63) and the Pix key inside them (CPF, CNPJ, e-mail, phone, or a random
//! EVP key). A UUID outside a payload is a Pix key only with `pix`/`chave` context.

use super::Hit;
use super::Scoped;
use super::checksum::{cnpj_valid, cpf_valid, crc16_ccitt};
use super::context::{TextCtx, standalone};

pub(crate) const PAYLOAD_PATTERN: &str = r"(?i)br\.gov\.bcb\.pix";
pub(crate) const EVP_PATTERN: &str = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
pub(crate) const KEYWORDS: &[&str] = &["pix", "chave", "chave pix", "pix key", "pixkey", "chavepix"];

/// Longest payload we try to parse; real BR Codes are well under 512 bytes.
const MAX_PAYLOAD: usize = 1024;

pub(crate) fn find_payloads(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    let mut out: Vec<Hit> = Vec::new();
    for m in re.find_iter(text) {
        if out.last().is_some_and(|h| h.range.end > m.start()) {
            continue;
        }
        let line = ctx.line_range(m.start());
        let from = m.start().saturating_sub(MAX_PAYLOAD).max(line.start);
        let starts: Vec<usize> = (from..m.start()).filter(|&i| text[i..].starts_with(b"000201")).collect();
        for &start in &starts {
            if let Some(p) = parse(text, start, line.end) {
                let what = p.key_kind.map_or("no key", |k| k.name());
                out.push(Hit {
                    range: start..p.end,
                    key: text[start..p.end].to_vec(),
                    note: Some(format!("Pix copia-e-cola payload ({what})")),
                });
                if let (Some(k), Some(r)) = (p.key_kind, p.key)
                    && k != KeyKind::Evp
                {
                    out.push(Hit {
                        range: r.clone(),
                        key: text[r].to_vec(),
                        note: Some(format!("Pix key ({}) inside a Pix payload", k.name())),
                    });
                }
                break;
            }
        }
    }
    out
}

pub(crate) fn find_evp(ctx: &TextCtx<'_>, re: &Scoped<'_>) -> Vec<Hit> {
    let text = ctx.text;
    re.find_iter(text)
        .filter(|m| standalone(text, m.start(), m.end()) && ctx.has_context(m.range(), KEYWORDS))
        .map(|m| Hit {
            range: m.range(),
            key: m.as_bytes().to_ascii_lowercase(),
            note: Some("Pix random key (EVP)".to_string()),
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum KeyKind {
    Cpf,
    Cnpj,
    Email,
    Phone,
    Evp,
}

impl KeyKind {
    fn name(self) -> &'static str {
        match self {
            KeyKind::Cpf => "CPF key",
            KeyKind::Cnpj => "CNPJ key",
            KeyKind::Email => "e-mail key",
            KeyKind::Phone => "phone key",
            KeyKind::Evp => "random EVP key",
        }
    }
}

struct Parsed {
    end: usize,
    key: Option<std::ops::Range<usize>>,
    key_kind: Option<KeyKind>,
}

fn two_digits(b: &[u8]) -> Option<usize> {
    match b {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some(usize::from(a - b'0') * 10 + usize::from(b - b'0')),
        _ => None,
    }
}

/// Walk the top-level TLVs from `start`; succeed at tag 63 when the CRC matches.
fn parse(text: &[u8], start: usize, limit: usize) -> Option<Parsed> {
    let mut i = start;
    let mut key = None;
    let mut gui_seen = false;
    while i + 4 <= limit && i - start < MAX_PAYLOAD {
        let id = two_digits(text.get(i..i + 2)?)?;
        let len = two_digits(text.get(i + 2..i + 4)?)?;
        let v = i + 4;
        let value = text.get(v..v + len)?;
        if v + len > limit || value.iter().any(|b| !(0x20..0x7f).contains(b)) {
            return None;
        }
        if id == 63 {
            if len != 4 || !gui_seen {
                return None;
            }
            let crc = crc16_ccitt(&text[start..v]);
            let want = std::str::from_utf8(value).ok().and_then(|s| u16::from_str_radix(s, 16).ok())?;
            return (crc == want).then(|| {
                let key_kind = key.clone().map(|r: std::ops::Range<usize>| classify(&text[r]));
                Parsed { end: v + len, key, key_kind }
            });
        }
        if (26..=51).contains(&id) {
            // Merchant account template: sub-TLVs, 00 = GUI, 01 = the Pix key.
            let mut j = v;
            let mut is_pix = false;
            while j + 4 <= v + len {
                let sid = two_digits(&text[j..j + 2])?;
                let slen = two_digits(&text[j + 2..j + 4])?;
                let sv = j + 4;
                if sv + slen > v + len {
                    return None;
                }
                if sid == 0 && text[sv..sv + slen].eq_ignore_ascii_case(b"BR.GOV.BCB.PIX") {
                    is_pix = true;
                    gui_seen = true;
                }
                if sid == 1 && is_pix {
                    key = Some(sv..sv + slen);
                }
                j = sv + slen;
            }
        }
        i = v + len;
    }
    None
}

fn classify(k: &[u8]) -> KeyKind {
    if k.len() == 11 && cpf_valid(k) {
        KeyKind::Cpf
    } else if k.len() == 14 && cnpj_valid(k) {
        KeyKind::Cnpj
    } else if k.first() == Some(&b'+') {
        KeyKind::Phone
    } else if k.contains(&b'@') {
        KeyKind::Email
    } else {
        KeyKind::Evp
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::PiiScanner;
    use super::*;

    fn tlv(id: &str, v: &str) -> String {
        format!("{id}{:02}{v}", v.len())
    }

    /// Build a BR Code with a correct CRC for `key`.
    pub(crate) fn make_payload(key: &str, name: &str, amount: &str) -> String {
        let mai = format!("{}{}", tlv("00", "BR.GOV.BCB.PIX"), tlv("01", key));
        let mut s = format!(
            "{}{}{}{}{}{}{}{}{}6304",
            tlv("00", "01"),
            tlv("26", &mai),
            tlv("52", "0000"),
            tlv("53", "986"),
            tlv("54", amount),
            tlv("58", "BR"),
            tlv("59", name),
            tlv("60", "SAO PAULO"),
            tlv("62", &tlv("05", "***")),
        );
        let crc = crc16_ccitt(s.as_bytes());
        s.push_str(&format!("{crc:04X}"));
        s
    }

    fn scan(text: &str) -> Vec<(&'static str, Option<String>)> {
        PiiScanner::builtin().scan(b"a.ts", text.as_bytes()).into_iter().map(|m| (m.detector_id, m.note)).collect()
    }

    #[test]
    fn payload_with_cpf_key() {
        let cpf = super::super::br::tests::make_cpf(77);
        let p = make_payload(&cpf, "FULANO DE TAL", "10.00");
        let got = scan(&format!("const brcode = \"{p}\";"));
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|(id, _)| *id == "pii/br-pix"));
        assert!(got[0].1.as_deref().is_some_and(|n| n.contains("CPF")));
    }

    #[test]
    fn payload_with_evp_and_email() {
        let p = make_payload("2b4a1f0c-6f1d-4c3e-9a7b-5d2e8f9c0a1b", "LOJA", "1.00");
        let got = scan(&p);
        assert_eq!(got.len(), 1, "{got:?}");
        let p = make_payload("fulano@corp.com.br", "LOJA", "1.00");
        let got = scan(&p);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|(id, _)| *id == "pii/br-pix"), "{got:?}");
    }

    #[test]
    fn bad_crc_and_plain_uuids() {
        let mut p = make_payload("+5511912345678", "LOJA", "1.00");
        let last = p.pop().unwrap_or('0');
        p.push(if last == '0' { '1' } else { '0' });
        assert!(scan(&p).is_empty());
        assert!(scan("id = 2b4a1f0c-6f1d-4c3e-9a7b-5d2e8f9c0a1b").is_empty());
        assert_eq!(scan("chave pix: 2b4a1f0c-6f1d-4c3e-9a7b-5d2e8f9c0a1b").len(), 1);
    }
}
