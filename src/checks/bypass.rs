//! Bypass with a reason: `git push -o pushgate.bypass="<reason>"` (the server needs
//! `receive.advertisePushOptions=true`). Honoured only on the server, only for identities the
//! policy lists, only for the finding categories the policy allows (secrets and PII by default;
//! branch and signature rules only when listed), and never without a reason. Bypassed findings
//! stay in the report as warnings, and every bypass — granted or refused — is audited.

use serde::Serialize;

use crate::policy::Policy;
use crate::push::Identity;
use crate::report::{Category, Finding, Report, Severity};

pub const BYPASS_REFUSED: &str = "policy/bypass-refused";
pub const OPTION: &str = "pushgate.bypass";

/// What happened to a requested bypass (for the audit log).
#[derive(Debug, Clone, Serialize)]
pub struct BypassRecord {
    pub reason: String,
    pub granted: bool,
    /// Findings turned from block into warn.
    pub overridden: usize,
}

/// Apply a requested bypass to `report`. `None` when no bypass was requested.
pub fn apply(report: &mut Report, policy: &Policy, identity: &Identity, server: bool) -> Option<BypassRecord> {
    let requested = identity.push_options.iter().find(|o| *o == OPTION || o.starts_with(&format!("{OPTION}=")))?;
    let reason = requested.strip_prefix(OPTION).and_then(|r| r.strip_prefix('=')).unwrap_or("").trim().to_string();
    let blocking = report.blocking() > 0;
    let refuse = |report: &mut Report, why: String| {
        let sev = if blocking { Severity::Block } else { Severity::Warn };
        let mut f = Finding::new(BYPASS_REFUSED, Category::Policy, why).severity(sev);
        if let Some(span) = &policy.bypass.span {
            f = f.policy(policy.label(span));
        }
        report.findings.push(
            f.help(format!("git push -o {OPTION}=\"<why this is safe>\" — allowed identities: {}", allowed(policy))),
        );
    };
    if !server {
        return None;
    }
    if reason.is_empty() {
        refuse(report, "a bypass needs a reason".into());
        return Some(BypassRecord { reason, granted: false, overridden: 0 });
    }
    let who = identity.pusher.as_deref();
    if !who.is_some_and(|p| policy.bypass.identities.iter().any(|i| i == p)) {
        let name = who.map_or("an unidentified pusher".to_string(), |p| format!("`{p}`"));
        refuse(report, format!("{name} may not bypass pushgate"));
        return Some(BypassRecord { reason, granted: false, overridden: 0 });
    }
    let mut overridden = 0;
    for f in &mut report.findings {
        if f.severity == Severity::Block && policy.bypass.categories.contains(&f.category) {
            f.severity = Severity::Warn;
            f.message = format!("(bypassed) {}", f.message);
            overridden += 1;
        }
    }
    report.notes.push(format!(
        "bypass by {} granted for {overridden} finding(s): {reason}; this is recorded in the audit log",
        who.unwrap_or("?")
    ));
    Some(BypassRecord { reason, granted: true, overridden })
}

fn allowed(policy: &Policy) -> String {
    if policy.bypass.identities.is_empty() { "none".into() } else { policy.bypass.identities.join(", ") }
}
