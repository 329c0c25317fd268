//! What the pusher reads. git shows hook stderr as `remote:` lines and strips colour unless the
//! client has a terminal, so this is plain ASCII text: a one-line verdict first, then one block
//! per problem (rule id, where, what is wrong, the policy line behind it, how to fix it).

use std::fmt::Write;

use super::{Decision, Finding, Report, Severity, Style};

/// Pushed paths (and anything quoting them) are chosen by the pusher: a newline or an escape
/// sequence in a path must not be able to forge a line of our output, such as a fake verdict.
/// Control characters are shown escaped, the way git quotes unusual paths.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn short(id: &gix::ObjectId) -> String {
    id.to_hex_with_len(7).to_string()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn verdict(report: &Report, style: Style) -> String {
    let blocking = report.blocking();
    let warnings = report.findings.len() - blocking;
    let commits = report.findings.iter().filter_map(|f| f.commit).collect::<std::collections::HashSet<_>>().len();
    if !style.hook {
        return match (blocking, warnings) {
            (0, 0) => format!("pushgate: no problems found ({} checked)", plural(report.commits_checked, "commit")),
            (0, w) => format!("pushgate: accepted with {}", plural(w, "warning")),
            (b, 0) => format!("pushgate: rejected: {}", plural(b, "problem")),
            (b, w) => format!("pushgate: rejected: {}, {}", plural(b, "problem"), plural(w, "warning")),
        };
    }
    let subject = "push ";
    match report.decision() {
        Decision::Reject => {
            let mut line = format!("pushgate: {subject}rejected: {}", plural(blocking, "problem"));
            if commits > 0 {
                let _ = write!(line, " in {}", plural(commits, "commit"));
            }
            if !report.refs.is_empty() {
                let _ = write!(line, " ({})", report.refs.join(", "));
            }
            if warnings > 0 {
                let _ = write!(line, ", {}", plural(warnings, "warning"));
            }
            line
        }
        Decision::Accept => {
            let mut line = format!("pushgate: {subject}accepted ({} checked", plural(report.commits_checked, "commit"));
            if warnings > 0 {
                let _ = write!(line, ", {}", plural(warnings, "warning"));
            }
            line.push(')');
            line
        }
    }
}

fn block(out: &mut String, f: &Finding) {
    let level = if f.severity == Severity::Block { "error" } else { "warning" };
    let _ = writeln!(out, "{level}[{}]: {}", f.rule, clean(&f.message));
    let mut place = Vec::new();
    if let Some(r) = &f.reference {
        place.push(clean(r));
    }
    if let Some(c) = &f.commit {
        place.push(format!("commit {}", short(c)));
    }
    if let Some(p) = &f.path {
        let p = clean(p);
        place.push(match f.line {
            Some(l) => format!("{p}:{l}"),
            None => p,
        });
    }
    if !place.is_empty() {
        let _ = writeln!(out, "  at: {}", place.join(", "));
    }
    if let Some(p) = &f.policy {
        let _ = writeln!(out, "  policy: {p}");
    }
    if let Some(h) = &f.help {
        for (i, line) in h.lines().enumerate() {
            let _ = writeln!(out, "  {}{line}", if i == 0 { "help: " } else { "      " });
        }
    }
}

/// Render for a person. Every line ends with a newline.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", verdict(report, style));
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    // Blocking problems first; otherwise keep the order the checks produced.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        block(&mut out, f);
    }
    for n in &report.notes {
        let _ = writeln!(out, "note: {}", clean(n));
    }
    if style.gitlab { out.lines().map(|l| format!("GL-HOOK-ERR: {l}\n")).collect() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Category;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\nb\tc\x1b[31m\u{7f}"), "a\\nb\\tc\\x1b[31m\\x7f");
        assert_eq!(clean("plain/path é.txt"), "plain/path é.txt");
    }

    #[test]
    fn gitlab_prefixes_every_line() {
        let mut r = Report::default();
        r.findings.push(
            Finding::new("branch/delete", Category::Branch, "deleting refs/heads/live is not allowed").help("a\nb"),
        );
        let text = render(&r, Style { gitlab: true, hook: true });
        assert!(text.lines().all(|l| l.starts_with("GL-HOOK-ERR: ")), "{text}");
        assert!(text.starts_with("GL-HOOK-ERR: pushgate: push rejected: 1 problem"));
    }
}
