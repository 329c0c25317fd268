//! Labelled corpus test: realistic files of many types under
//! `tests/fixtures/secrets/corpus/` with planted synthetic secrets and look-alikes;
//! `expected.toml` lists every finding that must be reported (file, line, rule).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{SecretScanner, Strategy};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/secrets/corpus");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    secret: Vec<Expected>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    file: String,
    line: u32,
    rule: String,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn corpus_recall_and_false_positives() {
    let root = Path::new(CORPUS);
    let manifest: Manifest = toml::from_str(&std::fs::read_to_string(root.join("expected.toml")).unwrap()).unwrap();
    let expected: BTreeSet<(String, u32, String)> =
        manifest.secret.into_iter().map(|e| (e.file, e.line, e.rule)).collect();
    let scanner = SecretScanner::builtin();
    let mut files = Vec::new();
    walk(root, &mut files);
    let mut found = BTreeSet::new();
    let mut bytes = 0usize;
    let t = std::time::Instant::now();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if rel == "expected.toml" {
            continue;
        }
        let text = std::fs::read(f).unwrap();
        bytes += text.len();
        // The small- and medium-push strategies must find exactly the same, on the whole file and
        // line by line.
        let whole = scanner.scan(rel.as_bytes(), &text);
        for how in [Strategy::Gated, Strategy::Indexed] {
            assert_eq!(scanner.scan_using(how, rel.as_bytes(), &text), whole, "{rel} {how:?}");
        }
        for line in text.split(|b| *b == b'\n') {
            let set = scanner.scan(rel.as_bytes(), line);
            for how in [Strategy::Gated, Strategy::Indexed] {
                assert_eq!(
                    scanner.scan_using(how, rel.as_bytes(), line),
                    set,
                    "{rel} {how:?}: {}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        for m in scanner.scan(rel.as_bytes(), &text).into_iter().chain(scanner.scan_path(rel.as_bytes(), Some(&text))) {
            found.insert((rel.clone(), m.line, m.rule_id.to_string()));
        }
    }
    let elapsed = t.elapsed();
    // Second pass: every rule regex the corpus needs is compiled now.
    let t = std::time::Instant::now();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read(f).unwrap();
        let _ = scanner.scan(rel.as_bytes(), &text);
    }
    let warm = t.elapsed();
    let hits = expected.intersection(&found).count();
    let missed: Vec<_> = expected.difference(&found).collect();
    let false_pos: Vec<_> = found.difference(&expected).collect();
    let recall = hits as f64 / expected.len() as f64;
    println!(
        "secrets corpus: recall {:.1}% ({}/{}), false positives {} ({} files, {} bytes, {:?} cold, {:?} warm)",
        recall * 100.0,
        hits,
        expected.len(),
        false_pos.len(),
        files.len() - 1,
        bytes,
        elapsed,
        warm
    );
    for m in &missed {
        println!("  missed: {}:{} {}", m.0, m.1, m.2);
    }
    for m in &false_pos {
        println!("  false positive: {}:{} {}", m.0, m.1, m.2);
    }
    assert!(expected.len() >= 100, "corpus too small");
    assert!(recall >= 0.97, "recall {recall}");
    assert!(false_pos.is_empty(), "false positives: {false_pos:?}");
}
