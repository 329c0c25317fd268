//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards. One run, one result per finding;
//! the rule list holds the rules that fired.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Report, Severity};

pub fn render(report: &Report) -> String {
    let mut rules = BTreeMap::new();
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            rules.entry(f.rule.clone()).or_insert_with(|| json!({"id": f.rule, "shortDescription": {"text": f.rule}}));
            let mut text = f.message.clone();
            if let Some(h) = &f.help {
                text.push_str(". Fix: ");
                text.push_str(h);
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": if f.severity == Severity::Block { "error" } else { "warning" },
                "message": {"text": text},
            });
            if let Some(path) = &f.path {
                let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": path}}});
                if let Some(line) = f.line {
                    loc["physicalLocation"]["region"] = json!({"startLine": line});
                }
                result["locations"] = json!([loc]);
            }
            let mut props = serde_json::Map::new();
            if let Some(c) = f.commit {
                props.insert("commit".into(), json!(c.to_hex().to_string()));
            }
            if let Some(r) = &f.reference {
                props.insert("ref".into(), json!(r));
            }
            if !props.is_empty() {
                result["properties"] = serde_json::Value::Object(props);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pushgate",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
