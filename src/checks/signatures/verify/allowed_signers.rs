//! Parser for OpenSSH's `allowed_signers` format (ssh-keygen(1), "ALLOWED SIGNERS"), the file git
//! names in `gpg.ssh.allowedSignersFile`.
//!
//! One entry per line: `principals [options] keytype base64 [comment]`. Principals are a
//! comma-separated pattern list (`*`, `?`, leading `!` negates), optionally wrapped in double
//! quotes. Options are comma-separated and case-insensitive: `cert-authority`,
//! `namespaces="git,file"`, `valid-after=TIME`, `valid-before=TIME` with TIME
//! `YYYYMMDD[HHMM[SS]][Z]`. `#` starts a comment line; blank lines are skipped.
//!
//! Deviation from OpenSSH, on purpose: times without `Z` are also read as UTC. OpenSSH reads
//! them in the local time zone of whoever runs `ssh-keygen`, which on a server is an accident of
//! its configuration; a hook must give the same answer everywhere. Write `Z` to be explicit.
//!
//! The parser never panics and reports every bad line (not only the first) with its number.

use std::fmt;

/// Longest piece of user text echoed back in an error message.
const ECHO_MAX: usize = 40;

/// One parsed `allowed_signers` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line number in the file the entry came from.
    pub line: usize,
    /// Principal patterns as written (after removing surrounding quotes); may start with `!`.
    pub principals: Vec<String>,
    /// `cert-authority`: the key is a CA that signs certificates, not a signing key itself.
    pub cert_authority: bool,
    /// `namespaces=`: the signature namespaces this key may sign for; `None` means any.
    pub namespaces: Option<Vec<String>>,
    /// `valid-after=` as unix seconds (UTC).
    pub valid_after: Option<i64>,
    /// `valid-before=` as unix seconds (UTC).
    pub valid_before: Option<i64>,
    /// The public key (with its comment, if any).
    pub key: ssh_key::PublicKey,
}

/// What is wrong with one line of an `allowed_signers` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// One sentence saying what is wrong.
    pub message: String,
}

/// Parses a whole file. Returns every entry, or every error found (fail closed: one bad line
/// rejects the file, so a typo cannot silently drop a restriction).
pub fn parse(text: &str) -> Result<Vec<AllowedSigner>, Vec<ParseError>> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        match parse_line(line, raw) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => {}
            Err(message) => errors.push(ParseError { line, message }),
        }
    }
    if errors.is_empty() { Ok(entries) } else { Err(errors) }
}

/// Parses one line; `Ok(None)` for blank and comment lines.
pub fn parse_line(line: usize, raw: &str) -> Result<Option<AllowedSigner>, String> {
    let s = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
    if s.is_empty() || s.starts_with('#') {
        return Ok(None);
    }
    let (principal_field, rest) = take_field(s)?;
    let principals = parse_principals(principal_field)?;
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err("missing public key after the principals".to_owned());
    }
    let (next, after) = take_field(rest)?;
    let (options, key_text) =
        if looks_like_options(next) { (Some(next), after.trim_start_matches([' ', '\t'])) } else { (None, rest) };
    if key_text.is_empty() {
        return Err("missing public key after the options".to_owned());
    }
    // Options are checked before the key so errors come out in reading order.
    let mut entry = Options::default();
    if let Some(options) = options {
        apply_options(&mut entry, options)?;
    }
    let key = parse_key(key_text)?;
    let entry = AllowedSigner {
        line,
        principals,
        cert_authority: entry.cert_authority,
        namespaces: entry.namespaces,
        valid_after: entry.valid_after,
        valid_before: entry.valid_before,
        key,
    };
    if let (Some(after), Some(before)) = (entry.valid_after, entry.valid_before)
        && after >= before
    {
        return Err("valid-after is not earlier than valid-before, so the key is never valid".to_owned());
    }
    Ok(Some(entry))
}

/// Splits off the first whitespace-delimited field; whitespace inside double quotes does not end
/// it. Returns the raw field (quotes kept) and the rest of the line.
fn take_field(s: &str) -> Result<(&str, &str), String> {
    let mut in_quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ' ' | '\t' if !in_quote => return Ok((&s[..i], &s[i..])),
            _ => {}
        }
    }
    if in_quote {
        return Err(format!("unterminated double quote in `{}`", echo(s)));
    }
    Ok((s, ""))
}

/// An options field is recognised by the option syntax; anything else is taken as the key type,
/// which gives a clearer message for a misspelled key type than "unknown option".
fn looks_like_options(field: &str) -> bool {
    field.contains('=') || field.contains(',') || field.eq_ignore_ascii_case("cert-authority")
}

fn parse_principals(field: &str) -> Result<Vec<String>, String> {
    let inner = match field.strip_prefix('"') {
        Some(quoted) => quoted
            .strip_suffix('"')
            .filter(|inner| !inner.contains('"'))
            .ok_or_else(|| format!("misplaced double quote in principals `{}`", echo(field)))?,
        None if field.contains('"') => {
            return Err(format!("misplaced double quote in principals `{}`", echo(field)));
        }
        None => field,
    };
    split_list(inner, "principal")
}

/// Splits a comma-separated pattern list; empty items are errors (they usually mean a typo).
fn split_list(list: &str, what: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = list.split(',').map(str::to_owned).collect();
    if items.iter().any(|i| i.is_empty() || i == "!") {
        return Err(format!("empty {what} in list `{}`", echo(list)));
    }
    if items.iter().any(|i| i.contains([' ', '\t'])) {
        return Err(format!("{what} contains whitespace in `{}`", echo(list)));
    }
    Ok(items)
}

fn parse_key(text: &str) -> Result<ssh_key::PublicKey, String> {
    let key_type = text.split([' ', '\t']).next().unwrap_or_default();
    if key_type.contains("-cert-v01@openssh.com") {
        return Err(format!(
            "`{}` is a certificate; list the CA key with cert-authority or the plain public key",
            echo(key_type)
        ));
    }
    ssh_key::PublicKey::from_openssh(text).map_err(|e| {
        format!("invalid public key of type `{}`: {e} (expected `keytype base64 [comment]`)", echo(key_type))
    })
}

/// The option part of an entry, collected before the key is parsed.
#[derive(Default)]
struct Options {
    cert_authority: bool,
    namespaces: Option<Vec<String>>,
    valid_after: Option<i64>,
    valid_before: Option<i64>,
}

/// Splits the options field at commas outside double quotes and applies each option.
fn apply_options(entry: &mut Options, field: &str) -> Result<(), String> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    for (i, c) in field.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ',' if !in_quote => {
                parts.push(&field[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&field[start..]);

    let mut seen: Vec<String> = Vec::new();
    for part in parts {
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(unquote(v)?)),
            None => (part, None),
        };
        let name = name.to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!("empty option in `{}`", echo(field)));
        }
        if seen.contains(&name) {
            return Err(format!("option `{}` is given twice", echo(&name)));
        }
        match (name.as_str(), value) {
            ("cert-authority", None) => entry.cert_authority = true,
            ("namespaces", Some(v)) => entry.namespaces = Some(split_list(v, "namespace")?),
            ("valid-after", Some(v)) => entry.valid_after = Some(parse_time(v)?),
            ("valid-before", Some(v)) => entry.valid_before = Some(parse_time(v)?),
            ("cert-authority", Some(_)) => {
                return Err("option `cert-authority` takes no value".to_owned());
            }
            ("namespaces" | "valid-after" | "valid-before", None) => {
                return Err(format!("option `{name}` needs a value (`{name}=...`)"));
            }
            _ => {
                return Err(format!(
                    "unknown option `{}` (known: cert-authority, namespaces, valid-after, valid-before)",
                    echo(&name)
                ));
            }
        }
        seen.push(name);
    }
    Ok(())
}

fn unquote(v: &str) -> Result<&str, String> {
    match v.strip_prefix('"') {
        Some(q) => q
            .strip_suffix('"')
            .filter(|inner| !inner.contains('"'))
            .ok_or_else(|| format!("misplaced double quote in option value `{}`", echo(v))),
        None if v.contains('"') => Err(format!("misplaced double quote in option value `{}`", echo(v))),
        None => Ok(v),
    }
}

/// Parses `YYYYMMDD[Z]`, `YYYYMMDDHHMM[Z]` or `YYYYMMDDHHMMSS[Z]` as UTC unix seconds.
pub fn parse_time(v: &str) -> Result<i64, String> {
    let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    let bad = || {
        format!(
            "invalid time `{}` (expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally followed by Z)",
            echo(v)
        )
    };
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // All ASCII digits, so byte slicing is on char boundaries and parsing cannot overflow.
    let num = |r: std::ops::Range<usize>| -> i64 { digits.get(r).and_then(|s| s.parse().ok()).unwrap_or_default() };
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let (hour, minute, second) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10), num(10..12), 0),
        _ => (num(8..10), num(10..12), num(12..14)),
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as UTC `[year, month, day, hour, minute, second]` (inverse of
/// `days_from_civil`, Howard Hinnant's algorithm).
pub fn civil(t: i64) -> [i64; 6] {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, day, secs / 3_600, secs % 3_600 / 60, secs % 60]
}

/// Formats unix seconds as `YYYYMMDDHHMMSSZ`, the form [`parse_time`] reads back.
pub fn format_time(t: i64) -> String {
    let [year, month, day, h, m, s] = civil(t);
    format!("{year:04}{month:02}{day:02}{h:02}{m:02}{s:02}Z")
}

/// OpenSSH `match_pattern_list`: true when some positive pattern matches and no `!pattern` does.
/// `fold_case` compares ASCII case-insensitively (used for e-mail addresses).
pub fn match_pattern_list(s: &str, patterns: &[String], fold_case: bool) -> bool {
    let mut matched = false;
    for pattern in patterns {
        let (negated, pat) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern.as_str()),
        };
        if wildcard_match(s, pat, fold_case) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `*` matches any run of characters, `?` exactly one; everything else literally.
fn wildcard_match(s: &str, pattern: &str, fold_case: bool) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let eq = |a: char, b: char| {
        if fold_case { a.eq_ignore_ascii_case(&b) } else { a == b }
    };
    let (mut si, mut pi) = (0, 0);
    // Position of the last `*` in the pattern and the input position it currently covers up to:
    // classic linear backtracking, so hostile patterns cannot blow up.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == '?' || s.get(si).is_some_and(|&sc| eq(sc, c)) => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Cuts user text for error messages so a pasted blob does not flood the output.
fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO_MAX {
        s.to_owned()
    } else {
        let mut cut: String = s.chars().take(ECHO_MAX).collect();
        cut.push('…');
        cut
    }
}

impl fmt::Display for AllowedSigner {
    /// Renders the entry as one `allowed_signers` line that [`parse_line`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.principals.join(","))?;
        let mut options = Vec::new();
        if self.cert_authority {
            options.push("cert-authority".to_owned());
        }
        if let Some(ns) = &self.namespaces {
            options.push(format!("namespaces=\"{}\"", ns.join(",")));
        }
        if let Some(t) = self.valid_after {
            options.push(format!("valid-after={}", format_time(t)));
        }
        if let Some(t) = self.valid_before {
            options.push(format!("valid-before={}", format_time(t)));
        }
        if !options.is_empty() {
            write!(f, " {}", options.join(","))?;
        }
        let key = self.key.to_openssh().map_err(|_| fmt::Error)?;
        write!(f, " {key}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    fn one(line: &str) -> AllowedSigner {
        parse_line(1, line).unwrap().unwrap()
    }

    #[test]
    fn plain_entry() {
        let e = one(&format!("alice@example.org {ED} alice laptop"));
        assert_eq!(e.principals, vec!["alice@example.org"]);
        assert_eq!(e.key.comment(), "alice laptop");
        assert!(!e.cert_authority && e.namespaces.is_none() && e.valid_after.is_none());
    }

    #[test]
    fn quoted_principals_and_options() {
        let e = one(&format!(
            "\"a@x.org,*@example.org\" NameSpaces=\"git,file\",valid-after=20240101,valid-before=20250102030405Z {ED}"
        ));
        assert_eq!(e.principals, vec!["a@x.org", "*@example.org"]);
        assert_eq!(e.namespaces, Some(vec!["git".to_owned(), "file".to_owned()]));
        assert_eq!(e.valid_after, Some(1_704_067_200));
        assert_eq!(e.valid_before, Some(1_735_787_045));
        assert_eq!(format_time(1_704_067_200), "20240101000000Z");
    }

    #[test]
    fn comments_and_blank_lines() {
        let text = format!("# comment\n\n   \t\n  # indented\nbob@x.org {ED}\r\n");
        let entries = parse(&text).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].line, 5);
    }

    #[test]
    fn errors_carry_line_and_reason() {
        let text = format!(
            "ok@x.org {ED}\nbad@x.org namespace=\"git\" {ED}\nnokey@x.org\nx@y valid-after=2024 {ED}\nq \"git {ED}\n"
        );
        let errs = parse(&text).unwrap_err();
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(errs[0].to_string().contains("unknown option `namespace`"), "{}", errs[0]);
        assert!(errs[1].message.contains("missing public key"));
        assert!(errs[2].message.contains("invalid time"));
        assert!(errs[3].message.contains("double quote"));
    }

    #[test]
    fn rejects_bad_keys_and_windows() {
        assert!(parse_line(1, "a@x ssh-ed25519 AAAAnotbase64!!").unwrap_err().contains("invalid public key"));
        assert!(
            parse_line(1, &format!("a@x valid-after=20250101,valid-before=20240101 {ED}"))
                .unwrap_err()
                .contains("never valid")
        );
        assert!(
            parse_line(1, &format!("a@x namespaces=\"git\",namespaces=\"file\" {ED}")).unwrap_err().contains("twice")
        );
        assert!(parse_line(1, &format!("a@x,,b@x {ED}")).unwrap_err().contains("empty principal"));
    }

    #[test]
    fn patterns() {
        let p = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(match_pattern_list("alice@example.org", &p(&["*@example.org"]), false));
        assert!(!match_pattern_list("alice@example.com", &p(&["*@example.org"]), false));
        assert!(match_pattern_list("Alice@Example.org", &p(&["alice@example.org"]), true));
        assert!(!match_pattern_list("Alice@Example.org", &p(&["alice@example.org"]), false));
        assert!(!match_pattern_list("eve@example.org", &p(&["*@example.org", "!eve@*"]), false));
        assert!(match_pattern_list("bob@example.org", &p(&["*@example.org", "!eve@*"]), false));
        assert!(match_pattern_list("ab", &p(&["a?"]), false));
        assert!(!match_pattern_list("abc", &p(&["a?"]), false));
        assert!(match_pattern_list("abc", &p(&["a*c*"]), false));
        assert!(!match_pattern_list("x", &p(&["!x"]), false));
        let long = "a".repeat(200);
        assert!(!match_pattern_list(&long, &p(&["*a*a*a*a*a*a*a*b"]), false));
    }

    #[test]
    fn time_edges() {
        assert_eq!(parse_time("19700101Z").unwrap(), 0);
        assert_eq!(parse_time("20240229").unwrap(), 1_709_164_800);
        assert!(parse_time("20230229").is_err());
        assert!(parse_time("20241301").is_err());
        assert!(parse_time("202401011260").is_err());
        assert!(parse_time("2024010112").is_err());
        assert!(parse_time("２０２４０１０１").is_err());
        for t in [0, 951_782_400, 1_709_164_799, 4_102_444_800] {
            assert_eq!(parse_time(&format_time(t)).unwrap(), t);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(text in "\\PC*") {
            let _ = parse(&text);
        }

        #[test]
        fn arbitrary_lines_of_syntax_chars_never_panic(
            text in "[a-z\" ,=!*?#\\t\\r\\n@.Z0-9-]{0,120}"
        ) {
            let _ = parse(&text);
        }

        #[test]
        fn rendered_entry_round_trips(
            principals in prop::collection::vec("!?[a-z0-9@._*?-]{1,12}", 1..4),
            cert_authority in any::<bool>(),
            namespaces in prop::option::of(prop::collection::vec("[a-z0-9*?-]{1,8}", 1..3)),
            after in prop::option::of(0i64..2_000_000_000),
            span in 1i64..1_000_000_000,
            before_set in any::<bool>(),
            comment in "[a-zA-Z0-9@. -]{0,20}",
        ) {
            let mut key = ssh_key::PublicKey::from_openssh(ED).unwrap();
            key.set_comment(comment.trim());
            let entry = AllowedSigner {
                line: 1,
                principals,
                cert_authority,
                namespaces,
                valid_after: after,
                valid_before: before_set.then(|| after.unwrap_or(0) + span),
                key,
            };
            let rendered = entry.to_string();
            let parsed = parse_line(1, &rendered);
            prop_assert_eq!(parsed, Ok(Some(entry)), "line: {}", rendered);
        }
    }
}
