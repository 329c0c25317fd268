//! Secret and PII values never leave pushgate whole: at most their first four characters and a
//! fingerprint. The fingerprint (rule id + SHA-256 of the value) is stable across commits,
//! rebases and squashes, so it can name a finding in an ignore file without naming the value.

use sha2::{Digest, Sha256};

/// Hex fingerprint of a value found by `rule`: the first 16 hex digits of
/// SHA-256(`rule` NUL `value`).
pub fn fingerprint(rule: &str, value: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0u8]);
    h.update(value);
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `ghp_… (fingerprint 3f9a1c0e5b7d2a41)`: the first four characters (printable ASCII only; a
/// value shorter than 12 bytes shows none) and the fingerprint.
pub fn mask(rule: &str, value: &[u8]) -> String {
    let shown: String = if value.len() >= 12 {
        value.iter().take(4).map(|&b| if b.is_ascii_graphic() { b as char } else { '?' }).collect()
    } else {
        String::new()
    };
    format!("{shown}\u{2026} (fingerprint {})", fingerprint(rule, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_never_shows_more_than_four_characters() {
        let v = b"ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let m = mask("secret/github-pat", v);
        assert!(m.starts_with("ghp_\u{2026} (fingerprint "), "{m}");
        assert!(!m.contains("abcd"));
        assert_eq!(fingerprint("secret/github-pat", v).len(), 16);
        assert_ne!(fingerprint("secret/a", v), fingerprint("secret/b", v));
        // Short values (a 9-digit SSN) show nothing but the fingerprint.
        assert!(mask("pii/us-ssn", b"123456789").starts_with('\u{2026}'));
    }
}
