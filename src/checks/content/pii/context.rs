//! Where a candidate sits in the buffer: token boundaries (is it a standalone value or part of
//! a hash/UUID/order id?) and context (the key, column or nearby words that say what it is).
//!
//! Context is looked up in this order and the first source that exists wins, so an unrelated
//! key next to the value (`"order_id": 4010232137`) suppresses a context word further away:
//! 1. the key of a key/value pair right before the value (`"nhs_number": "…"`, `cpf=…`, `SSN: …`),
//! 2. the column of an SQL `INSERT INTO t (cols…) VALUES (…)` tuple,
//! 3. the column of a CSV/TSV row (header = first line, or the header passed by the caller),
//!    or of a Markdown table row,
//! 4. the parent key of a YAML list item / JSON array element on its own line,
//! 5. otherwise the free words within `window` bytes before the value on the same line.

use regex::bytes::Regex;
use std::ops::Range;
use std::sync::OnceLock;

/// Lines longer than this are not parsed as table rows or list items (keeps lookups linear).
const MAX_STRUCTURED_LINE: usize = 4096;

/// One scan's view of the text plus lazily built structure indexes.
pub(crate) struct TextCtx<'t> {
    pub text: &'t [u8],
    pub window: usize,
    line_starts: Vec<usize>,
    csv: Option<CsvHeader<'t>>,
    sql: OnceLock<Vec<SqlField>>,
    md_headers: OnceLock<Vec<Option<usize>>>,
}

struct CsvHeader<'t> {
    delim: u8,
    cols: Vec<&'t [u8]>,
}

struct SqlField {
    range: Range<usize>,
    column: Range<usize>,
}

impl<'t> TextCtx<'t> {
    #[cfg(test)]
    pub fn new(path: &[u8], header: Option<&'t [u8]>, text: &'t [u8], window: usize) -> Self {
        Self::with_line_starts(path, header, text, window, None)
    }

    /// [`Self::new`] with the text's line starts (0, then one past each newline) when the
    /// caller has them already; `None`: found here.
    pub fn with_line_starts(
        path: &[u8],
        header: Option<&'t [u8]>,
        text: &'t [u8],
        window: usize,
        line_starts: Option<Vec<usize>>,
    ) -> Self {
        let line_starts = line_starts.unwrap_or_else(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
            starts
        });
        let first_line = text.split(|&b| b == b'\n').next().unwrap_or(b"");
        let csv = match header {
            Some(h) => CsvHeader::parse(h, csv_delim_for(path), 2),
            None if csv_delim_for(path).is_some() => CsvHeader::parse(first_line, csv_delim_for(path), 2),
            // Unknown extension: only a clearly header-shaped first line counts.
            None => CsvHeader::parse(first_line, None, 3),
        };
        Self { text, window, line_starts, csv, sql: OnceLock::new(), md_headers: OnceLock::new() }
    }

    /// 1-based line number of a byte offset.
    pub fn line_of(&self, pos: usize) -> u32 {
        let idx = self.line_starts.partition_point(|&s| s <= pos);
        u32::try_from(idx).unwrap_or(u32::MAX)
    }

    pub fn line_range(&self, pos: usize) -> Range<usize> {
        let idx = self.line_starts.partition_point(|&s| s <= pos).max(1) - 1;
        let start = self.line_starts.get(idx).copied().unwrap_or(0);
        let end = self.line_starts.get(idx + 1).map_or(self.text.len(), |&n| n - 1);
        start..end
    }

    /// Does any context source say the value at `at` is one of `keywords`?
    /// `None` means no source had any words at all.
    pub fn has_context(&self, at: Range<usize>, keywords: &[&str]) -> bool {
        self.context_words(at.start).is_some_and(|words| words_match(&words, keywords))
    }

    /// The words that describe the value starting at `start` (see module doc for the order).
    pub fn context_words(&self, start: usize) -> Option<Vec<String>> {
        let line = self.line_range(start);
        let before = &self.text[line.start..start];
        if let Some(key) = key_before(before, self.window.max(16) * 2) {
            return Some(words(key));
        }
        if let Some(col) = self.sql_column(start) {
            return Some(words(col));
        }
        if let Some(col) = self.table_column(line.clone(), start) {
            return Some(words(col));
        }
        if let Some(key) = self.parent_key(line.clone()) {
            return Some(words(key));
        }
        let from = start.saturating_sub(self.window).max(line.start);
        Some(words(&self.text[from..start]))
    }

    /// Free words near the value on its line regardless of keys (used for negative context,
    /// e.g. "phone" next to a 3-3-4 digit group).
    pub fn nearby_words(&self, at: Range<usize>) -> Vec<String> {
        let line = self.line_range(at.start);
        let from = at.start.saturating_sub(self.window).max(line.start);
        words(&self.text[from..at.start])
    }

    fn sql_column(&self, pos: usize) -> Option<&[u8]> {
        let fields = self.sql.get_or_init(|| parse_sql_inserts(self.text));
        let i = fields.partition_point(|f| f.range.end <= pos);
        let f = fields.get(i)?;
        (f.range.start <= pos).then(|| &self.text[f.column.clone()])
    }

    fn table_column(&self, line: Range<usize>, pos: usize) -> Option<&'t [u8]> {
        let text = self.text;
        let row = &text[line.clone()];
        if row.len() > MAX_STRUCTURED_LINE {
            return None;
        }
        let trimmed = trim_ascii(row);
        if trimmed.first() == Some(&b'|') {
            return self.markdown_column(line, pos);
        }
        let header = self.csv.as_ref()?;
        let fields = split_fields(row, header.delim);
        if fields.len() != header.cols.len() {
            return None;
        }
        let off = pos - line.start;
        let idx = fields.iter().position(|r| r.start <= off && off <= r.end)?;
        header.cols.get(idx).copied()
    }

    fn markdown_column(&self, line: Range<usize>, pos: usize) -> Option<&'t [u8]> {
        let idx = self.line_starts.partition_point(|&s| s <= line.start).max(1) - 1;
        let headers = self.md_headers.get_or_init(|| self.markdown_headers());
        let header = self.nth_line((*headers.get(idx)?)?);
        let hf = split_fields(header, b'|');
        let rf = split_fields(&self.text[line.clone()], b'|');
        let off = pos - line.start;
        let i = rf.iter().position(|r| r.start <= off && off <= r.end)?;
        hf.get(i).map(|r| &header[r.clone()])
    }

    /// For every line, the header line of the Markdown table it is a body row of (one pass,
    /// so a table with many rows costs linear time).
    fn markdown_headers(&self) -> Vec<Option<usize>> {
        let mut out = Vec::with_capacity(self.line_starts.len());
        let mut header = None;
        for idx in 0..self.line_starts.len() {
            let t = trim_ascii(self.nth_line(idx));
            if t.first() != Some(&b'|') {
                header = None;
                out.push(None);
                continue;
            }
            let is_sep = t.iter().all(|b| matches!(b, b'|' | b'-' | b':' | b' ' | b'\t')) && t.contains(&b'-');
            if is_sep && idx > 0 && trim_ascii(self.nth_line(idx - 1)).first() == Some(&b'|') {
                header = Some(idx - 1);
                out.push(None);
            } else {
                out.push(header);
            }
        }
        out
    }

    /// YAML `key:` / JSON `"key": [` above a run of bare list items.
    fn parent_key(&self, line: Range<usize>) -> Option<&'t [u8]> {
        let row = trim_ascii(&self.text[line.clone()]);
        // List items are short; a long line is prose/minified data and checking it per
        // candidate would be quadratic.
        if row.len() > MAX_STRUCTURED_LINE {
            return None;
        }
        let is_item = |l: &[u8]| {
            let t = trim_ascii(l);
            t.starts_with(b"- ")
                || t.first().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'"' | b'\''))
                    && key_before(t, 64).is_none()
                    && !t.contains(&b':')
        };
        if !is_item(row) {
            return None;
        }
        let mut idx = self.line_starts.partition_point(|&s| s <= line.start).max(1) - 1;
        for _ in 0..200 {
            if idx == 0 {
                return None;
            }
            idx -= 1;
            let l = self.nth_line(idx);
            let t = trim_ascii(l);
            if t.is_empty() || is_item(l) {
                continue;
            }
            // `key:` (YAML), `key: [` / `"key": [` (YAML flow, JSON), `key = [` (TOML, Python).
            let (t, opened) = t.strip_suffix(b"[").map_or((t, false), |r| (trim_ascii(r), true));
            let t = match t.strip_suffix(b":") {
                Some(t) => t,
                None if opened => t.strip_suffix(b"=")?,
                None => return None,
            };
            let t = trim_ascii(t);
            let t = t.strip_prefix(b"\"").unwrap_or(t);
            let t = t.strip_suffix(b"\"").unwrap_or(t);
            return Some(t);
        }
        None
    }

    fn nth_line(&self, idx: usize) -> &'t [u8] {
        let text = self.text;
        let start = self.line_starts.get(idx).copied().unwrap_or(text.len());
        let end = self.line_starts.get(idx + 1).map_or(text.len(), |&n| n - 1);
        &text[start.min(end)..end]
    }
}

fn csv_delim_for(path: &[u8]) -> Option<u8> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(b".csv") {
        Some(b',')
    } else if lower.ends_with(b".tsv") || lower.ends_with(b".tab") {
        Some(b'\t')
    } else if lower.ends_with(b".psv") {
        Some(b'|')
    } else {
        None
    }
}

impl<'t> CsvHeader<'t> {
    fn parse(line: &'t [u8], delim: Option<u8>, min_cols: usize) -> Option<Self> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let delim = match delim {
            Some(b',') if count(line, b';') > count(line, b',') => b';',
            Some(d) => d,
            None => [b',', b'\t', b';'].into_iter().max_by_key(|&d| count(line, d)).unwrap_or(b','),
        };
        let fields = split_fields(line, delim);
        if fields.len() < min_cols {
            return None;
        }
        let cols: Vec<&[u8]> = fields
            .iter()
            .map(|r| {
                let f = trim_ascii(&line[r.clone()]);
                let f = f.strip_prefix(b"\"").unwrap_or(f);
                f.strip_suffix(b"\"").unwrap_or(f)
            })
            .collect();
        let header_like = cols.iter().all(|c| {
            c.first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                && c.len() <= 64
                && c.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'-' | b'.'))
        });
        header_like.then_some(Self { delim, cols })
    }
}

fn count(s: &[u8], b: u8) -> usize {
    s.iter().filter(|&&c| c == b).count()
}

/// Field ranges of a delimited row, honouring double quotes.
fn split_fields(row: &[u8], delim: u8) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_q = false;
    for (i, &b) in row.iter().enumerate() {
        if b == b'"' {
            in_q = !in_q;
        } else if b == delim && !in_q {
            out.push(start..i);
            start = i + 1;
        }
    }
    out.push(start..row.len());
    out
}

pub(crate) fn trim_ascii(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// If `before` ends with `key: ` / `key = ` / `"key": "` / `key => `, return the key text
/// (back to the previous field delimiter), else None.
fn key_before(before: &[u8], max_key: usize) -> Option<&[u8]> {
    let mut i = before.len();
    let skip_ws = |i: &mut usize| {
        while *i > 0 && matches!(before[*i - 1], b' ' | b'\t') {
            *i -= 1;
        }
    };
    skip_ws(&mut i);
    while i > 0 && matches!(before[i - 1], b'"' | b'\'' | b'`' | b'(' | b'[') {
        i -= 1;
    }
    skip_ws(&mut i);
    if i == 0 {
        return None;
    }
    let is_assignment = before[i - 1] == b'=';
    match before[i - 1] {
        b':' | b'=' => i -= 1,
        b'>' if i >= 2 && before[i - 2] == b'=' => i -= 2,
        _ => return None,
    }
    if i > 0 && matches!(before[i - 1], b':' | b'!' | b'<' | b'>' | b'=') {
        i -= 1; // `:=`, `==`, `!=` still name the left side
    }
    skip_ws(&mut i);
    let end = i;
    let quoted = i > 0 && matches!(before[i - 1], b'"' | b'\'');
    if quoted {
        let q = before[i - 1];
        i -= 1;
        let close = i;
        while i > 0 && before[i - 1] != q {
            i -= 1;
        }
        return (close - i <= max_key).then(|| &before[i..close]);
    }
    let stop = |b: u8| matches!(b, b',' | b'{' | b'[' | b'(' | b';' | b'=' | b':' | b'"' | b'\'' | b'|');
    let back = |i: &mut usize| {
        while *i > 0 && !stop(before[*i - 1]) && end - *i < max_key {
            *i -= 1;
        }
    };
    back(&mut i);
    // `name: Type = value` (Rust, TypeScript, Kotlin, Python): the name is the key, with its type.
    let typed = is_assignment && i >= 2 && before[i - 1] == b':' && before[i - 2] != b':';
    if typed {
        i -= 1;
        back(&mut i);
    }
    let key = trim_ascii(&before[i..end]);
    (!key.is_empty() && key.iter().any(u8::is_ascii_alphabetic)).then_some(key)
}

/// Lowercase words of identifiers: splits on non-alphanumerics, camelCase and letter/digit
/// changes, so `customerNhsNumber`, `nhs_number` and `NHS number` all give `nhs number`.
pub(crate) fn words(s: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev: u8 = 0;
    for &b in s {
        let alnum = b.is_ascii_alphanumeric() || b >= 0x80;
        let boundary = !alnum
            || (prev.is_ascii_lowercase() && b.is_ascii_uppercase())
            || (prev.is_ascii_alphabetic() && b.is_ascii_digit())
            || (prev.is_ascii_digit() && b.is_ascii_alphabetic());
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if alnum {
            cur.push(char::from(b.to_ascii_lowercase()));
        }
        prev = b;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A keyword is one or more space-separated words that must appear consecutively; it also
/// matches the same words written as one token (`nhsnumber`).
pub(crate) fn words_match(ws: &[String], keywords: &[&str]) -> bool {
    keywords.iter().any(|kw| {
        // `kw` without its spaces, compared byte by byte: no allocation per candidate.
        let joined = kw.bytes().filter(|&b| b != b' ');
        let n = kw.split(' ').count();
        ws.iter().any(|w| w.bytes().eq(joined.clone()))
            || (n > 1 && ws.windows(n).any(|win| win.iter().map(String::as_str).eq(kw.split(' '))))
    })
}

/// Is `start..end` a standalone token: not glued to letters/digits/underscore, nor to another
/// alphanumeric chunk through `-`, `.`, `/`, `:` or `@` (UUIDs, versions, timestamps, paths)?
pub(crate) fn standalone(text: &[u8], start: usize, end: usize) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    if start > 0 {
        let p = text[start - 1];
        if word(p) || p >= 0x80 {
            return false;
        }
        if start > 1 {
            let pp = text[start - 2];
            // `cpf:123…` is a key, `10:123…` or `a-123…` is one longer token.
            let glued = match p {
                b'-' | b'.' | b'/' | b'@' | b'\\' => word(pp),
                b':' => pp.is_ascii_digit(),
                _ => false,
            };
            if glued {
                return false;
            }
        }
    }
    if let Some(&n) = text.get(end) {
        if word(n) || n >= 0x80 {
            return false;
        }
        if let Some(&nn) = text.get(end + 1) {
            let glued = match n {
                b'-' | b'.' | b'/' | b'@' | b'\\' => word(nn),
                b':' => nn.is_ascii_digit(),
                _ => false,
            };
            if glued {
                return false;
            }
        }
    }
    true
}

fn sql_insert_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::bytes::RegexBuilder::new(r"(?i)insert\s+into\s+[^\s(]+\s*\(([^)]{1,4000})\)\s*values\s*")
            .unicode(false)
            .build()
            .expect("BUG: constant regex must compile")
    })
}

/// Byte ranges of every value in `INSERT INTO t (cols) VALUES (…), (…);` with its column name.
fn parse_sql_inserts(text: &[u8]) -> Vec<SqlField> {
    let mut out = Vec::new();
    if !text.windows(6).any(|w| w.eq_ignore_ascii_case(b"insert")) {
        return out;
    }
    for caps in sql_insert_re().captures_iter(text) {
        let (Some(cols), Some(all)) = (caps.get(1), caps.get(0)) else {
            continue;
        };
        let col_ranges: Vec<Range<usize>> = split_fields(cols.as_bytes(), b',')
            .into_iter()
            .map(|r| {
                let s = &cols.as_bytes()[r.clone()];
                let lead = s.len() - s.trim_ascii_start().len();
                let trail = s.len() - s.trim_ascii_end().len();
                let mut a = cols.start() + r.start + lead;
                let mut b = cols.start() + r.end - trail;
                if b > a + 1 && matches!(text[a], b'"' | b'`' | b'[') {
                    a += 1;
                    b -= 1;
                }
                a..b.max(a)
            })
            .collect();
        parse_tuples(text, all.end(), &col_ranges, &mut out);
    }
    out.sort_by_key(|f| f.range.start);
    out
}

fn parse_tuples(text: &[u8], mut i: usize, cols: &[Range<usize>], out: &mut Vec<SqlField>) {
    loop {
        while i < text.len() && (text[i].is_ascii_whitespace() || text[i] == b',') {
            i += 1;
        }
        if text.get(i) != Some(&b'(') {
            return;
        }
        i += 1;
        let mut field_start = i;
        let mut idx = 0usize;
        let mut depth = 0u32;
        while i < text.len() {
            match text[i] {
                b'\'' => {
                    i += 1;
                    while i < text.len() {
                        if text[i] == b'\'' {
                            if text.get(i + 1) == Some(&b'\'') {
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        i += 1;
                    }
                }
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b',' | b')' => {
                    if let Some(c) = cols.get(idx) {
                        out.push(SqlField { range: field_start..i, column: c.clone() });
                    }
                    idx += 1;
                    field_start = i + 1;
                    if text[i] == b')' {
                        i += 1;
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= text.len() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NHS: &[&str] = &["nhs", "nhs number"];

    fn ctx_at<'a>(path: &str, text: &'a str, needle: &str) -> (TextCtx<'a>, Range<usize>) {
        let ctx = TextCtx::new(path.as_bytes(), None, text.as_bytes(), 40);
        let s = text.find(needle).expect("needle in text");
        (ctx, s..s + needle.len())
    }

    #[test]
    fn words_split_identifiers() {
        assert_eq!(words(b"customerNhsNumber"), ["customer", "nhs", "number"]);
        assert_eq!(words(b"nhs_no2"), ["nhs", "no", "2"]);
        assert!(words_match(&words(b"NHSNumber"), &["nhs number"]));
        assert!(words_match(&words(b"nhsnumber"), &["nhs number"]));
        assert!(!words_match(&words(b"telemetry"), &["tel"]));
    }

    #[test]
    fn key_context_wins_over_free_window() {
        let t = r#"{"nhs": "x", "order_id": 4010232137}"#;
        let (c, r) = ctx_at("a.json", t, "4010232137");
        assert!(!c.has_context(r, NHS));
        let t = r#"{"id": 1, "nhs_number": "4010232137"}"#;
        let (c, r) = ctx_at("a.json", t, "4010232137");
        assert!(c.has_context(r, NHS));
        let t = "Patient NHS number: 4010232137";
        let (c, r) = ctx_at("a.txt", t, "4010232137");
        assert!(c.has_context(r, NHS));
        let t = "the NHS no is 4010232137";
        let (c, r) = ctx_at("a.txt", t, "4010232137");
        assert!(c.has_context(r, &["nhs"]));
    }

    #[test]
    fn csv_column() {
        let t = "id,nhs_number,order\n1,4010232137,5\n2,7,4010232137\n";
        let c = TextCtx::new(b"x.csv", None, t.as_bytes(), 40);
        let first = t.find("4010232137").expect("x");
        assert!(c.has_context(first..first + 10, NHS));
        let second = t.rfind("4010232137").expect("x");
        assert!(!c.has_context(second..second + 10, NHS));
        // Added lines only: header supplied separately.
        let t2 = "1,4010232137,5\n";
        let c = TextCtx::new(b"x.csv", Some(b"id,nhs_number,order"), t2.as_bytes(), 40);
        assert!(c.has_context(2..12, NHS));
    }

    #[test]
    fn sql_column() {
        let t = "INSERT INTO patients (id, name, nhs_number, ref)\nVALUES\n  (1, 'A, B', '4010232137', 9),\n  (2, 'C', '1', '4010232137');\n";
        let c = TextCtx::new(b"seed.sql", None, t.as_bytes(), 40);
        let first = t.find("4010232137").expect("x");
        assert!(c.has_context(first..first + 10, NHS));
        let second = t.rfind("4010232137").expect("x");
        assert!(!c.has_context(second..second + 10, NHS));
    }

    #[test]
    fn yaml_parent_and_markdown() {
        let t = "patients:\n  nhs_numbers:\n    - 4010232137\n    - 4010232138\n";
        let (c, r) = ctx_at("a.yaml", t, "4010232137");
        assert!(c.has_context(r, NHS));
        let t = "| name | NHS number |\n|---|---|\n| A | 4010232137 |\n";
        let (c, r) = ctx_at("a.md", t, "4010232137");
        assert!(c.has_context(r, NHS));
    }

    #[test]
    fn boundaries() {
        let t = b"a-4010232137 x4010232137 4010232137.5 cpf:52998224725 10:4010232137 (4010232137).";
        let find =
            |n: &[u8], from: usize| t[from..].windows(n.len()).position(|w| w == n).map(|p| p + from).expect("x");
        let p = find(b"4010232137", 0);
        assert!(!standalone(t, p, p + 10));
        let p = find(b"4010232137", p + 1);
        assert!(!standalone(t, p, p + 10));
        let p = find(b"4010232137", p + 1);
        assert!(!standalone(t, p, p + 10));
        let p = find(b"52998224725", 0);
        assert!(standalone(t, p, p + 11));
        let p = find(b"4010232137", p);
        assert!(!standalone(t, p, p + 10));
        let p = find(b"(4010232137)", 0) + 1;
        assert!(standalone(t, p, p + 10));
    }
}
