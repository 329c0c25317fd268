//! Found values never leave pushgate whole: personal data is planted in a push, then every output
//! channel (check as json and sarif, scan in every format, the hooks with trace logging) is
//! searched for each value, as written and without its separators.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::TestRemote;

const NHS: &str = "401 023 2137";
/// Not 529.982.247-25: that one is a published example CPF, which pushgate skips on purpose (like test
/// card numbers), so it would prove nothing here.
const CPF: &str = "390.533.447-05";
const CARD: &str = "4539 1488 0343 6467";

/// Synthetic credentials in valid shapes (from the rules' samples).
const GHP: &str = "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";
const AWS_SECRET: &str = "qzX3naCzcF/JcMHqDy7eZ+ZfzqhniCoqtbp6TuwF";

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn luhn_ok(number: &str) -> bool {
    let d: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| if i % 2 == 1 { if x * 2 > 9 { x * 2 - 9 } else { x * 2 } } else { x })
        .sum();
    sum.is_multiple_of(10)
}

fn nhs_ok(number: &str) -> bool {
    let d: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = d[..9].iter().enumerate().map(|(i, x)| x * (10 - i as u32)).sum();
    let check = 11 - sum % 11;
    d.len() == 10 && check != 10 && (check % 11) == d[9]
}

fn cpf_ok(number: &str) -> bool {
    let d: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    let digit = |n: usize| {
        let s: u32 = d[..n].iter().enumerate().map(|(i, x)| x * (n as u32 + 1 - i as u32)).sum();
        let r = s * 10 % 11;
        if r == 10 { 0 } else { r }
    };
    d.len() == 11 && digit(9) == d[9] && digit(10) == d[10]
}

#[test]
fn the_planted_values_are_valid() {
    assert!(luhn_ok(CARD), "card fails Luhn");
    assert!(!luhn_ok("4539 1488 0343 6468"));
    assert!(nhs_ok(NHS), "NHS number fails mod 11");
    assert!(cpf_ok(CPF), "CPF check digits");
}

/// Every planted value, as written and as bare digits.
fn forbidden() -> Vec<String> {
    let mut v = Vec::new();
    for s in [NHS, CPF, CARD] {
        v.push(s.to_string());
        v.push(digits(s));
    }
    // A secret must not appear whole, nor anything past the four characters a mask may show.
    for s in [GHP, AWS_SECRET] {
        v.push(s[4..].to_string());
        v.push(s[s.len() - 12..].to_string());
    }
    v
}

fn assert_no_leak(what: &str, stdout: &[u8], stderr: &[u8]) {
    for (stream, bytes) in [("stdout", stdout), ("stderr", stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for value in forbidden() {
            assert!(!text.contains(&value), "{what}: {stream} contains `{value}`:\n{text}");
        }
    }
}

const CSV: &str = "name,nhs_number,cpf,card_number\n";

fn planted() -> String {
    format!("{CSV}A Patient,{NHS},{CPF},{CARD}\nB Patient,{},{},{}\n", digits(NHS), digits(CPF), digits(CARD))
}

/// A clone with the planted file committed (also in a commit message) and not yet pushed.
fn setup() -> TestRemote {
    let t = TestRemote::new("");
    t.commit("README", "hello\n", "first");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    t.commit("data/patients.csv", &planted(), &format!("import\n\nnhs_number: {NHS}\ncard_number: {CARD}\n"));
    t.commit(
        "data/settings.py",
        &format!("GITHUB_TOKEN = \"{GHP}\"\naws_secret_access_key = {AWS_SECRET}\n"),
        &format!("config\n\ntoken {GHP}\n"),
    );
    t
}

#[test]
fn check_in_every_format_never_prints_a_value() {
    let t = setup();
    for format in ["human", "json", "sarif"] {
        let out = t.pushgate(&t.work, &["--format", format, "check"], b"", &[("PUSHGATE_LOG", "trace")]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let all = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        for rule in
            ["pii/uk-nhs-number", "pii/br-cpf", "pii/payment-card", "secret/github-pat", "secret/aws-secret-access-key"]
        {
            assert!(all.contains(rule), "{format}: {rule} not found, the test would prove nothing:\n{all}");
        }
        assert_no_leak(&format!("check --format {format}"), &out.stdout, &out.stderr);
    }
}

#[test]
fn scan_in_every_format_never_prints_a_value() {
    let t = setup();
    for format in ["human", "json", "sarif"] {
        let out = t.pushgate(&t.work, &["--format", format, "scan", "data"], b"", &[("PUSHGATE_LOG", "trace")]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let all = String::from_utf8_lossy(&out.stdout);
        assert!(all.contains("pii/payment-card") && all.contains("secret/github-pat"), "{format}:\n{all}");
        assert_no_leak(&format!("scan --format {format}"), &out.stdout, &out.stderr);
    }
}

#[test]
fn the_hooks_with_trace_logging_never_print_a_value() {
    let t = setup();
    let before = t.server_ref("refs/heads/development");
    let p = t.push_as(&[("PUSHGATE_LOG", "trace")], &["HEAD:development"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains("pii/payment-card"), "{}", p.stderr);
    assert_no_leak("pre-receive with PUSHGATE_LOG=trace", p.stdout.as_bytes(), p.stderr.as_bytes());
    assert_eq!(t.server_ref("refs/heads/development"), before);

    // The same push as JSON from the update hook.
    t.remove_hook("pre-receive");
    t.install_hook("update", &format!("--policy {} --format json update", t.policy.display()));
    let p = t.push_as(&[("PUSHGATE_LOG", "trace")], &["HEAD:development"]);
    assert!(!p.ok, "{}", p.stderr);
    assert_no_leak("update hook --format json with trace", p.stdout.as_bytes(), p.stderr.as_bytes());

    // And the developer's pre-push hook, run by hand the way git runs it.
    let head = t.rev("HEAD");
    let old = before.unwrap();
    let line = format!("refs/heads/development {head} refs/heads/development {old}\n");
    for format in ["human", "json", "sarif"] {
        let out = t.pushgate(
            &t.work,
            &["--format", format, "pre-push", "origin", "url"],
            line.as_bytes(),
            &[("PUSHGATE_LOG", "trace")],
        );
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        assert_no_leak(&format!("pre-push --format {format}"), &out.stdout, &out.stderr);
    }
}
