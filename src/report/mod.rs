//! Findings and the one [`Report`] a run produces. Checks create findings; renderers (human,
//! json, sarif) only present them; `main.rs` turns the decision into an exit code.

pub mod audit;
pub mod human;
pub mod json;
pub mod redact;
pub mod sarif;
pub mod verify;

use gix::ObjectId;
use serde::Serialize;

/// What kind of rule a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Secret,
    Pii,
    Signature,
    Branch,
    Policy,
}

/// `block` rejects the push; `warn` is shown and recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Block,
}

/// One problem, with everything the pusher needs to find and fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable rule id, `category/name`.
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub path: Option<String>,
    pub line: Option<u32>,
    #[serde(serialize_with = "json::oid_opt")]
    pub commit: Option<ObjectId>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub message: String,
    /// How to do it right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The policy line that caused the verdict: `policy.toml:7:16  promote-from = "staging"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl Finding {
    pub fn new(rule: impl Into<String>, category: Category, message: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            category,
            severity: Severity::Block,
            path: None,
            line: None,
            commit: None,
            reference: None,
            message: message.into(),
            help: None,
            policy: None,
        }
    }
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    pub fn at_ref(mut self, r: impl Into<String>) -> Self {
        self.reference = Some(r.into());
        self
    }
    pub fn in_commit(mut self, c: ObjectId) -> Self {
        self.commit = Some(c);
        self
    }
    pub fn at_path(mut self, path: impl Into<String>, line: Option<u32>) -> Self {
        self.path = Some(path.into());
        self.line = line;
        self
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
    pub fn policy(mut self, label: impl Into<String>) -> Self {
        self.policy = Some(label.into());
        self
    }
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Accept,
    Reject,
}

/// Everything one run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Things the pusher should know that are not problems (skipped blobs, bypasses).
    pub notes: Vec<String>,
    pub commits_checked: usize,
    pub refs: Vec<String>,
}

impl Report {
    pub fn decision(&self) -> Decision {
        if self.findings.iter().any(|f| f.severity == Severity::Block) { Decision::Reject } else { Decision::Accept }
    }

    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Block).count()
    }
}

/// The renderings a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// What the human renderer needs to know about where it is shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Prefix every line with `GL-HOOK-ERR: ` so GitLab's UI shows it.
    pub gitlab: bool,
    /// A hook (the lines reach the pusher as `remote:` lines) rather than a command run by hand.
    pub hook: bool,
}

/// Render a report in the requested format.
pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Human => human::render(report, style),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
    }
}
