//! Check-digit algorithms used by the PII detectors (Luhn, ISO 7064 mod-97, NHS mod-11,
//! CPF/CNPJ mod-11, CRC16-CCITT for Pix payloads). All work on ASCII bytes and never panic:
//! a byte outside the expected alphabet makes the check fail.

/// Luhn check over ASCII digits (separators must be stripped by the caller).
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// ISO 13616 IBAN check: move the first four characters to the end, letters become 10..35,
/// the number mod 97 must be 1. Computed incrementally so any length is fine.
pub(crate) fn iban_mod97_valid(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem = 0u32;
    for &b in tail.iter().chain(head.iter()) {
        match b {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// NHS number mod-11: weights 10..2 on the first nine digits; check 11 → 0, 10 → invalid.
pub(crate) fn nhs_valid(d: &[u8; 10]) -> bool {
    if d.iter().any(|b| !b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = d[..9].iter().zip((2..=10u32).rev()).map(|(&b, w)| u32::from(b - b'0') * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == u32::from(d[9] - b'0')
}

/// The two CPF check digits for the first nine digits (`dv = (sum*10 mod 11) mod 10`).
pub(crate) fn cpf_check_digits(first9: &[u8]) -> Option<[u8; 2]> {
    if first9.len() != 9 || first9.iter().any(|b| !b.is_ascii_digit()) {
        return None;
    }
    let v: Vec<u32> = first9.iter().map(|&b| u32::from(b - b'0')).collect();
    let s1: u32 = v.iter().zip((2..=10u32).rev()).map(|(d, w)| d * w).sum();
    let dv1 = (s1 * 10 % 11) % 10;
    let s2: u32 = v.iter().chain(std::iter::once(&dv1)).zip((2..=11u32).rev()).map(|(d, w)| d * w).sum();
    let dv2 = (s2 * 10 % 11) % 10;
    Some([digit(dv1), digit(dv2)])
}

/// CPF: 11 digits, correct check digits, not a repdigit (those pass the arithmetic but are void).
pub(crate) fn cpf_valid(d: &[u8]) -> bool {
    d.len() == 11 && !is_repdigit(d) && cpf_check_digits(&d[..9]).is_some_and(|c| c == d[9..])
}

/// The two CNPJ check digits for the first 12 characters. Characters are `[0-9A-Z]` valued
/// `ord(c) - 48`, which covers the alphanumeric CNPJ issued from July 2026.
pub(crate) fn cnpj_check_digits(first12: &[u8]) -> Option<[u8; 2]> {
    if first12.len() != 12 {
        return None;
    }
    let mut v = Vec::with_capacity(13);
    for &b in first12 {
        if !(b.is_ascii_digit() || b.is_ascii_uppercase()) {
            return None;
        }
        v.push(u32::from(b) - 48);
    }
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let dv = |vals: &[u32], w: &[u32]| {
        let r = vals.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11;
        if r < 2 { 0 } else { 11 - r }
    };
    let dv1 = dv(&v, &W1);
    v.push(dv1);
    let dv2 = dv(&v, &W2);
    Some([digit(dv1), digit(dv2)])
}

/// CNPJ: 14 characters (12 alphanumeric + 2 numeric check digits), not all one character.
pub(crate) fn cnpj_valid(c: &[u8]) -> bool {
    c.len() == 14
        && !is_repdigit(c)
        && c[12..].iter().all(u8::is_ascii_digit)
        && cnpj_check_digits(&c[..12]).is_some_and(|d| d == c[12..])
}

/// CRC16-CCITT (poly 0x1021, init 0xFFFF, no reflection) as used by EMV/Pix BR Codes.
pub(crate) fn crc16_ccitt(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// All bytes equal (`0000000000`, `111.111.111-11` once stripped).
pub(crate) fn is_repdigit(d: &[u8]) -> bool {
    d.first().is_some_and(|f| d.iter().all(|b| b == f))
}

fn digit(v: u32) -> u8 {
    // v is always 0..=9 here: every caller reduces mod 10 or maps 10/11 away first.
    b'0' + u8::try_from(v % 10).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_vectors() {
        assert!(luhn_valid(b"4111111111111111"));
        assert!(luhn_valid(b"79927398713"));
        assert!(luhn_valid(b"378282246310005"));
        assert!(!luhn_valid(b"4111111111111112"));
        assert!(!luhn_valid(b""));
        assert!(!luhn_valid(b"41x1"));
    }

    #[test]
    fn iban_vectors() {
        assert!(iban_mod97_valid(b"GB82WEST12345698765432"));
        assert!(iban_mod97_valid(b"DE89370400440532013000"));
        assert!(iban_mod97_valid(b"BR1800360305000010009795493C1"));
        assert!(iban_mod97_valid(b"NL91ABNA0417164300"));
        assert!(!iban_mod97_valid(b"GB82WEST12345698765433"));
        assert!(!iban_mod97_valid(b"GB82"));
        assert!(!iban_mod97_valid(b"GB82west12345698765432"));
    }

    #[test]
    fn nhs_vectors() {
        assert!(nhs_valid(b"9434765919"));
        assert!(!nhs_valid(b"9434765918"));
        assert!(nhs_valid(b"4010232137"));
        // 123456789 gives check value 10, which is never issued.
        for last in b'0'..=b'9' {
            assert!(!nhs_valid(&[b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9', last]));
        }
    }

    #[test]
    fn cpf_vectors() {
        assert!(cpf_valid(b"52998224725"));
        assert!(cpf_valid(b"12345678909"));
        assert!(!cpf_valid(b"52998224724"));
        assert!(!cpf_valid(b"11111111111"));
        assert!(!cpf_valid(b"00000000000"));
        assert!(!cpf_valid(b"5299822472"));
    }

    #[test]
    fn cnpj_vectors() {
        assert!(cnpj_valid(b"11222333000181"));
        assert!(cnpj_valid(b"00000000000191"));
        assert!(cnpj_valid(b"12ABC34501DE35"));
        assert!(!cnpj_valid(b"11222333000180"));
        assert!(!cnpj_valid(b"00000000000000"));
        assert!(!cnpj_valid(b"12ABC34501DE3A"));
    }

    #[test]
    fn crc_vector() {
        // The standard CRC-16/CCITT-FALSE check value.
        assert_eq!(crc16_ccitt(b"123456789"), 0x29B1);
    }
}
