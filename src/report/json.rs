//! `--format json`: one object on stdout, `{"decision": …, "findings": […]}` (DESIGN.md).

use gix::ObjectId;
use serde::Serializer;

use super::Report;

pub(super) fn oid_opt<S: Serializer>(id: &Option<ObjectId>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.serialize_str(&id.to_hex().to_string()),
        None => s.serialize_none(),
    }
}

pub fn render(report: &Report) -> String {
    let value = serde_json::json!({
        "decision": report.decision(),
        "findings": report.findings,
        "commits_checked": report.commits_checked,
        "notes": report.notes,
    });
    let mut out = serde_json::to_string_pretty(&value)
        .unwrap_or_else(|e| format!("{{\"decision\":\"reject\",\"error\":\"{e}\"}}"));
    out.push('\n');
    out
}
