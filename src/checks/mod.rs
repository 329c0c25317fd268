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

/// Commits in the first batch of added content read and scanned together. Later batches double,
/// up to [`MAX_BATCH`] commits, while the last batch read held less than [`BATCH_TEXT`] bytes of
/// added text per the batch size asked for: long batches keep a thread on consecutive commits
/// (the same files' delta chains stay in its cache) and make the read/scan pipeline stall less
/// (full history of the benchmark: 1.05 s with 256-commit batches, 0.95 s with 2 048, 0.92 s
/// with 4 096, RSS unchanged), while memory stays bounded on pushes of big commits.
const FIRST_BATCH: usize = 256;
const MAX_BATCH: usize = 4096;
const BATCH_TEXT: usize = 32 << 20;

/// The size of the next batch after one of `len` commits that added `bytes` of text.
fn next_batch(len: usize, bytes: usize) -> usize {
    let grown = (len * 2).min(MAX_BATCH);
    if bytes == 0 {
        return grown;
    }
    // The commits that fit the budget at the last batch's bytes per commit, never fewer than 16.
    let fits = (len as u128 * BATCH_TEXT as u128 / bytes as u128).min(usize::MAX as u128) as usize;
    fits.clamp(16, grown.max(16))
}

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
        // of the other's parallel phases: both cores stay busy). See `next_batch`.
        let sync = push.repo.repo.clone().into_sync();
        let mut seen = crate::push::added::Seen::new();
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        let mut scanned = 0;
        let mut pending: Option<crate::push::added::Added> = None;
        let mut rest = push.commits.as_slice();
        let mut size = FIRST_BATCH;
        loop {
            let batch = (!rest.is_empty()).then(|| {
                let (batch, tail) = rest.split_at(size.min(rest.len()));
                rest = tail;
                batch
            });
            // Both at once only when there are both: a push of one batch (up to 256 commits) reads
            // it, then scans it, and a small one never starts rayon's pool (see `crate::par`).
            let both = pending.is_some() && batch.is_some();
            let mut scan = || pending.take().map(|added| content::check(&added, policy, &mut scanned));
            let mut read = || {
                batch
                    .map(|b| crate::push::added::collect(&sync, b, policy.limits.max_blob_bytes, &mut seen))
                    .transpose()
            };
            let (checked, next) = if both { rayon::join(scan, read) } else { (scan(), read()) };
            if let Some((f, n)) = checked {
                findings.extend(f);
                notes.extend(n);
            }
            match next? {
                Some(added) => {
                    let bytes = added.texts.iter().map(|t| t.text.len()).sum();
                    size = next_batch(batch.map_or(size, <[_]>::len), bytes);
                    pending = Some(added);
                }
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
            let added = crate::push::added::collect_objects(
                &push.repo.repo,
                &objects,
                policy.limits.max_blob_bytes,
                &mut seen,
            )?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_grow_while_their_text_is_small_and_shrink_when_it_is_not() {
        // Small commits: doubling up to the cap.
        assert_eq!(next_batch(FIRST_BATCH, 1 << 20), 2 * FIRST_BATCH);
        assert_eq!(next_batch(MAX_BATCH, 1 << 20), MAX_BATCH);
        assert_eq!(next_batch(256, 0), 512);
        // 256 commits that added 64 MiB: the next batch is sized for the 32 MiB budget.
        assert_eq!(next_batch(256, 64 << 20), 128);
        // Growth is at most a doubling even when the budget would allow more.
        assert_eq!(next_batch(300, 1), 600);
        // Never fewer than 16 commits, however big they were.
        assert_eq!(next_batch(16, usize::MAX), 16);
    }
}
