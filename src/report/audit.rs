//! The audit log: one JSON line per push decision, appended to the file the policy names. Lines
//! are written whole under an exclusive file lock, so concurrent pushes never interleave. Values
//! of secrets and PII never appear: findings carry only masked messages.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Decision, Finding, Report};
use crate::checks::bypass::BypassRecord;
use crate::push::{Identity, RefUpdate};

#[derive(Serialize)]
struct RefLine<'a> {
    name: &'a str,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    repository: &'a str,
    pusher: Option<&'a str>,
    forge: &'a str,
    protocol: Option<&'a str>,
    forge_merge: bool,
    refs: Vec<RefLine<'a>>,
    decision: Decision,
    findings: &'a [Finding],
    bypass: Option<&'a BypassRecord>,
    notes: &'a [String],
}

/// What one audit line is made of.
pub struct Entry<'a> {
    pub repository: &'a str,
    pub identity: &'a Identity,
    pub updates: &'a [RefUpdate],
    pub report: &'a Report,
    pub bypass: Option<&'a BypassRecord>,
}

/// Seconds since the epoch as an RFC 3339 UTC timestamp.
fn rfc3339(secs: i64) -> String {
    let [y, m, d, h, min, s] = crate::checks::signatures::verify::allowed_signers::civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
}

/// Append one line for this decision to `path`.
pub fn append(path: &Path, e: &Entry<'_>) -> std::io::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let line = Line {
        time: rfc3339(i64::try_from(now).unwrap_or(i64::MAX)),
        repository: e.repository,
        pusher: e.identity.pusher.as_deref(),
        forge: e.identity.forge.as_str(),
        protocol: e.identity.protocol.as_deref(),
        forge_merge: e.identity.forge_merge,
        refs: e
            .updates
            .iter()
            .map(|u| RefLine {
                name: &u.name,
                old: u.old.map(|o| o.to_hex().to_string()),
                new: u.new.map(|n| n.to_hex().to_string()),
            })
            .collect(),
        decision: e.report.decision(),
        findings: &e.report.findings,
        bypass: e.bypass,
        notes: &e.report.notes,
    };
    let mut text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
    text.push('\n');
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.lock()?;
    let result = file.write_all(text.as_bytes()).and_then(|()| file.flush());
    let _ = file.unlock();
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_435_200), "2026-11-23T12:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
