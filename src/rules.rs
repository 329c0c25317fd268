//! The registry of rule ids. Ids are stable, lowercase `category/name`, and never reused; a test
//! checks their form and uniqueness and `pushgate rules` lists them.

use std::borrow::Cow;

/// A rule id with its one-line documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: Cow<'static, str>,
    pub summary: Cow<'static, str>,
}

impl RuleMeta {
    pub const fn new(id: &'static str, summary: &'static str) -> Self {
        Self { id: Cow::Borrowed(id), summary: Cow::Borrowed(summary) }
    }
}

/// Rules of pushgate itself (not of a particular check).
pub mod codes {
    use super::RuleMeta;

    pub const POLICY_ERROR: &str = "policy/error";
    pub const INTERNAL_ERROR: &str = "policy/internal-error";
    pub const TIME_BUDGET: &str = "policy/time-budget-exceeded";
    pub const AUDIT_FAILED: &str = "policy/audit-log-failed";
    pub const PUSH_TOO_LARGE: &str = "policy/push-too-large";

    pub const RULES: &[RuleMeta] = &[
        RuleMeta::new(POLICY_ERROR, "the policy could not be loaded; every push is refused until it is fixed"),
        RuleMeta::new(INTERNAL_ERROR, "pushgate could not complete its checks; the push is refused (fail closed)"),
        RuleMeta::new(
            TIME_BUDGET,
            "the checks did not finish within `[limits] time`; refused unless `on-timeout = \"accept\"`",
        ),
        RuleMeta::new(AUDIT_FAILED, "the audit log named in the policy cannot be written; the push is refused"),
        RuleMeta::new(
            PUSH_TOO_LARGE,
            "the push's objects take more than `[limits] max-push-bytes`; refused unless `on-oversize = \"accept\"`",
        ),
        RuleMeta::new(
            crate::checks::bypass::BYPASS_REFUSED,
            "a bypass was requested without a reason or by an identity the policy does not list",
        ),
    ];
}

/// Every built-in rule, in display order.
pub fn all() -> Vec<RuleMeta> {
    let mut v = Vec::new();
    v.extend_from_slice(crate::checks::branches::codes::RULES);
    v.extend_from_slice(crate::checks::signatures::codes::RULES);
    v.extend(
        crate::checks::content::secrets::SecretScanner::builtin()
            .rules()
            .into_iter()
            .map(|r| RuleMeta { id: Cow::Owned(r.id.to_string()), summary: Cow::Owned(r.description.to_string()) }),
    );
    v.extend(
        crate::checks::content::pii::PiiScanner::builtin()
            .detectors()
            .into_iter()
            .map(|d| RuleMeta::new(d.id, d.description)),
    );
    v.push(RuleMeta::new(
        crate::checks::content::SKIPPED_BLOB,
        "a blob could not be scanned (binary or over the size limit) and policy refuses that",
    ));
    v.extend_from_slice(codes::RULES);
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_well_formed() {
        let all = super::all();
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_ref()).collect();
        for id in &ids {
            let (cat, name) = id.split_once('/').expect("category/name");
            assert!(["secret", "pii", "signature", "branch", "policy"].contains(&cat), "{id}");
            assert!(id.len() < 64, "{id}");
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
        }
        let n = ids.len();
        // Every category is listed, secrets with all their built-in rules and file-name rules.
        for prefix in ["branch/", "signature/", "pii/", "policy/", "secret/github-pat", "secret/file-"] {
            assert!(ids.iter().any(|id| id.starts_with(prefix)), "no {prefix} rule listed");
        }
        assert!(ids.iter().filter(|id| id.starts_with("secret/")).count() >= 150, "secret rules missing");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
    }
}
