//! The checks: pure judgements of a [`Push`] against a [`Policy`]. They return findings and
//! never print; an `Err` means a check could not finish, which rejects the push (fail closed).

pub mod branches;
pub mod bypass;
pub mod content;
pub mod signatures;

use crate::policy::Policy;
use crate::push::{Push, WalkError};
use crate::report::Report;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Walk(#[from] WalkError),
}

/// Commits whose added content is held in memory at once.
const CONTENT_BATCH: usize = 256;

/// Run every check that applies to this push and collect one report.
pub fn run_all(push: &Push, policy: &Policy) -> Result<Report, CheckError> {
    let mut report = Report {
        commits_checked: push.commits.len(),
        refs: push.updates.iter().map(|u| u.name.clone()).collect(),
        ..Report::default()
    };
    let started = std::time::Instant::now();
    tracing::debug!(
        commits = push.commits.len(),
        refs = push.updates.len(),
        tip_objects = push.tip_objects.len(),
        "checking push"
    );
    report.findings.extend(branches::check(push, policy)?);
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "branch rules done");
    report.findings.extend(signatures::check(push, policy, std::time::SystemTime::now())?);
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "signatures done");
    if policy.pii.is_some() || policy.secrets.is_some() {
        // Batches bound memory on huge pushes: at most two batches' added text is held, the one
        // being scanned and the next, read meanwhile (so that neither waits for the slowest item
        // of the other's parallel phases: both cores stay busy).
        let sync = push.repo.repo.clone().into_sync();
        let mut seen = crate::push::added::Seen::new();
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        let mut scanned = 0;
        let mut pending: Option<crate::push::added::Added> = None;
        let mut batches = push.commits.chunks(CONTENT_BATCH);
        loop {
            let batch = batches.next();
            let (checked, next) = rayon::join(
                || pending.take().map(|added| content::check(&added, policy, &mut scanned)),
                || batch.map(|b| crate::push::added::collect(&sync, b, policy.max_blob_bytes, &mut seen)).transpose(),
            );
            if let Some((f, n)) = checked {
                findings.extend(f);
                notes.extend(n);
            }
            match next? {
                Some(added) => pending = Some(added),
                None => break,
            }
        }
        for f in &mut findings {
            if let Some(r) = f.commit.and_then(|c| push.ref_of(c)) {
                f.reference = Some(r.to_string());
            }
        }
        // Content that reaches a ref without a commit: annotated-tag messages, and trees or blobs
        // pushed to a ref directly.
        if !push.tip_objects.is_empty() {
            let objects: Vec<_> =
                push.tip_objects.iter().map(|o| (o.id, o.kind, push.updates[o.update].name.clone())).collect();
            let added =
                crate::push::added::collect_objects(&push.repo.repo, &objects, policy.max_blob_bytes, &mut seen)?;
            let (mut f, n) = content::check(&added, policy, &mut scanned);
            for x in &mut f {
                if let Some(o) = push.tip_objects.iter().find(|o| Some(o.id) == x.commit) {
                    x.reference = Some(push.updates[o.update].name.clone());
                    x.commit = None;
                }
            }
            findings.extend(f);
            notes.extend(n);
        }
        report.findings.extend(findings);
        report.notes.extend(notes);
    }
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, findings = report.findings.len(), "checks done");
    // Only refs with a problem are named in the verdict line.
    report.refs.retain(|r| report.findings.iter().any(|f| f.reference.as_deref() == Some(r)));
    Ok(report)
}
