//! Properties of the parts of pushgate that read hostile bytes: hook input, policy text, signature
//! armor, and the masking of found values. Each runs a modest number of cases (see `CASES`) so
//! the file takes seconds; `fuzz/` holds the coverage-guided versions of the same entry points.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::time::{Duration, SystemTime};

use gix::hash::Kind;
use proptest::prelude::*;
use pushgate::checks::signatures::verify::allowed_signers;
use pushgate::checks::signatures::verify::{SignedObject, Status, TrustStore, VerifyOptions};
use pushgate::policy::{Origin, Policy, Source};
use pushgate::push::hook_input::{RefUpdate, parse_pre_push, parse_pre_receive, parse_update};
use pushgate::report::redact::{fingerprint, mask};

const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// Hook input
// ---------------------------------------------------------------------------------------------

fn kind_strategy() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Sha1), Just(Kind::Sha256)]
}

/// A lowercase hex id of the right length for `kind`; `None` is the all-zero "absent" id.
fn hex_id(kind: Kind) -> impl Strategy<Value = Option<String>> {
    let len = kind.len_in_hex();
    prop_oneof![
        1 => Just(None),
        4 => proptest::collection::vec(0u8..16, len)
            .prop_filter("not all zero", |v| v.iter().any(|d| *d != 0))
            .prop_map(|v| Some(v.iter().map(|d| char::from_digit(u32::from(*d), 16).unwrap()).collect())),
    ]
}

fn zero(kind: Kind) -> String {
    "0".repeat(kind.len_in_hex())
}

/// A ref name git's check-ref-format accepts: `refs/<heads|tags|...>/<component>(/<component>)*`.
fn ref_name() -> impl Strategy<Value = String> {
    let component = "[A-Za-z0-9_][A-Za-z0-9_+=-]{0,11}";
    (
        prop_oneof![Just("heads"), Just("tags"), Just("notes"), Just("merge-requests")],
        proptest::collection::vec(component, 1..4),
    )
        .prop_map(|(ns, parts)| format!("refs/{ns}/{}", parts.join("/")))
}

/// One well-formed update: (old, new, ref); never both absent.
fn update_strategy(kind: Kind) -> impl Strategy<Value = (Option<String>, Option<String>, String)> {
    (hex_id(kind), hex_id(kind), ref_name()).prop_filter("old or new present", |(o, n, _)| o.is_some() || n.is_some())
}

fn id_text(kind: Kind, id: &Option<String>) -> String {
    id.clone().unwrap_or_else(|| zero(kind))
}

fn check_round_trip(kind: Kind, want: &[(Option<String>, Option<String>, String)], got: &[RefUpdate]) {
    assert_eq!(got.len(), want.len());
    for ((old, new, name), u) in want.iter().zip(got) {
        assert_eq!(&u.name, name);
        assert_eq!(u.old.map(|i| i.to_hex().to_string()), *old);
        assert_eq!(u.new.map(|i| i.to_hex().to_string()), *new);
        if let Some(id) = u.old.or(u.new) {
            assert_eq!(id.kind(), kind);
        }
    }
}

/// Ways to break a well-formed pre-receive line; each must make the parser refuse the input.
#[derive(Debug, Clone)]
enum Break {
    DropField,
    ExtraField,
    NonHexDigit(usize),
    ShortId,
    BadRefName(&'static str),
    NotUnderRefs,
    BothAbsent,
    InvalidUtf8,
}

fn break_strategy() -> impl Strategy<Value = Break> {
    prop_oneof![
        Just(Break::DropField),
        Just(Break::ExtraField),
        (0usize..40).prop_map(Break::NonHexDigit),
        Just(Break::ShortId),
        prop_oneof![
            Just(".."),
            Just("@{"),
            Just(" x"),
            Just("~"),
            Just("^"),
            Just(":"),
            Just("?"),
            Just("*"),
            Just("["),
            Just("\\"),
            Just(".lock"),
            Just("/"),
            Just("\u{7f}"),
        ]
        .prop_map(Break::BadRefName),
        Just(Break::NotUnderRefs),
        Just(Break::BothAbsent),
        Just(Break::InvalidUtf8),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn hook_input_parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512),
                                                         kind in kind_strategy()) {
        let _ = parse_pre_receive(&bytes, kind);
        let _ = parse_pre_push(&bytes, kind);
        let text = String::from_utf8_lossy(&bytes);
        let mut parts = text.split(' ');
        let (a, b, c) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let _ = parse_update(a, b, c, kind);
    }

    #[test]
    fn hook_input_parsers_never_panic_on_near_miss_lines(
        kind in kind_strategy(),
        fields in proptest::collection::vec(
            prop_oneof![
                "[0-9a-fA-F]{0,70}",
                "refs/[ -~]{0,30}",
                Just("(delete)".to_string()),
                "[\\PC]{0,20}",
            ],
            0..6,
        ),
        sep in prop_oneof![Just(" "), Just("\t"), Just("  "), Just("\r")],
        lines in 1usize..4,
    ) {
        let line = fields.join(sep);
        let input = vec![line; lines].join("\n");
        let _ = parse_pre_receive(input.as_bytes(), kind);
        let _ = parse_pre_push(input.as_bytes(), kind);
    }

    #[test]
    fn pre_receive_accepts_well_formed_lines_and_round_trips(
        (kind, updates) in kind_strategy().prop_flat_map(|k| (Just(k), proptest::collection::vec(update_strategy(k), 1..8))),
        crlf in any::<bool>(),
        trailing_blank in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut input: String = updates
            .iter()
            .map(|(o, n, r)| format!("{} {} {r}{eol}", id_text(kind, o), id_text(kind, n)))
            .collect();
        if trailing_blank {
            input.push('\n');
        }
        let got = parse_pre_receive(input.as_bytes(), kind).unwrap();
        check_round_trip(kind, &updates, &got);
        // The other hash kind never accepts these ids.
        let other = if kind == Kind::Sha1 { Kind::Sha256 } else { Kind::Sha1 };
        prop_assert!(parse_pre_receive(input.as_bytes(), other).is_err());
    }

    #[test]
    fn pre_push_accepts_well_formed_lines_and_round_trips(
        (kind, updates) in kind_strategy().prop_flat_map(|k| (Just(k), proptest::collection::vec(update_strategy(k), 1..8))),
        local in ref_name(),
    ) {
        // pre-push: <local ref> <local sha> <remote ref> <remote sha>; new = local sha, old = remote sha.
        let input: String = updates
            .iter()
            .map(|(o, n, r)| {
                let lref = if n.is_some() { local.as_str() } else { "(delete)" };
                format!("{lref} {} {r} {}\n", id_text(kind, n), id_text(kind, o))
            })
            .collect();
        let got = parse_pre_push(input.as_bytes(), kind).unwrap();
        check_round_trip(kind, &updates, &got);
        for ((_, n, _), u) in updates.iter().zip(&got) {
            prop_assert_eq!(u.local.is_some(), n.is_some());
        }
    }

    #[test]
    fn update_accepts_well_formed_arguments_and_round_trips(
        (kind, update) in kind_strategy().prop_flat_map(|k| (Just(k), update_strategy(k))),
    ) {
        let (o, n, r) = &update;
        let got = parse_update(r, &id_text(kind, o), &id_text(kind, n), kind).unwrap();
        check_round_trip(kind, std::slice::from_ref(&update), std::slice::from_ref(&got));
    }

    #[test]
    fn pre_receive_refuses_any_broken_line(
        (kind, updates) in kind_strategy().prop_flat_map(|k| (Just(k), proptest::collection::vec(update_strategy(k), 1..5))),
        which in any::<prop::sample::Index>(),
        how in break_strategy(),
    ) {
        let bad = which.index(updates.len());
        let mut input = Vec::new();
        for (i, (o, n, r)) in updates.iter().enumerate() {
            let (mut old, mut new, mut name) = (id_text(kind, o), id_text(kind, n), r.clone());
            let mut line: Option<Vec<u8>> = None;
            if i == bad {
                match &how {
                    Break::DropField => line = Some(format!("{old} {new}").into_bytes()),
                    Break::ExtraField => line = Some(format!("{old} {new} {name} extra").into_bytes()),
                    Break::NonHexDigit(at) => {
                        let target = if n.is_some() { &mut new } else { &mut old };
                        let at = at % target.len();
                        target.replace_range(at..=at, "g");
                    }
                    Break::ShortId => {
                        new.pop();
                    }
                    Break::BadRefName(s) => name.push_str(s),
                    Break::NotUnderRefs => name = name.trim_start_matches("refs/").to_string(),
                    Break::BothAbsent => {
                        old = zero(kind);
                        new = zero(kind);
                    }
                    Break::InvalidUtf8 => {
                        let mut l = format!("{old} {new} {name}").into_bytes();
                        l.push(0xff);
                        line = Some(l);
                    }
                }
            }
            input.extend(line.unwrap_or_else(|| format!("{old} {new} {name}").into_bytes()));
            input.push(b'\n');
        }
        let result = parse_pre_receive(&input, kind);
        prop_assert!(result.is_err(), "accepted a broken line ({how:?}): {:?}", String::from_utf8_lossy(&input));
        // The error names the broken line.
        let msg = result.unwrap_err().to_string();
        prop_assert!(msg.contains(&format!("line {}", bad + 1)), "{msg}");
    }
}

// ---------------------------------------------------------------------------------------------
// Policy text
// ---------------------------------------------------------------------------------------------

/// The documented example policy without its key-file lines, so that parsing never touches the
/// file system (base `None`, `Origin::Embedded`).
fn example_policy() -> String {
    include_str!("../policy.toml")
        .lines()
        .filter(|l| !l.trim_start().starts_with("openpgp-certs") && !l.trim_start().starts_with("ssh-allowed-signers"))
        .map(|l| if l.trim_start().starts_with("require") { "require = \"off\"" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_policy(text: &str) -> Result<Policy, pushgate::policy::PolicyError> {
    Policy::parse(Source { name: "p.toml".into(), text: text.into() }, Origin::Embedded, None)
}

/// Edits made to the example policy, at character positions.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceValue(usize, String),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let toml_bits = prop_oneof![
        "[\\PC]{1,8}",
        Just("[".to_string()),
        Just("]]".to_string()),
        Just("\"".to_string()),
        Just("'''".to_string()),
        Just("=".to_string()),
        Just("\n[branches.\"\"]\n".to_string()),
        Just("\n[branches.\"refs/heads/x\"]\n".to_string()),
        Just("\n[branches.\"[\"]\n".to_string()),
        Just("\n[tags.\"**\"]\nimmutable = true\n".to_string()),
        Just("\npromote-from = \"*\"\n".to_string()),
        Just("\n[limits]\nmax-blob-bytes = -1\n".to_string()),
        Just("\n[limits]\nmax-blob-bytes = 9223372036854775807\n".to_string()),
        Just("\n[pii]\nenabled = false\n".to_string()),
        Just("\n[pii]\ncontext-window = 0\n".to_string()),
        Just("\n[pii]\ncontext-window = 99999999999\n".to_string()),
        Just("\n[signatures]\nrequire = \"all\"\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("\u{0}".to_string()),
        Just("\r".to_string()),
        Just("é".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), toml_bits).prop_map(|(a, s)| Edit::Insert(a, s)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just("true".to_string()),
                Just("0".to_string()),
                Just("[]".to_string()),
                Just("{}".to_string()),
                Just("\"\"".to_string()),
                Just("1979-05-27T07:32:00Z".to_string()),
                Just("[1, \"a\"]".to_string()),
                Just("nan".to_string()),
            ]
        )
            .prop_map(|(a, s)| Edit::ReplaceValue(a, s)),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len().max(1);
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let nlines = lines.len();
    match edit {
        Edit::Delete(at, n) => {
            let at = at % len;
            let end = (at + n).min(chars.len());
            chars[..at.min(chars.len())].iter().chain(&chars[end..]).collect()
        }
        Edit::Insert(at, s) => {
            let at = at % (chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(s);
            out.extend(&chars[at..]);
            out
        }
        Edit::DuplicateLine(i) => {
            let l = lines[i % nlines].clone();
            lines.insert(i % nlines, l);
            lines.join("\n")
        }
        Edit::SwapLines(a, b) => {
            lines.swap(a % nlines, b % nlines);
            lines.join("\n")
        }
        Edit::ReplaceValue(i, v) => {
            let i = i % nlines;
            if let Some((k, _)) = lines[i].split_once('=') {
                lines[i] = format!("{k}= {v}");
            }
            lines.join("\n")
        }
    }
}

#[test]
fn the_example_policy_without_key_files_parses() {
    parse_policy(&example_policy()).unwrap();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn policy_parse_never_panics_on_arbitrary_text(text in "[\\PC\\n\\t]{0,400}") {
        let _ = parse_policy(&text);
    }

    #[test]
    fn policy_parse_never_panics_on_toml_shaped_text(
        text in proptest::collection::vec(
            prop_oneof![
                "\\[(branches|tags|signatures|pii|secrets|limits)(\\.[a-z*\"/\\[\\]?-]{0,10})?\\]\n",
                "[a-z-]{1,20} = (true|false|-?[0-9]{1,20}|\"[\\PC]{0,12}\"|\\[\"[\\PC]{0,8}\"\\])\n",
                "[\\PC]{0,16}\n",
            ],
            0..16,
        ).prop_map(|v| v.concat())
    ) {
        let _ = parse_policy(&text);
    }

    #[test]
    fn policy_parse_never_panics_on_mutated_example(edits in proptest::collection::vec(edit_strategy(), 1..6)) {
        let mut text = example_policy();
        for e in &edits {
            text = apply(&text, e);
        }
        match parse_policy(&text) {
            Ok(_) => {}
            // Every refusal says something, and every diagnostic renders.
            Err(e) => {
                prop_assert!(!e.diagnostics.is_empty());
                prop_assert!(!e.to_string().trim().is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Masking of found values
// ---------------------------------------------------------------------------------------------

/// The bytes of mask's fixed text (`… (fingerprint )`). Random byte values avoid them so that a
/// 5-byte window of the value can only appear in the output if mask really showed it.
const TEMPLATE: &str = "\u{2026} (fingerprint )";

fn value_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(
            any::<u8>().prop_filter("not a template byte", |b| !TEMPLATE.as_bytes().contains(b)),
            0..96
        ),
        "[A-Za-z0-9_]{5,80}".prop_map(String::into_bytes),
        "[0-9 .-]{5,40}".prop_map(String::into_bytes),
        // Not U+2000..U+2FFF: their UTF-8 starts with the ellipsis's first byte (0xE2).
        "[\\PC]{1,30}".prop_map(String::into_bytes).prop_filter("no 0xE2", |v| !v.contains(&0xE2)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mask_shows_at_most_four_characters_of_the_value(
        value in value_strategy(),
        rule in prop_oneof![Just("pii/payment-card"), Just("secret/github-pat"), Just("pii/uk-nhs-number")],
    ) {
        let m = mask(rule, &value);
        // The shape is fixed: up to four characters, an ellipsis, then the fingerprint (a hash).
        let fp = fingerprint(rule, &value);
        prop_assert_eq!(fp.len(), 16);
        prop_assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
        let suffix = format!("\u{2026} (fingerprint {fp})");
        prop_assert!(m.ends_with(&suffix), "{m}");
        let shown = &m[..m.len() - suffix.len()];
        prop_assert!(shown.chars().count() <= 4, "{m}");
        // Everything outside the fingerprint holds no 5-byte window of the value.
        let visible = m.replace(&fp, "");
        for w in value.windows(5) {
            prop_assert!(!visible.as_bytes().windows(5).any(|x| x == w), "window {w:?} of the value in {m:?}");
        }
        // Short values show nothing but the fingerprint.
        if value.len() < 12 {
            prop_assert!(shown.is_empty(), "{m}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

const PGP_BEGIN: &str = "-----BEGIN PGP SIGNATURE-----";
const PGP_END: &str = "-----END PGP SIGNATURE-----";
const SSH_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const SSH_END: &str = "-----END SSH SIGNATURE-----";

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn wrap76(s: &str) -> String {
    s.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\n")
}

/// Signature text with a PGP or SSH armor around random packets, random base64, or random bytes.
fn armored_signature() -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        // Well-formed armor around arbitrary binary data (the packet parsers see garbage).
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(|d| wrap76(&base64(&d)).into_bytes()),
        // Packets that start like an OpenPGP signature packet (tag 2, new and old format).
        (
            prop_oneof![Just(vec![0xc2u8]), Just(vec![0x88u8]), Just(vec![0x89u8, 0x01])],
            proptest::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(h, d)| wrap76(&base64(&[h, d].concat())).into_bytes()),
        // SSHSIG magic followed by garbage.
        proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|d| wrap76(&base64(&[b"SSHSIG".to_vec(), vec![0, 0, 0, 1], d].concat())).into_bytes()),
        "[A-Za-z0-9+/=\n]{0,200}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    (prop_oneof![Just((PGP_BEGIN, PGP_END)), Just((SSH_BEGIN, SSH_END))], body, any::<bool>(), "[ -~]{0,20}").prop_map(
        |((begin, end), body, with_end, header)| {
            let mut s = format!("{begin}\n").into_bytes();
            if !header.is_empty() {
                s.extend_from_slice(format!("{header}\n\n").as_bytes());
            }
            s.extend(body);
            if with_end {
                s.extend_from_slice(format!("\n{end}\n").as_bytes());
            }
            s
        },
    )
}

/// The example policy's keys: one OpenPGP certificate and an allowed_signers file.
static LOADED: std::sync::LazyLock<TrustStore> = std::sync::LazyLock::new(|| {
    let mut t = TrustStore::empty();
    t.add_openpgp_bytes("release-engineer.asc", include_bytes!("../examples/keys/release-engineer.asc")).unwrap();
    t.add_allowed_signers("allowed_signers", include_str!("../examples/keys/allowed_signers")).unwrap();
    t
});

proptest! {
    #![proptest_config(config())]

    #[test]
    fn verify_never_panics_and_never_accepts_garbage(
        signature in armored_signature(),
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        email in proptest::option::of("[\\PC]{0,30}"),
        time in prop_oneof![Just(0i64), Just(i64::MIN), Just(i64::MAX), any::<i64>(), 1_500_000_000i64..1_900_000_000],
        must_match in any::<bool>(),
    ) {
        let opts = VerifyOptions { committer_must_match: must_match, now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000) };
        let obj = SignedObject { payload: &payload, signature: &signature, committer_email: email.as_deref(), commit_time: time };
        for store in [&TrustStore::empty(), &*LOADED] {
            let v = store.verify(&obj, &opts);
            prop_assert_ne!(v.status, Status::Valid, "{:?}", v);
            prop_assert_ne!(v.status, Status::Unsigned);
            prop_assert!(!v.detail.is_empty());
        }
    }

    #[test]
    fn allowed_signers_parse_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                "[\\PC]{0,60}",
                "[a-z@.*,!]{1,20} (namespaces=\"[a-z,]{0,10}\" |valid-after=\"?[0-9TZ:-]{0,16}\"? |valid-before=[0-9]{0,14} |cert-authority )?ssh-ed25519 [A-Za-z0-9+/=]{0,80}",
                Just("* ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBAD".to_string()),
            ],
            0..6,
        )
    ) {
        let text = lines.join("\n");
        let _ = allowed_signers::parse(&text);
        let _ = TrustStore::empty().add_allowed_signers("fuzz", &text);
    }

    #[test]
    fn openpgp_certificate_loading_never_panics(
        data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(|d| format!(
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{}\n-----END PGP PUBLIC KEY BLOCK-----\n", wrap76(&base64(&d))).into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(|d| [vec![0xc6u8], d].concat()),
        ]
    ) {
        let _ = TrustStore::empty().add_openpgp_bytes("fuzz", &data);
    }
}

#[test]
fn base64_helper_is_right() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}
