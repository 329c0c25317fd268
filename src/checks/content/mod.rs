//! Secrets and PII in what a push adds (see `push::added`) and in files (`pushgate scan`).
//! Values are never put in a finding whole: only `report::redact::mask` of them.

mod pattern;
pub mod pii;
pub mod secrets;

use rayon::prelude::*;

use crate::policy::Policy;
use crate::push::added::{Added, AddedText};
use crate::report::redact::mask;
use crate::report::{Category, Finding, Severity};

pub const SKIPPED_BLOB: &str = "policy/skipped-blob";

const SECRET_HELP: &str = "revoke or rotate the credential now, then remove it from history: rewrite the commit \
(git commit --amend, git rebase -i) — a later commit that deletes it is not enough;\n\
not a secret? add `pushgate:allow` on that line, or its fingerprint to the policy's [secrets] ignore-file";

fn secret_finding(
    policy: &Policy,
    m: &secrets::SecretMatch,
    value: &[u8],
    path: &str,
    line: Option<u32>,
) -> Option<Finding> {
    let fp = crate::report::redact::fingerprint(&m.rule_id, value);
    if policy.ignored.contains(&fp) || policy.ignored.contains(&format!("{}:{fp}", m.rule_id)) {
        return None;
    }
    let message = if value.is_empty() {
        format!("{} added", m.description)
    } else {
        format!("{} added: {}", m.description, mask(&m.rule_id, value))
    };
    let mut help = SECRET_HELP.to_string();
    if let Some(h) = &m.help {
        help = format!("{h};\n{help}");
    }
    Some(Finding::new(m.rule_id.to_string(), Category::Secret, message).at_path(path, line).help(help))
}

/// Up to this many bytes of added text in one run, each secret rule is pre-selected per text by
/// the literals every match of it contains, searched for rule by rule; only the rules that pass
/// compile their regex and run. Compiling even the literals' automaton would cost more.
const SMALL_SCAN_BYTES: usize = 16 << 10;
/// Up to this many, the secret rules' literals are found in one Aho-Corasick pass per text
/// (`secrets/gate.rs`); past it, the combined rule set is cheaper per byte. The set's lazy DFA
/// is built state by state in every thread, which is most of the cost of a scan of a few MB.
/// Measured on the benchmark history (`bench/`), with the set's patterns trimmed
/// (`pattern::set_form`): the literals are faster at 300 commits (1.2 MB of added text: 30 vs
/// 42 ms), even at 1 000 (3.9 MB: 68 vs 70 ms), the set from 3 000 (11 MB: 137 vs 149 ms; 28 MB:
/// 265 vs 307 ms). All ways give the same findings. (PII patterns are pre-selected line by line
/// at every size: `pii::Strategy::Lines`.)
const GATED_SCAN_BYTES: usize = 4 << 20;

/// How the texts of one batch are scanned: see [`SMALL_SCAN_BYTES`] and [`GATED_SCAN_BYTES`]. A
/// set already compiled (by an earlier batch) is always used.
#[derive(Debug, Clone, Copy)]
struct Strategies {
    secrets: secrets::Strategy,
    pii: pii::Strategy,
}

impl Strategies {
    /// For a run that has scanned `before` bytes of added text and is about to scan `batch` more.
    fn for_scan(policy: &Policy, before: usize, batch: usize) -> Self {
        let total = before.saturating_add(batch);
        let secrets = if policy.secrets.as_ref().is_some_and(|s| s.set_is_built()) || total > GATED_SCAN_BYTES {
            secrets::Strategy::Set
        } else if total <= SMALL_SCAN_BYTES {
            secrets::Strategy::Gated
        } else {
            secrets::Strategy::Indexed
        };
        Strategies { secrets, pii: pii::Strategy::Lines }
    }
}

/// Findings in one piece of text. `path` is how findings name the file.
fn scan_text(policy: &Policy, how: Strategies, path: &str, text: &AddedText) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(scanner) = &policy.secrets {
        for m in scanner.scan_using(how.secrets, path.as_bytes(), &text.text) {
            let value = text.text.get(m.secret.clone()).unwrap_or_default();
            out.extend(secret_finding(policy, &m, value, path, Some(text.file_line(m.line))));
        }
        if text.path.is_some() {
            for m in scanner.scan_path(path.as_bytes(), Some(&text.text)) {
                out.extend(secret_finding(policy, &m, b"", path, None));
            }
        }
    }
    if let Some(scanner) = &policy.pii {
        let matches = scanner.scan_using(how.pii, path.as_bytes(), text.header.as_deref(), &text.text);
        for m in matches {
            let value = text.text.get(m.value.clone()).unwrap_or_default();
            let line = text.file_line(m.line);
            let mut message = format!("{} added: {}", m.description, mask(m.detector_id, value));
            if let Some(note) = &m.note {
                message.push_str(&format!(" ({note})"));
            }
            let severity = match m.severity {
                pii::PiiSeverity::Block => Severity::Block,
                pii::PiiSeverity::Warn => Severity::Warn,
            };
            out.push(
                Finding::new(m.detector_id, Category::Pii, message).severity(severity).at_path(path, Some(line)).help(
                    "personal data must not be committed: remove it from the commit (rewrite it: git commit --amend, \
                         or git rebase -i), use synthetic data in fixtures;\nnot personal data? allow the path under \
                         [pii.allow-paths] in the policy",
                ),
            );
        }
    }
    out
}

/// Scan everything a push adds. Texts are scanned in parallel. `scanned`: bytes of added text
/// this run has scanned before (earlier batches); this batch's are added to it.
pub fn check(added: &Added, policy: &Policy, scanned: &mut usize) -> (Vec<Finding>, Vec<String>) {
    let batch: usize = added.texts.iter().map(|t| t.text.len()).sum();
    let how = Strategies::for_scan(policy, *scanned, batch);
    tracing::debug!(texts = added.texts.len(), bytes = batch, before = *scanned, ?how, "scanning a batch");
    *scanned = scanned.saturating_add(batch);
    let scan = |t: &AddedText| {
        let path = t.path.clone().unwrap_or_else(|| "(commit message)".to_string());
        let mut f = scan_text(policy, how, &path, t);
        for x in &mut f {
            x.commit = Some(t.commit);
            if t.path.is_none() {
                x.path = None;
            }
        }
        f
    };
    let mut findings: Vec<Finding> = if crate::par::worth_it_to_scan(added.texts.len(), batch) {
        added.texts.par_iter().flat_map_iter(scan).collect()
    } else {
        added.texts.iter().flat_map(scan).collect()
    };
    let mut notes = Vec::new();
    for (commit, path, reason) in &added.skipped {
        let short = commit.to_hex_with_len(7);
        // A binary key store (id_rsa.p12, *.jks) is refused by name even though it is not scanned.
        if let Some(scanner) = &policy.secrets {
            for m in scanner.scan_path(path.as_bytes(), None) {
                if let Some(f) = secret_finding(policy, &m, b"", path, None) {
                    findings.push(f.in_commit(*commit));
                }
            }
        }
        if policy.limits.skipped_blobs_block {
            findings.push(
                Finding::new(SKIPPED_BLOB, Category::Policy, format!("{path} was not scanned ({reason})"))
                    .in_commit(*commit)
                    .at_path(path.clone(), None)
                    .help("the policy refuses blobs it cannot scan ([limits] skipped-blobs-block = true)"),
            );
        } else {
            notes.push(format!("not scanned: {path} in {short} ({reason})"));
        }
    }
    (findings, notes)
}

/// `pushgate scan <path>...`: whole files, paths shown as given.
pub fn scan_paths(
    paths: &[std::path::PathBuf],
    policy: &Policy,
) -> Result<(Vec<Finding>, Vec<String>), std::io::Error> {
    let mut files = Vec::new();
    for p in paths {
        collect_files(p, &mut files)?;
    }
    let results: Vec<(Vec<Finding>, Option<String>)> = files
        .par_iter()
        .map(|path| {
            let shown = path.display().to_string();
            let data = match std::fs::read(path) {
                Ok(d) => d,
                Err(e) => return (Vec::new(), Some(format!("not scanned: {shown} ({e})"))),
            };
            if data.len() as u64 > policy.limits.max_blob_bytes {
                return (Vec::new(), Some(format!("not scanned: {shown} ({} bytes, over the limit)", data.len())));
            }
            if crate::push::added::is_binary(&data) {
                let by_name = policy.secrets.as_ref().map(|s| s.scan_path(shown.as_bytes(), None)).unwrap_or_default();
                return (by_name.iter().filter_map(|m| secret_finding(policy, m, b"", &shown, None)).collect(), None);
            }
            let lines = (1..=u32::try_from(data.split(|b| *b == b'\n').count()).unwrap_or(u32::MAX)).collect();
            let text = AddedText {
                commit: gix::ObjectId::null(gix::hash::Kind::Sha1),
                path: Some(shown.clone()),
                text: data,
                lines,
                header: None,
            };
            (scan_text(policy, Strategies::for_scan(policy, usize::MAX, 0), &shown, &text), None)
        })
        .collect();
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    for (f, n) in results {
        findings.extend(f);
        notes.extend(n);
    }
    Ok((findings, notes))
}

fn collect_files(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), std::io::Error> {
    let meta = std::fs::symlink_metadata(p)?;
    if meta.is_file() {
        out.push(p.to_path_buf());
    } else if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(p)?.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            if e.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            collect_files(&e, out)?;
        }
    }
    Ok(())
}
