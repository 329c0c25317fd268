//! Named validators that confirm a candidate secret by its structure: checksums and decodings
//! that a regex cannot express. They run only on regex hits, so they may be slowish.

/// A named validator a rule can ask for with `validate = "<name>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    /// GitHub / npm tokens: `<prefix>_` + 30 base62 chars + 6 base62 chars of CRC32 of the 30.
    GithubCrc32,
    /// JWT: the header decodes (base64url) to a JSON object with `"alg"`, the payload to an
    /// object; Supabase-style `"role":"anon"` keys are public by design and rejected.
    Jwt,
    /// The last `-`/`_`/`.`-separated part must not be hex only (tells base36 keys from hashes).
    NotAllHex,
    /// Bech32 checksum (age secret keys).
    Bech32,
}

impl Validator {
    pub const NAMES: &'static [&'static str] = &["github-crc32", "jwt", "not-all-hex", "bech32"];

    /// The name rule files use (`validate = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            Self::GithubCrc32 => "github-crc32",
            Self::Jwt => "jwt",
            Self::NotAllHex => "not-all-hex",
            Self::Bech32 => "bech32",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "github-crc32" => Self::GithubCrc32,
            "jwt" => Self::Jwt,
            "not-all-hex" => Self::NotAllHex,
            "bech32" => Self::Bech32,
            _ => return None,
        })
    }

    pub fn check(self, secret: &[u8]) -> bool {
        match self {
            Self::GithubCrc32 => github_crc32_ok(secret),
            Self::Jwt => jwt_ok(secret),
            Self::NotAllHex => {
                let last = secret.rsplit(|&b| b == b'-' || b == b'_' || b == b'.').next().unwrap_or(secret);
                !last.iter().all(u8::is_ascii_hexdigit)
            }
            Self::Bech32 => bech32_ok(secret),
        }
    }
}

/// CRC-32 (IEEE, reflected, as zlib / Go `crc32.ChecksumIEEE`).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_value(b: u8) -> Option<u64> {
    BASE62.iter().position(|&c| c == b).map(|p| p as u64)
}

/// Base62 of `n`, left-padded with '0' to 6 characters (GitHub's checksum encoding).
#[cfg(test)]
pub(crate) fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn github_crc32_ok(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &secret[us + 1..];
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, check) = body.split_at(30);
    let mut n: u64 = 0;
    for &c in check {
        let Some(v) = base62_value(c) else {
            return false;
        };
        n = n * 62 + v;
    }
    n == u64::from(crc32(random))
}

/// Decode unpadded or padded base64url (also accepts the standard alphabet).
pub(crate) fn base64url_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = s.strip_suffix(b"==").or_else(|| s.strip_suffix(b"=")).unwrap_or(s);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn squeeze_ws(v: &[u8]) -> Vec<u8> {
    v.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect()
}

fn jwt_ok(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Some(h), Some(p)) = (base64url_decode(h), base64url_decode(p)) else {
        return false;
    };
    let (h, p) = (squeeze_ws(&h), squeeze_ws(&p));
    let is_obj = |v: &[u8]| v.first() == Some(&b'{');
    if !is_obj(&h) || !is_obj(&p) || !super::rule::contains(&h, b"\"alg\"") {
        return false;
    }
    // Public-by-design keys (Supabase anon key) are not secrets.
    !super::rule::contains(&p, b"\"role\":\"anon\"")
}

fn bech32_polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn bech32_ok(secret: &[u8]) -> bool {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let lower = secret.to_ascii_lowercase();
    let Some(sep) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut vals = Vec::with_capacity(data.len());
    for &c in data {
        match CHARSET.iter().position(|&x| x == c) {
            Some(p) => vals.push(p as u8),
            None => return false,
        }
    }
    let expanded = hrp
        .iter()
        .map(|&c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|&c| c & 31))
        .chain(vals.iter().copied());
    bech32_polymod(expanded) == 1
}

/// Build a bech32 string (tests make synthetic age keys with it).
#[cfg(test)]
pub(crate) fn bech32_encode(hrp: &str, data5: &[u8]) -> String {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let h = hrp.as_bytes();
    let expanded: Vec<u8> = h
        .iter()
        .map(|&c| c >> 5)
        .chain(std::iter::once(0))
        .chain(h.iter().map(|&c| c & 31))
        .chain(data5.iter().copied())
        .chain([0u8; 6])
        .collect();
    let pm = bech32_polymod(expanded.into_iter()) ^ 1;
    let mut s = format!("{hrp}1");
    for &d in data5 {
        s.push(CHARSET[d as usize] as char);
    }
    for i in 0..6 {
        s.push(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char);
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_vector() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn github_checksum_roundtrip() {
        let random = "Zq3vK8pXw2LmN4tRb7Yc1Hd9Fg6Js0";
        let tok = format!("ghp_{random}{}", base62_6(crc32(random.as_bytes())));
        assert!(Validator::GithubCrc32.check(tok.as_bytes()));
        let mut bad = tok.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!Validator::GithubCrc32.check(&bad));
        assert!(!Validator::GithubCrc32.check(b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    }

    #[test]
    fn jwt_checks_header() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"1"} . sig
        let ok = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
        assert!(Validator::Jwt.check(ok));
        // header {"typ":"JWT"} has no alg
        assert!(!Validator::Jwt.check(b"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
        // payload {"role":"anon"}
        assert!(!Validator::Jwt.check(b"eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"));
    }

    #[test]
    fn bech32_roundtrip() {
        let data: Vec<u8> = (0..52u32).map(|i| ((i * 7 + 3) % 32) as u8).collect();
        let s = bech32_encode("age-secret-key-", &data).to_ascii_uppercase();
        assert!(Validator::Bech32.check(s.as_bytes()));
        let mut bad = s.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'Q' { b'P' } else { b'Q' };
        assert!(!Validator::Bech32.check(&bad));
    }

    #[test]
    fn not_all_hex() {
        assert!(Validator::NotAllHex.check(b"key-3ax6xnjp29jd6fds4gc373sgvjxteol0"));
        assert!(!Validator::NotAllHex.check(b"key-0123456789abcdef0123456789abcdef"));
    }
}
