//! Scanner-level tests: dump escalation, config effects, no panics on arbitrary bytes, and the
//! labelled corpus under `tests/fixtures/pii/corpus/` (recall and false positives).
#![allow(clippy::unwrap_used)]

use super::census::Counts;
use super::*;

#[test]
fn scanner_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<PiiScanner>();
}

#[test]
fn detectors_listed() {
    let d = PiiScanner::builtin().detectors();
    assert_eq!(d.len(), 10);
    let ids: HashSet<_> = d.iter().map(|x| x.id).collect();
    assert_eq!(ids.len(), 10);
    for x in &d {
        assert!(x.id.starts_with("pii/") && x.id == format!("pii/{}", x.config_key));
    }
    let ssn = d.iter().find(|x| x.id == "pii/us-ssn").unwrap();
    assert_eq!(ssn.default_severity, PiiSeverity::Warn);
}

fn emails(n: usize) -> String {
    (0..n).map(|i| format!("user{i},cliente{i}.x@corp-mail.com.br\n")).collect()
}

#[test]
fn dump_threshold_escalates_warn_to_block() {
    let s = PiiScanner::builtin();
    let few = s.scan(b"export.csv", emails(3).as_bytes());
    assert_eq!(few.len(), 3);
    assert!(few.iter().all(|m| m.severity == PiiSeverity::Warn && m.note.is_none()));
    let many = s.scan(b"export.csv", emails(12).as_bytes());
    assert_eq!(many.len(), 12);
    assert!(many.iter().all(|m| m.severity == PiiSeverity::Block));
    let note = many[0].note.as_deref().unwrap();
    assert!(note.contains("one of 12 distinct"), "{note}");
    assert!(!note.contains("corp-mail"), "notes must not carry values: {note}");
    // Repeating one value is not a dump.
    let same = "x,cliente.x@corp-mail.com.br\n".repeat(20);
    assert!(s.scan(b"a.csv", same.as_bytes()).iter().all(|m| m.severity == PiiSeverity::Warn));
    // Threshold from config.
    let cfg = PiiConfig::from_toml("dump-threshold = 3").unwrap();
    let s3 = PiiScanner::from_config(&cfg).unwrap();
    assert!(s3.scan(b"export.csv", emails(3).as_bytes()).iter().all(|m| m.severity == PiiSeverity::Block));
}

#[test]
fn config_levels_and_allow_paths() {
    let text = b"contact: cliente.x@corp-mail.com.br\n";
    let cfg = PiiConfig::from_toml("email = \"block\"").unwrap();
    let m = PiiScanner::from_config(&cfg).unwrap().scan(b"a.txt", text);
    assert_eq!(m[0].severity, PiiSeverity::Block);
    let cfg = PiiConfig::from_toml("email = \"off\"").unwrap();
    assert!(PiiScanner::from_config(&cfg).unwrap().scan(b"a.txt", text).is_empty());
    let cfg = PiiConfig::from_toml("[allow-paths]\nemail = [\"tests/fixtures/**\", \"*.eml\"]").unwrap();
    let s = PiiScanner::from_config(&cfg).unwrap();
    assert!(s.scan(b"tests/fixtures/users.json", text).is_empty());
    assert!(s.scan(b"deep/dir/mail.eml", text).is_empty());
    assert_eq!(s.scan(b"src/users.json", text).len(), 1);
    let cfg = PiiConfig::from_toml("allow-paths-all = [\"fixtures/*\"]").unwrap();
    let s = PiiScanner::from_config(&cfg).unwrap();
    assert!(s.scan(b"fixtures/a.txt", text).is_empty());
    assert_eq!(s.scan(b"fixtures/sub/a.txt", text).len(), 1);
    let cfg = PiiConfig::from_toml("enabled = false").unwrap();
    assert!(PiiScanner::from_config(&cfg).unwrap().scan(b"a.txt", text).is_empty());
}

#[test]
fn lines_and_ranges() {
    let text = "a\nb\ncontact cliente.x@corp-mail.com.br ok\n";
    let m = PiiScanner::builtin().scan(b"a.txt", text.as_bytes());
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].line, 3);
    assert_eq!(&text[m[0].value.clone()], "cliente.x@corp-mail.com.br");
}

#[test]
fn hard_negatives() {
    let s = PiiScanner::builtin();
    for t in [
        "ts = 1700000000",
        "created_at: 1700000000123",
        "id: 550e8400-e29b-41d4-a716-446655440000",
        "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "sha256:9434765919a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b",
        "order_id=4010232137",
        "version = \"1.2.3\"",
        "\"version\": \"10.14.3-beta.2\"",
        "IP 192.168.100.200",
        "Invoice INV-2024-000123456",
        "time 2024-01-15T10:30:00.123456789Z",
        "float 3.14159265358979323846",
        "snowflake 1183413283294085120",
    ] {
        let got = s.scan(b"a.txt", t.as_bytes());
        assert!(got.is_empty(), "{t}: {got:?}");
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    /// Both strategies find the same in `data`, with `header` as the CSV header, in three file kinds.
    fn same_both_ways(data: &str, header: Option<&[u8]>) -> Result<(), proptest::test_runner::TestCaseError> {
        let s = PiiScanner::builtin();
        for path in [&b"x.sql"[..], b"x.csv", b"x.rs"] {
            let whole = s.scan_using(crate::checks::content::pii::Strategy::Whole, path, header, data.as_bytes());
            let lines = s.scan_using(crate::checks::content::pii::Strategy::Lines, path, header, data.as_bytes());
            prop_assert_eq!(whole, lines);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let s = PiiScanner::builtin();
            for m in s.scan(b"x.csv", &data) {
                prop_assert!(m.value.end <= data.len() && m.value.start < m.value.end);
            }
        }

        #[test]
        fn both_strategies_find_the_same(data in "[0-9A-Z .,:;/()+@|\\-\n\"=a-z]{0,300}") {
            same_both_ways(&data, Some(b"a,cpf,nhs"))?;
        }

        #[test]
        fn both_strategies_find_the_same_on_digit_runs(data in "([0-9]{1,6}[ .()/+\\-]?|[a-zA-Z,;:@=\n]| cpf | nhs | card | ssn | tel ){0,60}") {
            same_both_ways(&data, None)?;
        }

        #[test]
        fn both_strategies_find_the_same_on_long_bare_numbers(data in "([0-9]{1,30}|[0-9]{3}[ .\\-][0-9]{3}[ .\\-][0-9]{2,5}|[A-Z0-9]{10,20}|[a-z,;:=\n]| cpf | cnpj | nhs | card | ssn | tel | phone ){0,30}") {
            same_both_ways(&data, None)?;
        }

        #[test]
        fn both_strategies_find_the_same_on_bare_card_numbers(
            len in 13usize..=19,
            seed in any::<u64>(),
            prefix in proptest::sample::select(vec!["4", "51", "2221", "34", "37", "6011", "65", "35", "62", "9"]),
            broken in any::<bool>(),
            before in proptest::sample::select(vec!["card: ", "cc=", "\"pan\": \"", "id ", "(", "+", "x"]),
            after in proptest::sample::select(vec!["", "\"", ")", " ", "-", "x", "0"]),
        ) {
            let mut pan = super::super::card::tests::make_pan(prefix, len, seed).into_bytes();
            if broken {
                // Any other last digit breaks the Luhn check.
                let last = pan.len() - 1;
                pan[last] = b'0' + (pan[last] - b'0' + 1) % 10;
            }
            let pan = String::from_utf8(pan).unwrap_or_default();
            let data = format!("{before}{pan}{after}\n");
            same_both_ways(&data, None)?;
            if before == "card: " && (after.is_empty() || after == " ") && super::super::card::valid_pan(pan.as_bytes()).is_some() {
                let found = PiiScanner::builtin().scan(b"x.txt", data.as_bytes());
                prop_assert!(found.iter().any(|m| m.detector_id == "pii/payment-card"), "{}: {:?}", data, found);
            }
        }

        #[test]
        fn never_panics_on_pii_shaped_text(data in "[0-9A-Z .,:;/()+@|\\-\n\"=a-z]{0,600}") {
            let s = PiiScanner::builtin();
            let _ = s.scan(b"x.sql", data.as_bytes());
            let _ = s.scan_with_header(b"x.csv", Some(b"a,cpf,nhs"), data.as_bytes());
            let _ = s.scan(b"x.md", format!("INSERT INTO t (a, cpf) VALUES ({data}").as_bytes());
        }
    }
}

mod corpus;

/// Big and pathological buffers finish quickly (no quadratic context lookups).
#[test]
fn large_buffers_are_linear() {
    let s = PiiScanner::builtin();
    let mut md = String::from("| name | nhs number |\n|---|---|\n");
    for i in 0..20_000 {
        md.push_str(&format!("| p{i} | {} |\n", 4_000_000_000u64 + i * 7));
    }
    let digits = "1234567890 ".repeat(50_000);
    let yaml: String = std::iter::once("items:\n".to_string())
        .chain((0..20_000).map(|i| format!("  - {}\n", 4_000_000_000u64 + i * 13)))
        .collect();
    let sql = format!(
        "INSERT INTO t (id, cpf) VALUES {};",
        (0..20_000).map(|i| format!("({i}, '{}')", 10_000_000_000u64 + i * 17)).collect::<Vec<_>>().join(",")
    );
    for (name, text) in [("a.md", md), ("a.txt", digits), ("a.yaml", yaml), ("a.sql", sql)] {
        let t = std::time::Instant::now();
        let _ = s.scan(name.as_bytes(), text.as_bytes());
        println!("{name}: {} bytes in {:?}", text.len(), t.elapsed());
        // Debug builds are ~10x slower than release; this bound only catches blow-ups.
        assert!(t.elapsed().as_secs() < 20, "{name}: {:?}", t.elapsed());
    }
}

/// Patterns run only on the lines whose census admits them: sound only if no pattern can match a
/// newline (a match then never spans two lines).
#[test]
fn no_pattern_matches_a_newline() {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn has_newline(h: &Hir) -> bool {
        match h.kind() {
            HirKind::Literal(l) => l.0.contains(&b'\n'),
            HirKind::Class(Class::Bytes(c)) => c.iter().any(|r| (r.start()..=r.end()).contains(&b'\n')),
            HirKind::Class(Class::Unicode(c)) => c.iter().any(|r| (r.start()..=r.end()).contains(&'\n')),
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Repetition(r) => has_newline(&r.sub),
            HirKind::Capture(c) => has_newline(&c.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(has_newline),
        }
    }
    for (_, _, p) in PATTERNS {
        let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(p).unwrap();
        assert!(!has_newline(&hir), "{p} can match a newline");
    }
    // And the check itself sees one.
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(r"[0-9\s]{3}").unwrap();
    assert!(has_newline(&hir));
}

/// Restricted to the lines that admit it or not, every pattern finds the same, on texts where
/// digit runs, addresses and identifiers share lines and sit on lines of their own.
#[test]
fn candidate_lines_find_what_whole_texts_find() {
    let s = PiiScanner::builtin();
    let texts = [
        "id,nhs_number\n1,401 023 2137\n2,9434765919\nx=1\n",
        "card: 4111 1111 1111 1111 and cpf 529.982.247-25\nnothing\n\nemail a.b@corp.io, phone +44 20 7946 0958\n",
        "GB82WEST12345698765432\nQQ 12 34 56 C\nAB 12 34 56 C tail\nno digits here\n",
        "a\n12345678901234567890123456789\n\n\n+55 (11) 91234-5678\nend",
    ];
    for t in texts {
        let whole = s.scan_using(Strategy::Whole, b"x.csv", None, t.as_bytes());
        let lines = s.scan_using(Strategy::Lines, b"x.csv", None, t.as_bytes());
        assert_eq!(whole, lines, "{t:?}");
    }
    // Some of these texts do hold findings: the comparison is not between two empty lists.
    assert!(texts.iter().any(|t| !s.scan(b"x.csv", t.as_bytes()).is_empty()));
}

/// Lines holding a generated match of `pattern` (with text around it).
fn lines_with_a_match_of(pattern: &str) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy as _;
    (
        "[a-z (=:,]{0,12}",
        proptest::string::string_regex(pattern).unwrap().prop_filter("ASCII", |m| m.is_ascii()),
        "[ ;,)a-z]{0,12}",
    )
        .prop_map(|(a, m, b)| format!("{a}{m}{b}"))
}

proptest::proptest! {
    /// The cheap count never turns away a line that holds a match of any pattern.
    #[test]
    fn the_cheap_count_passes_every_line_with_a_match(
        line in proptest::strategy::Union::new(PATTERNS.iter().map(|p| proptest::strategy::Strategy::boxed(lines_with_a_match_of(p.2))))
    ) {
        proptest::prop_assert!(Counts::of(line.as_bytes()).may_hold_pii(), "{:?}", line);
    }
}

proptest::proptest! {
    /// The packed counts equal the counts byte by byte, on lines shorter and longer than the
    /// 255-byte chunks they are summed in.
    #[test]
    fn packed_counts_equal_plain_counts(line in proptest::collection::vec(proptest::sample::select(b"09AZaz-.@+ \x00\xff".to_vec()), 0..300)) {
        let plain = Counts {
            digits: line.iter().filter(|b| b.is_ascii_digit()).count() as u32,
            upper: line.iter().filter(|b| b.is_ascii_uppercase()).count() as u32,
            hyphens: line.iter().filter(|&&b| b == b'-').count() as u32,
            dots: line.iter().filter(|&&b| b == b'.').count() as u32,
            at: line.iter().filter(|&&b| b == b'@').count() as u32,
            plus: line.iter().filter(|&&b| b == b'+').count() as u32,
        };
        proptest::prop_assert_eq!(Counts::of(&line), plain);
    }
}

proptest::proptest! {
    // Many cases: thirteen patterns, and the shortest matches are the ones that test the bounds.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

    /// On every line that holds a match of a pattern, the pattern finds in the census'
    /// candidates what it finds in the whole line.
    #[test]
    fn the_census_candidates_hold_every_match(
        (i, line) in proptest::strategy::Union::new(PATTERNS.iter().enumerate().map(|(i, p)| {
            proptest::strategy::Strategy::boxed(proptest::strategy::Strategy::prop_map(lines_with_a_match_of(p.2), move |l| (i, l)))
        }))
    ) {
        let line = line.as_bytes();
        let re = regex(i).unwrap();
        let whole: Vec<_> = re.find_iter(line).map(|m| m.range()).collect();
        let candidates = census::candidates(line);
        let found: Vec<_> = Scoped { re, ranges: candidates.ranges.get(i).map(Vec::as_slice) }.find_iter(line).map(|m| m.range()).collect();
        proptest::prop_assert!(!whole.is_empty());
        proptest::prop_assert_eq!(found, whole, "{} on {:?}", PATTERNS[i].2, String::from_utf8_lossy(line));
    }

    /// The probing run finder returns exactly the maximal runs of the class that are long
    /// enough, as a byte-by-byte walk finds them.
    #[test]
    fn probed_runs_are_the_long_maximal_runs(
        line in proptest::collection::vec(proptest::sample::select(b"09AZaz-./ +_\xff".to_vec()), 0..120),
        class in proptest::sample::select(vec![census::DIGIT, census::DIGIT | census::NUM_SEP, census::DIGIT | census::UPPER | census::CNPJ_SEP, census::DIGIT | census::UPPER | census::SPACE, census::HEX]),
        min in 1usize..16,
    ) {
        let inside = |b: u8| census::is(b, class);
        let mut walked = Vec::new();
        let mut start = None;
        for (i, &b) in line.iter().chain(std::iter::once(&b'\n')).enumerate() {
            match (inside(b), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if i - s >= min {
                        walked.push(s..i);
                    }
                    start = None;
                }
                _ => {}
            }
        }
        proptest::prop_assert_eq!(census::runs_of(&line, class, min).collect::<Vec<_>>(), walked);
    }
}

/// The census searches a pattern only inside runs of one byte class (see `census`): sound only if
/// every byte the pattern can match is in that class, which this checks on the syntax trees.
#[test]
fn each_pattern_matches_only_its_run_class() {
    use census::{CNPJ_SEP, DIGIT, NUM_SEP, SPACE, UPPER};
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn bytes(h: &Hir, out: &mut Vec<u8>) {
        match h.kind() {
            HirKind::Literal(l) => out.extend_from_slice(&l.0),
            HirKind::Class(Class::Bytes(c)) => c.iter().for_each(|r| out.extend(r.start()..=r.end())),
            HirKind::Class(Class::Unicode(c)) => c
                .iter()
                .for_each(|r| out.extend((r.start()..=r.end()).map(|ch| u8::try_from(u32::from(ch)).unwrap_or(0xff)))),
            // A look-around would see bytes outside the run.
            HirKind::Look(l) => panic!("look-around {l:?}"),
            HirKind::Empty => {}
            HirKind::Repetition(r) => bytes(&r.sub, out),
            HirKind::Capture(c) => bytes(&c.sub, out),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().for_each(|h| bytes(h, out)),
        }
    }
    let mut checked = 0;
    for &(_, pat, src) in PATTERNS {
        let class = match pat {
            Pat::Card | Pat::Nhs | Pat::Cpf | Pat::Ssn | Pat::PhoneIntl | Pat::PhoneUk | Pat::PhoneBr => {
                DIGIT | NUM_SEP
            }
            Pat::Cnpj => DIGIT | UPPER | CNPJ_SEP,
            Pat::Iban | Pat::Nino => DIGIT | UPPER | SPACE,
            Pat::Email | Pat::PixEvp | Pat::PixPayload => continue,
        };
        let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(src).unwrap();
        let mut all = Vec::new();
        bytes(&hir, &mut all);
        for b in all {
            assert!(census::is(b, class), "{src} matches {:?}, outside its run class", char::from(b));
        }
        checked += 1;
    }
    assert_eq!(checked, 10);
    // And the check itself sees a byte outside: `_` is in no run class.
    assert!(!census::is(b'_', DIGIT | NUM_SEP | UPPER | CNPJ_SEP | SPACE));
}

/// A run of nothing but digits is a candidate only up to the most digits a match of the pattern
/// holds (`census`), and for the card pattern only as a valid PAN: bare numbers of that length
/// are still found, by both strategies, and a longer run (a 19-digit timestamp) wakes no
/// pattern, unless it is a valid PAN.
#[test]
fn bare_numbers_at_the_longest_length_are_still_found() {
    let s = PiiScanner::builtin();
    let pan19 = super::card::tests::make_pan("4", 19, 3);
    assert!(super::card::valid_pan(pan19.as_bytes()).is_some(), "{pan19}");
    let cnpj = super::br::tests::make_cnpj(5, false);
    let cnpj_bare: String = cnpj.chars().filter(char::is_ascii_alphanumeric).collect();
    let cases = [
        (format!("{{\"card_number\": \"{pan19}\"}}"), "pii/payment-card"),
        (format!("{{\"nhs_number\": \"{}\"}}", super::nhs::tests::make_nhs("485", 4)), "pii/uk-nhs-number"),
        (format!("cpf: {}", super::br::tests::make_cpf(6)), "pii/br-cpf"),
        (format!("cnpj: {cnpj_bare}"), "pii/br-cnpj"),
    ];
    for (text, id) in &cases {
        let whole = s.scan_using(Strategy::Whole, b"x.txt", None, text.as_bytes());
        let lines = s.scan_using(Strategy::Lines, b"x.txt", None, text.as_bytes());
        assert_eq!(whole, lines, "{text}");
        assert!(lines.iter().any(|m| m.detector_id == *id), "{text}: {lines:?}");
    }
    let woken = |line: &str| -> Vec<&str> {
        let c = super::census::candidates(line.as_bytes());
        super::PATTERNS.iter().zip(&c.ranges).filter(|(_, r)| !r.is_empty()).map(|((_, _, src), _)| *src).collect()
    };
    assert!(super::card::valid_pan(b"1796085871920233858").is_none());
    assert!(woken("// bench 1796085871920233858\n").is_empty());
    assert_eq!(woken(&format!("// bench {pan19}\n")), [super::card::PATTERN]);
    // Digits not in one piece are offered as before.
    assert_eq!(woken("// bench 1796085871 920233858\n").first(), Some(&super::card::PATTERN));
}
