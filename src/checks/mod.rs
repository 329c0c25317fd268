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

/// Run every check that applies to this push and collect one report.
pub fn run_all(push: &Push, policy: &Policy) -> Result<Report, CheckError> {
    let mut report = Report {
        commits_checked: push.commits.len(),
        refs: push.updates.iter().map(|u| u.name.clone()).collect(),
        ..Report::default()
    };
    report.findings.extend(branches::check(push, policy)?);
    report.findings.extend(signatures::check(push, policy, std::time::SystemTime::now())?);
    if policy.pii.is_some() || policy.secrets.is_some() {
        let added = crate::push::added::collect(&push.repo.repo, &push.commits, policy.max_blob_bytes)?;
        let (mut findings, notes) = content::check(&added, policy);
        for f in &mut findings {
            if let Some(c) = push.commits.iter().find(|c| Some(c.id) == f.commit)
                && let Some(&i) = c.refs.first()
            {
                f.reference = Some(push.updates[i].name.clone());
            }
        }
        report.findings.extend(findings);
        report.notes.extend(notes);
    }
    // Only refs with a problem are named in the verdict line.
    report.refs.retain(|r| report.findings.iter().any(|f| f.reference.as_deref() == Some(r)));
    Ok(report)
}
