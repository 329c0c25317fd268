//! Policy diagnostics: a message tied to a byte span of the policy file, rendered as
//! `file:line:col: message` with the offending line and a caret, like rustc and typos do.
//!
//! All diagnostics of one load are collected before anything is reported, so the administrator
//! sees every problem of a policy at once (cargo-deny's habit).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// The text of a policy file and the name it is shown under.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
}

impl Source {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text.get(line_start..offset).map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }

    /// The whole line that holds `offset`, without its newline.
    pub fn line_text(&self, offset: usize) -> &str {
        let offset = offset.min(self.text.len());
        let start = self.text.get(..offset).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1);
        let end = self.text.get(offset..).and_then(|s| s.find('\n')).map_or(self.text.len(), |i| offset + i);
        self.text.get(start..end).unwrap_or("").trim_end_matches('\r')
    }

    /// `file:line:col` of a span.
    pub fn locate(&self, span: &Range<usize>) -> String {
        let (line, col) = self.line_col(span.start);
        format!("{}:{line}:{col}", self.name)
    }

    /// `file:line:col  <the line>`: the "defined here" label attached to findings.
    pub fn label(&self, span: &Range<usize>) -> String {
        format!("{}  {}", self.locate(span), self.line_text(span.start).trim())
    }
}

/// One problem with a policy file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub source: Option<Source>,
    pub span: Option<Range<usize>>,
    pub message: String,
}

impl Diagnostic {
    pub fn at(source: &Source, span: Range<usize>, message: impl Into<String>) -> Self {
        Self { source: Some(source.clone()), span: Some(span), message: message.into() }
    }

    pub fn file(source: &Source, message: impl Into<String>) -> Self {
        Self { source: Some(source.clone()), span: None, message: message.into() }
    }

    pub fn bare(message: impl Into<String>) -> Self {
        Self { source: None, span: None, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, &self.span) {
            (Some(src), Some(span)) => {
                let (line, col) = src.line_col(span.start);
                writeln!(f, "error: {}:{line}:{col}: {}", src.name, self.message)?;
                let text = src.line_text(span.start);
                let gutter = line.to_string();
                writeln!(f, "{} |", " ".repeat(gutter.len()))?;
                writeln!(f, "{gutter} | {text}")?;
                let width = span.end.saturating_sub(span.start).clamp(1, text.len().max(1));
                write!(f, "{} | {}{}", " ".repeat(gutter.len()), " ".repeat(col - 1), "^".repeat(width.min(60)))
            }
            (Some(src), None) => write!(f, "error: {}: {}", src.name, self.message),
            _ => write!(f, "error: {}", self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source { name: "p.toml".into(), text: text.into() }
    }

    #[test]
    fn line_and_column_are_one_based() {
        let s = src("a = 1\n[x]\nkey = \"v\"\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        assert_eq!(s.line_col(16), (3, 7));
        assert_eq!(s.line_text(16), "key = \"v\"");
        assert_eq!(s.locate(&(16..19)), "p.toml:3:7");
    }

    #[test]
    fn offsets_past_the_end_do_not_panic() {
        let s = src("é\n");
        assert_eq!(s.line_col(99).0, 2);
        assert_eq!(s.line_col(1), (1, 1)); // inside a multi-byte char: no panic
        let d = Diagnostic::at(&s, 50..60, "x");
        assert!(d.to_string().starts_with("error: p.toml:2:1: x"));
    }
}
