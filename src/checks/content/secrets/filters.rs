//! Filters that drop candidate secrets which are not secrets: low entropy, placeholders
//! (`<your token>`, `${DB_PASSWORD}`, `XXXX…`), documentation examples (`AKIAIOSFODNN7EXAMPLE`),
//! and look-alikes (lockfile integrity hashes, `go.sum` hashes, base64 images, UUIDs, git SHAs,
//! environment lookups, i18n prose). All work on bytes and never allocate much.

use super::rule::contains;
use super::validators::Validator;

/// Shannon entropy of `s` in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Substrings (lowercase) that mark a value as a placeholder or a documentation example, for
/// every rule. Random tokens of the right shape contain none of them in practice.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"placeholder",
    b"your_",
    b"your-",
    b"yourtoken",
    b"yourkey",
    b"<your",
    b"changeme",
    b"change_me",
    b"redacted",
    b"dummy",
    b"_here",
    b"-here",
    b"insert",
    b"replace",
    b"${",
    b"{{",
    b"%(",
];

/// Is this candidate a placeholder, for any rule? A secret of several lines (a key block; lines
/// end with a newline or, inside a string in code, with a `\n` escape) is judged by its lines
/// other than `Key: value` headers: `Comment: <alice@example.org>` in a key's armor says nothing
/// about the key.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    let lines = split_lines(secret);
    if lines.len() > 1 {
        return lines.into_iter().filter(|l| !is_header_line(l)).any(placeholder_text);
    }
    placeholder_text(secret)
}

/// `secret` split at newlines and at `\n` / `\r` escapes.
fn split_lines(secret: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < secret.len() {
        let sep = match secret[i] {
            b'\n' | b'\r' => 1,
            b'\\' if matches!(secret.get(i + 1), Some(b'n' | b'r')) => 2,
            _ => 0,
        };
        if sep > 0 {
            out.push(&secret[start..i]);
            i += sep;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&secret[start..]);
    out
}

/// `Key: value` with a key of letters, digits and dashes: an armor or PEM header line.
fn is_header_line(line: &[u8]) -> bool {
    let line = line.trim_ascii_start();
    let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
    colon > 0
        && line[0].is_ascii_alphabetic()
        && line[..colon].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && line.get(colon + 1) == Some(&b' ')
}

fn placeholder_text(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w)) {
        return true;
    }
    // `xxxxx`, `*****`, `.....`, `#####` runs: masked or elided values.
    let mut run = 0usize;
    let mut prev = 0u8;
    for &b in &lower {
        if b == prev && matches!(b, b'x' | b'*' | b'.' | b'#' | b'?') {
            run += 1;
            if run >= 5 {
                return true;
            }
        } else {
            run = 1;
            prev = b;
        }
    }
    false
}

fn is_b64ish(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

/// Is the secret part of a hash or inline data blob: `sha512-…` (npm/yarn integrity),
/// `h1:…` (go.sum), `data:image/png;base64,…`? Checked for every rule: random base64 can hold
/// a short token shape by chance.
pub(crate) fn inside_hash_or_blob(text: &[u8], start: usize) -> bool {
    let mut s = start;
    while s > 0 && is_b64ish(text[s - 1]) {
        s -= 1;
    }
    let run = &text[s..];
    const HASH_PREFIXES: &[&[u8]] = &[b"sha512-", b"sha384-", b"sha256-", b"sha1-", b"md5-"];
    if HASH_PREFIXES.iter().any(|p| run.starts_with(p)) {
        return true;
    }
    let before = &text[..s];
    before.ends_with(b"h1:") || before.ends_with(b"base64,") || before.ends_with(b"sha256:")
}

/// Values that are obviously not literal secrets in generic (assignment) rules.
const GENERIC_STOPWORDS: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"secret",
    b"token",
    b"apikey",
    b"api_key",
    b"sample",
    b"test",
    b"null",
    b"none",
    b"undefined",
    b"true",
    b"false",
    b"string",
    b"value",
    b"required",
    b"default",
    b"foobar",
    b"fixme",
    b"todo",
    b"hunter2",
    b"letmein",
    b"qwerty",
    b"insecure",
    b"123456",
    b"abcdef",
];

/// Environment and template lookups: the value is read from elsewhere.
const INDIRECT_PREFIXES: &[&[u8]] = &[
    b"os.environ",
    b"os.getenv",
    b"process.env",
    b"getenv",
    b"system.getenv",
    b"env[",
    b"env.",
    b"env(",
    b"$",
    b"%",
    b"@",
    b"<",
    b"secrets.",
    b"vault:",
    b"ref+",
    b"!vault",
    b"settings.",
    b"config.",
    b"self.",
    b"this.",
];

/// Source files where an unquoted assignment value is an expression, not a literal.
const CODE_EXTENSIONS: &[&[u8]] = &[
    b".py", b".js", b".mjs", b".cjs", b".ts", b".tsx", b".jsx", b".go", b".java", b".kt", b".kts", b".rb", b".php",
    b".cs", b".rs", b".swift", b".c", b".h", b".cc", b".cpp", b".hpp", b".scala", b".groovy", b".dart", b".lua", b".m",
    b".ex", b".exs", b".clj", b".vue", b".svelte",
];

fn is_code_path(path: &[u8]) -> bool {
    let lower = path.to_ascii_lowercase();
    CODE_EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn char_classes(s: &[u8]) -> usize {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    let other = s.iter().any(|b| !b.is_ascii_alphanumeric());
    [lower, upper, digit, other].iter().filter(|&&x| x).count()
}

/// Extra filters for generic rules (`password = "…"`, `API_KEY=…`, URLs with passwords).
/// `secret` is the value, `text` the buffer, `start`/`end` its range, `key` the matched key name
/// if the rule captured one.
pub(crate) fn generic_rejects(
    path: &[u8],
    text: &[u8],
    start: usize,
    end: usize,
    key: Option<&[u8]>,
    line: &[u8],
) -> bool {
    let secret = &text[start..end];
    let lower = secret.to_ascii_lowercase();
    if GENERIC_STOPWORDS.iter().any(|w| contains(&lower, w)) {
        return true;
    }
    if INDIRECT_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    if let Some(k) = key {
        let k = k.to_ascii_lowercase();
        const KEY_STOP: &[&[u8]] = &[b"public", b"publishable", b"csrf", b"xsrf", b"page", b"hash", b"sha"];
        if KEY_STOP.iter().any(|w| contains(&k, w)) {
            return true;
        }
    }
    // A token shape whose checksum can be verified and fails is a deliberate fake, not a
    // secret the specific rule missed.
    const CHECKSUMMED: &[&[u8]] = &[b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"npm_"];
    if secret.len() == 40 && CHECKSUMMED.iter().any(|p| secret.starts_with(p)) && !Validator::GithubCrc32.check(secret)
    {
        return true;
    }
    // A look-alike: UUIDs, and hex digests on a line that talks about hashes/commits.
    if is_uuid(secret) {
        return true;
    }
    let line_lower = line.to_ascii_lowercase();
    if secret.iter().all(u8::is_ascii_hexdigit)
        && matches!(secret.len(), 32 | 40 | 64)
        && [&b"commit"[..], b"sha", b"rev", b"hash", b"digest", b"checksum"].iter().any(|w| contains(&line_lower, w))
    {
        return true;
    }
    // Words only (`changeit`, `MyAppName`) or one character class: not a credential-looking value.
    if char_classes(secret) < 2 {
        return true;
    }
    // A path, not a secret: `PWD=/home/me`, `key_file: ./certs/x`.
    if secret.starts_with(b"/") || secret.starts_with(b"./") || secret.starts_with(b"~/") {
        return true;
    }
    if key.is_none() {
        // URL credentials and bearer headers: no quoting heuristics apply.
        return false;
    }
    let before = start.checked_sub(1).map(|i| text[i]);
    let after = text.get(end).copied();
    let quoted = matches!(before, Some(b'"' | b'\'' | b'`'));
    // Prose in a quoted string: `"Password is too short"`.
    if quoted && matches!(after, Some(b' ')) {
        return true;
    }
    // A call or an index, not a literal: `password = get_pw()`, `token = cfg[...]`.
    if matches!(after, Some(b'(' | b'[' | b'{')) {
        return true;
    }
    // In source code an unquoted value is an expression (`password = args.password`).
    if !quoted && is_code_path(path) {
        return true;
    }
    // Member access chains `a.b.c` without digits.
    if !secret.iter().any(u8::is_ascii_digit)
        && secret.contains(&b'.')
        && secret.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
    {
        return true;
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entropy_values() {
        assert!(shannon_entropy(b"aaaaaaaa") < 0.01);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"Zq3vK8pXw2LmN4tRb7Yc1Hd9Fg6Js0") > 4.0);
    }

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "xoxb-your-token",
            "your_api_key_here",
            "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "${DB_PASSWORD}",
            "{{ .Values.token }}",
            "<your token>",
            "sk_live_**********",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!is_placeholder(b"ghp_Zq3vK8pXw2LmN4tRb7Yc1Hd9Fg6Js0abcdef"));
    }

    #[test]
    fn header_lines_of_a_key_block_are_not_judged() {
        let body = "lQNUVxBsdXswFWxtRTn+sFzuqEirQShUVnrklXHUeKsgkCjUu7BmPY21cluxAmE";
        for sep in ["\n", "\\n"] {
            let real = ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "Comment: <alice@example.org>", "", body, "-----END"]
                .join(sep);
            assert!(!is_placeholder(real.as_bytes()), "{real}");
            let fake = ["-----BEGIN RSA PRIVATE KEY-----", "your_key_here", "-----END"].join(sep);
            assert!(is_placeholder(fake.as_bytes()), "{fake}");
            let masked = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEAxxxxxxxxxxxxxxxx", "-----END"].join(sep);
            assert!(is_placeholder(masked.as_bytes()), "{masked}");
        }
        // One line: a header-like value is judged whole.
        assert!(is_placeholder(b"Token: example"));
    }

    #[test]
    fn hashes_and_blobs() {
        let t = b"\"integrity\": \"sha512-AbCdEf0123+/xyz==\"";
        let pos = t.iter().position(|&b| b == b'A').unwrap_or(0);
        assert!(inside_hash_or_blob(t, pos + 2));
        let g = b"golang.org/x/net v0.1.0 h1:Abc0123xyz=";
        let pos = g.len() - 8;
        assert!(inside_hash_or_blob(g, pos));
        let d = b"src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg\"";
        let pos = d.windows(5).position(|w| w == b"iVBOR").unwrap_or(0);
        assert!(inside_hash_or_blob(d, pos + 5));
        assert!(!inside_hash_or_blob(b"token = ghp_abc", 8));
    }

    #[test]
    fn generic_filters() {
        let rejects = |path: &str, line: &str, value: &str| {
            let start = line.find(value).unwrap_or(0);
            generic_rejects(
                path.as_bytes(),
                line.as_bytes(),
                start,
                start + value.len(),
                Some(b"password"),
                line.as_bytes(),
            )
        };
        assert!(rejects("a.py", "password = os.environ[\"PW\"]", "os.environ"));
        assert!(rejects("a.js", "password = process.env.DB_PASSWORD", "process.env.DB_PASSWORD"));
        assert!(rejects("a.yml", "msg: \"Password is too short\"", "Password"));
        assert!(rejects("a.py", "password = getpw2()", "getpw2"));
        assert!(rejects("a.py", "password = args.pw2", "args.pw2"));
        assert!(rejects("a.env", "PASSWORD=${DB_PASSWORD}", "${DB_PASSWORD}"));
        assert!(!rejects("a.env", "PASSWORD=Tr0ub4dor-3x", "Tr0ub4dor-3x"));
        assert!(!rejects("a.py", "password = \"Tr0ub4dor-3x\"", "Tr0ub4dor-3x"));
    }
}
