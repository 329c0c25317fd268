//! PII detectors: the content of one text buffer → validated findings.
//!
//! Pipeline per buffer: a byte census of each line (digit runs, capitals, `@`, …) says which
//! patterns may match on it; each pattern runs only on those lines (regex-automata, ASCII
//! mode); each candidate is validated in Rust
//! (checksums, issuer/country tables, known test values, token boundaries, context). Overlaps
//! between detectors are resolved by priority, then many distinct values in one buffer (a data
//! dump) escalate warn findings to block. Values never leave this module except as byte ranges.
//!
//! Precision rule shared by the detectors: a bare digit run counts only with context (a key,
//! SQL/CSV/Markdown column or nearby word, see [`context`]) unless it is in the identifier's
//! canonical printed format; digits glued to a longer alphanumeric token never count.

mod br;
mod card;
mod checksum;
mod config;
mod context;
mod email;
mod iban;
mod known;
mod nhs;
mod phone;
mod pix;
mod uk_nino;
mod us_ssn;

pub use config::{AllowPaths, ConfigError, Level, PiiConfig};

use context::TextCtx;
use globset::GlobSet;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

/// Severity of a PII finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiSeverity {
    Block,
    Warn,
}

/// One finding. `value` is a byte range into the scanned text; no value is stored here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiMatch {
    pub detector_id: &'static str,
    pub description: &'static str,
    /// 1-based line in the scanned text.
    pub line: u32,
    pub value: Range<usize>,
    pub severity: PiiSeverity,
    /// Extra facts, e.g. the card network or "one of 240 distinct PII values in this buffer".
    pub note: Option<String>,
}

/// A detector as listed by `pushgate rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorInfo {
    pub id: &'static str,
    /// Key of the detector in `[pii]` / `[pii.allow-paths]`.
    pub config_key: &'static str,
    pub description: &'static str,
    pub default_severity: PiiSeverity,
    /// Severity in this scanner (`None`: turned off).
    pub severity: Option<PiiSeverity>,
}

/// A validated candidate from one detector.
pub(crate) struct Hit {
    pub range: Range<usize>,
    /// Normalised value, only used to count distinct values (never reported).
    pub key: Vec<u8>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Det {
    BrPix,
    PaymentCard,
    Iban,
    BrCnpj,
    BrCpf,
    UkNhsNumber,
    UkNino,
    UsSsn,
    Phone,
    Email,
}

/// Priority order: when two detectors claim overlapping bytes, the earlier one wins.
const ALL: [Det; 10] = [
    Det::BrPix,
    Det::PaymentCard,
    Det::Iban,
    Det::BrCnpj,
    Det::BrCpf,
    Det::UkNhsNumber,
    Det::UkNino,
    Det::UsSsn,
    Det::Phone,
    Det::Email,
];

impl Det {
    fn idx(self) -> usize {
        ALL.iter().position(|&d| d == self).unwrap_or(0)
    }
    fn id(self) -> &'static str {
        match self {
            Det::PaymentCard => "pii/payment-card",
            Det::Iban => "pii/iban",
            Det::UkNhsNumber => "pii/uk-nhs-number",
            Det::UkNino => "pii/uk-nino",
            Det::BrCpf => "pii/br-cpf",
            Det::BrCnpj => "pii/br-cnpj",
            Det::BrPix => "pii/br-pix",
            Det::UsSsn => "pii/us-ssn",
            Det::Email => "pii/email",
            Det::Phone => "pii/phone",
        }
    }
    fn config_key(self) -> &'static str {
        self.id().trim_start_matches("pii/")
    }
    fn description(self) -> &'static str {
        match self {
            Det::PaymentCard => "Payment card number (Luhn, issuer prefix and length; test cards skipped)",
            Det::Iban => "IBAN (country length, BBAN shape, mod-97; documentation examples skipped)",
            Det::UkNhsNumber => "UK NHS number (mod-11; 9xx test range skipped; bare digits need context)",
            Det::UkNino => "UK National Insurance number (prefix rules, suffix A-D; QQ/ZZ examples skipped)",
            Det::BrCpf => "Brazilian CPF (check digits; bare digits need context)",
            Det::BrCnpj => "Brazilian CNPJ incl. alphanumeric (check digits; bare runs need context)",
            Det::BrPix => "Pix copia-e-cola payload (BR Code with valid CRC) and the Pix key inside",
            Det::UsSsn => "US Social Security number (area/group/serial rules; ad/sample numbers skipped)",
            Det::Email => "E-mail address (reserved domains, noreply, trailers and author metadata skipped)",
            Det::Phone => "Phone number (+CC, UK and Brazilian formats; fictional ranges skipped)",
        }
    }
    fn default_severity(self) -> PiiSeverity {
        match self {
            Det::UsSsn | Det::Email | Det::Phone => PiiSeverity::Warn,
            _ => PiiSeverity::Block,
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Det::PaymentCard => "card numbers",
            Det::Iban => "IBANs",
            Det::UkNhsNumber => "NHS numbers",
            Det::UkNino => "NI numbers",
            Det::BrCpf => "CPFs",
            Det::BrCnpj => "CNPJs",
            Det::BrPix => "Pix payloads/keys",
            Det::UsSsn => "SSNs",
            Det::Email => "e-mail addresses",
            Det::Phone => "phone numbers",
        }
    }
}

#[derive(Clone, Copy)]
enum Pat {
    Card,
    Iban,
    Nhs,
    Nino,
    Cpf,
    Cnpj,
    PixPayload,
    PixEvp,
    Ssn,
    Email,
    PhoneIntl,
    PhoneUk,
    PhoneBr,
}

const PATTERNS: &[(Det, Pat, &str)] = &[
    (Det::PaymentCard, Pat::Card, card::PATTERN),
    (Det::Iban, Pat::Iban, iban::PATTERN),
    (Det::UkNhsNumber, Pat::Nhs, nhs::PATTERN),
    (Det::UkNino, Pat::Nino, uk_nino::PATTERN),
    (Det::BrCpf, Pat::Cpf, br::CPF_PATTERN),
    (Det::BrCnpj, Pat::Cnpj, br::CNPJ_PATTERN),
    (Det::BrPix, Pat::PixPayload, pix::PAYLOAD_PATTERN),
    (Det::BrPix, Pat::PixEvp, pix::EVP_PATTERN),
    (Det::UsSsn, Pat::Ssn, us_ssn::PATTERN),
    (Det::Email, Pat::Email, email::PATTERN),
    (Det::Phone, Pat::PhoneIntl, phone::INTL_PATTERN),
    (Det::Phone, Pat::PhoneUk, phone::UK_PATTERN),
    (Det::Phone, Pat::PhoneBr, phone::BR_PATTERN),
];

/// Lazy-DFA cache of each pattern's regex. The default (2 MiB) is too small for the counted
/// repetitions of the patterns on digit-heavy data: the cache is cleared over and over and the
/// regex gives up for the PikeVM, several times slower.
const PII_DFA_LIMIT: usize = 32 << 20;

/// A detector's candidate regex: regex-automata's meta engine (what `regex` runs on) in ASCII
/// byte mode, without a literal prefilter: for digit-class patterns the prefilter is hundreds
/// of literals, which cost most of the compile (a hook compiles the regexes a push needs on
/// every run) and do not make the search faster.
pub(crate) struct Pattern(regex_automata::meta::Regex);

/// One match of a [`Pattern`] in `text`.
pub(crate) struct Found<'t> {
    text: &'t [u8],
    range: Range<usize>,
}

impl<'t> Found<'t> {
    pub fn start(&self) -> usize {
        self.range.start
    }
    pub fn end(&self) -> usize {
        self.range.end
    }
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }
    pub fn as_bytes(&self) -> &'t [u8] {
        self.text.get(self.range.clone()).unwrap_or_default()
    }
}

impl Pattern {
    fn new(src: &str) -> Result<Self, Box<regex_automata::meta::BuildError>> {
        regex_automata::meta::Regex::builder()
            .configure(regex_automata::meta::Config::new().auto_prefilter(false).hybrid_cache_capacity(PII_DFA_LIMIT))
            .syntax(regex_automata::util::syntax::Config::new().unicode(false).utf8(false))
            .build(src)
            .map(Pattern)
            .map_err(Box::new)
    }

    /// Leftmost-first, non-overlapping matches, as `regex::bytes::Regex::find_iter`.
    pub fn find_iter<'r, 't>(&'r self, text: &'t [u8]) -> impl Iterator<Item = Found<'t>> + 'r
    where
        't: 'r,
    {
        self.0.find_iter(text).map(move |m| Found { text, range: m.range() })
    }
}

/// A pattern's regex and where to run it: the whole text, or only the given lines.
pub(crate) struct Scoped<'a> {
    re: &'a Pattern,
    lines: Option<&'a [Range<usize>]>,
}

impl Scoped<'_> {
    /// `re.find_iter(text)`, restricted to the lines. The same matches: none spans a newline,
    /// and leftmost-first matching from a line's start finds what it finds from any earlier
    /// position that no match crosses.
    pub fn find_iter<'t>(&self, text: &'t [u8]) -> std::vec::IntoIter<Found<'t>> {
        let found: Vec<Found<'t>> = match self.lines {
            None => self.re.find_iter(text).collect(),
            Some(lines) => lines
                .iter()
                .flat_map(|l| self.re.0.find_iter(regex_automata::Input::new(text).range(l.clone())))
                .map(|m| Found { text, range: m.range() })
                .collect(),
        };
        found.into_iter()
    }
}

/// Pattern `i`'s own regex, compiled on first use.
fn regex(i: usize) -> Option<&'static Pattern> {
    static RES: [OnceLock<Pattern>; PATTERNS.len()] = [const { OnceLock::new() }; PATTERNS.len()];
    let (_, _, src) = PATTERNS.get(i)?;
    Some(RES.get(i)?.get_or_init(|| Pattern::new(src).expect("BUG: built-in PII patterns must compile")))
}

/// Byte counts of a text that decide, without any regex, which patterns cannot match in it.
struct Census {
    digits: usize,
    /// Most digits in one run of bytes from `[0-9 ().+/-]`: every match of the numeric patterns
    /// (cards, NHS, CPF, SSN, phones) lies inside such a run, so it holds at most this many.
    run_digits: usize,
    /// Most `[0-9A-Z]` in one run of `[0-9A-Z./-]` (a CNPJ has 14).
    run_cnpj: usize,
    /// Longest run of hex digits (a UUID ends with 12).
    run_hex: usize,
    upper: usize,
    hyphens: usize,
    /// Two capitals, an optional space, two digits (`GB82`, `QQ 12`): IBANs and NI numbers.
    caps_digits: bool,
    at: bool,
    plus: bool,
    pix: bool,
}

impl Census {
    fn of(text: &[u8]) -> Self {
        let mut c = Census {
            digits: 0,
            run_digits: 0,
            run_cnpj: 0,
            run_hex: 0,
            upper: 0,
            hyphens: 0,
            caps_digits: false,
            at: false,
            plus: false,
            pix: false,
        };
        let (mut run, mut cnpj, mut hex) = (0, 0, 0);
        for &b in text {
            match b {
                b'0'..=b'9' => {
                    c.digits += 1;
                    run += 1;
                    c.run_digits = c.run_digits.max(run);
                }
                b' ' | b'(' | b')' | b'.' | b'/' => {}
                b'-' => c.hyphens += 1,
                b'+' => c.plus = true,
                _ => {
                    run = 0;
                    match b {
                        b'A'..=b'Z' => c.upper += 1,
                        b'@' => c.at = true,
                        _ => {}
                    }
                }
            }
            if b.is_ascii_digit() || b.is_ascii_uppercase() {
                cnpj += 1;
                c.run_cnpj = c.run_cnpj.max(cnpj);
            } else if !matches!(b, b'.' | b'/' | b'-') {
                cnpj = 0;
            }
            if b.is_ascii_hexdigit() {
                hex += 1;
                c.run_hex = c.run_hex.max(hex);
            } else {
                hex = 0;
            }
        }
        if c.upper >= 2 && c.digits >= 2 {
            c.caps_digits = text.windows(4).enumerate().any(|(i, w)| {
                w[0].is_ascii_uppercase()
                    && w[1].is_ascii_uppercase()
                    && ((w[2].is_ascii_digit() && w[3].is_ascii_digit())
                        || (w[2] == b' ' && w[3].is_ascii_digit() && text.get(i + 4).is_some_and(u8::is_ascii_digit)))
            });
        }
        // `br.gov.bcb.pix` has three dots; most texts have fewer, and the window scan is skipped.
        c.pix = memchr::memchr_iter(b'.', text).nth(2).is_some()
            && text.windows(PIX_GUI.len()).any(|w| w.eq_ignore_ascii_case(PIX_GUI));
        c
    }

    /// Can `pat` match anywhere in the text? Each bound is the least any match of the pattern
    /// holds (see the patterns); `false` only when no match is possible.
    fn admits(&self, pat: Pat) -> bool {
        match pat {
            // 13–26 digits, separated by single spaces or hyphens.
            Pat::Card => self.run_digits >= 13,
            // [A-Z]{2}[0-9]{2} then 10+ more.
            Pat::Iban => self.caps_digits,
            // 3+3+4 digits.
            Pat::Nhs => self.run_digits >= 10,
            // [A-Z]{2} 6 digits [A-D].
            Pat::Nino => self.caps_digits && self.upper >= 3 && self.digits >= 6,
            // 3+3+3+2 digits, dots and a hyphen.
            Pat::Cpf => self.run_digits >= 11,
            // 12 of [0-9A-Z] then 2 digits, with dots, a slash and a hyphen.
            Pat::Cnpj => self.digits >= 2 && self.run_cnpj >= 14,
            Pat::PixPayload => self.pix,
            // 32 hex digits in 8-4-4-4-12.
            Pat::PixEvp => self.hyphens >= 4 && self.run_hex >= 12,
            // 3+2+4 digits.
            Pat::Ssn => self.run_digits >= 9,
            Pat::Email => self.at,
            // + [1-9] … [0-9].
            Pat::PhoneIntl => self.plus && self.run_digits >= 2,
            // 0 [1-9] [0-9]{1,3} [0-9]{3,4} [0-9]{3,4}, parentheses, spaces, hyphens.
            Pat::PhoneUk => self.run_digits >= 9,
            // [1-9][0-9] [0-9]{4} [0-9]{4}.
            Pat::PhoneBr => self.run_digits >= 10,
        }
    }
}

/// Can a match of some pattern lie in `line`? Six counts (one table lookup per byte) answer `false`
/// for most lines of source code, which are then not censused at all. Each clause is what every
/// match of some patterns holds: 9 digits (cards, NHS, CPF, SSN, UK and BR phones), 14 capitals
/// and digits of which 2 digits (IBAN, CNPJ), 3 capitals and 6 digits (NINO), `+` and 2 digits
/// (international phones), `@` (email), 4 hyphens (a UUID Pix key), 3 dots (`br.gov.bcb.pix`).
/// A test checks it on generated matches of every pattern.
fn may_hold_pii(line: &[u8]) -> bool {
    let Counts { digits, upper, hyphens, dots, at, plus } = Counts::of(line);
    digits >= 9
        || (digits >= 2 && upper + digits >= 14)
        || (digits >= 6 && upper >= 3)
        || (plus > 0 && digits >= 2)
        || at > 0
        || hyphens >= 4
        || dots >= 3
}

/// The six counts of [`may_hold_pii`].
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    digits: u32,
    upper: u32,
    hyphens: u32,
    dots: u32,
    at: u32,
    plus: u32,
}

/// Per byte, its increments of [`Counts`] packed in one word: digits in bits 0–15, capitals
/// 16–31, then one byte each for `-`, `.`, `@`, `+`. Adding words counts all six at once; a sum
/// over at most 255 bytes cannot carry one field into the next.
const COUNT_BITS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            1
        } else if c.is_ascii_uppercase() {
            1 << 16
        } else if c == b'-' {
            1 << 32
        } else if c == b'.' {
            1 << 40
        } else if c == b'@' {
            1 << 48
        } else if c == b'+' {
            1 << 56
        } else {
            0
        };
        b += 1;
    }
    t
};

impl Counts {
    fn of(line: &[u8]) -> Self {
        let mut c = Counts { digits: 0, upper: 0, hyphens: 0, dots: 0, at: 0, plus: 0 };
        // 255 bytes at a time: no field of the packed sum can carry into the next.
        for chunk in line.chunks(255) {
            let w: u64 = chunk.iter().map(|&b| COUNT_BITS[usize::from(b)]).sum();
            let field = |shift: u32, mask: u64| ((w >> shift) & mask) as u32;
            c.digits += field(0, 0xffff);
            c.upper += field(16, 0xffff);
            c.hyphens += field(32, 0xff);
            c.dots += field(40, 0xff);
            c.at += field(48, 0xff);
            c.plus += field(56, 0xff);
        }
        c
    }
}

/// Per pattern, the lines (byte ranges, without their newline) whose census admits it. No
/// pattern matches a newline (a test checks it), so every match lies inside one line, and a
/// line's census holds at least what the census of a match in it holds.
fn census_lines(text: &[u8]) -> Vec<Vec<Range<usize>>> {
    let mut out: Vec<Vec<Range<usize>>> = vec![Vec::new(); PATTERNS.len()];
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len())) {
        let line = text.get(start..end).unwrap_or_default();
        if may_hold_pii(line) {
            let census = Census::of(line);
            for (lines, &(_, pat, _)) in out.iter_mut().zip(PATTERNS) {
                if census.admits(pat) {
                    lines.push(start..end);
                }
            }
        }
        start = end + 1;
    }
    out
}

/// The literal every Pix payload pattern match is (`pix::PAYLOAD_PATTERN`, case-insensitive).
const PIX_GUI: &[u8] = b"br.gov.bcb.pix";

/// How a scan pre-selects the patterns that may match a buffer; both give the same findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A byte census of each line, after a cheaper count that most lines fail ([`census_lines`]);
    /// each pattern runs only on the lines that admit it. What every scan uses.
    Lines,
    /// Every pattern over the whole text, nothing pre-selected: the reference the tests compare
    /// [`Strategy::Lines`] with.
    Whole,
}

/// The PII scanner: detector severities, path allowlists, thresholds. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct PiiScanner {
    enabled: bool,
    severity: [Option<PiiSeverity>; 10],
    allow: [Option<GlobSet>; 10],
    allow_all: Option<GlobSet>,
    dump_threshold: usize,
    window: usize,
}

impl PiiScanner {
    /// Every detector on at its default severity, default thresholds, no path allowlists.
    pub fn builtin() -> Self {
        Self {
            enabled: true,
            severity: ALL.map(|d| Some(d.default_severity())),
            allow: Default::default(),
            allow_all: None,
            dump_threshold: config::DEFAULT_DUMP_THRESHOLD,
            window: config::DEFAULT_CONTEXT_WINDOW,
        }
    }

    /// Validate `[pii]` and build a scanner; returns every problem found.
    pub fn from_config(cfg: &PiiConfig) -> Result<Self, Vec<ConfigError>> {
        let mut errs = Vec::new();
        let mut s = Self::builtin();
        s.enabled = cfg.enabled;
        for d in ALL {
            match cfg.level(d.config_key()) {
                Some(Level::Block) => s.severity[d.idx()] = Some(PiiSeverity::Block),
                Some(Level::Warn) => s.severity[d.idx()] = Some(PiiSeverity::Warn),
                Some(Level::Off) => s.severity[d.idx()] = None,
                None => {}
            }
            let key = format!("pii.allow-paths.{}", d.config_key());
            s.allow[d.idx()] = config::compile_globs(cfg.allow_globs(d.config_key()), &key, &mut errs);
        }
        s.allow_all = config::compile_globs(&cfg.allow_paths_all, "pii.allow-paths-all", &mut errs);
        s.dump_threshold = cfg.dump_threshold_checked(&mut errs);
        s.window = cfg.context_window_checked(&mut errs);
        if errs.is_empty() { Ok(s) } else { Err(errs) }
    }

    /// All detectors with their ids, docs and severities (for `pushgate rules`).
    pub fn detectors(&self) -> Vec<DetectorInfo> {
        let mut v: Vec<DetectorInfo> = ALL
            .iter()
            .map(|&d| DetectorInfo {
                id: d.id(),
                config_key: d.config_key(),
                description: d.description(),
                default_severity: d.default_severity(),
                severity: if self.enabled { self.severity[d.idx()] } else { None },
            })
            .collect();
        v.sort_by_key(|d| d.id);
        v
    }

    /// Scan one buffer (a whole file, or its added lines joined by `\n`).
    pub fn scan(&self, path: &[u8], text: &[u8]) -> Vec<PiiMatch> {
        self.scan_with_header(path, None, text)
    }

    /// Like [`Self::scan`], with the CSV header line of the file supplied separately, for
    /// when `text` holds only added lines and the header is not among them.
    pub fn scan_with_header(&self, path: &[u8], header_line: Option<&[u8]>, text: &[u8]) -> Vec<PiiMatch> {
        self.scan_using(Strategy::Lines, path, header_line, text)
    }

    /// [`Self::scan_with_header`] with a choice of how patterns are pre-selected.
    pub fn scan_using(
        &self,
        strategy: Strategy,
        path: &[u8],
        header_line: Option<&[u8]>,
        text: &[u8],
    ) -> Vec<PiiMatch> {
        if !self.enabled || text.is_empty() {
            return Vec::new();
        }
        let path_str = String::from_utf8_lossy(path);
        let path_str = path_str.trim_start_matches("./");
        if self.allow_all.as_ref().is_some_and(|g| g.is_match(path_str)) {
            return Vec::new();
        }
        let active: Vec<Det> = ALL
            .into_iter()
            .filter(|d| {
                self.severity[d.idx()].is_some() && !self.allow[d.idx()].as_ref().is_some_and(|g| g.is_match(path_str))
            })
            .collect();
        if active.is_empty() {
            return Vec::new();
        }
        let lines = match strategy {
            Strategy::Lines => Some(census_lines(text)),
            Strategy::Whole => None,
        };
        let present: Vec<bool> = match &lines {
            Some(lines) => lines.iter().map(|l| !l.is_empty()).collect(),
            None => vec![true; PATTERNS.len()],
        };
        if !present.contains(&true) {
            return Vec::new();
        }
        let ctx = TextCtx::new(path, header_line, text, self.window);
        let mut hits: Vec<(Det, Hit, bool)> = Vec::new();
        for (i, &(det, pat, _)) in PATTERNS.iter().enumerate() {
            if !present.get(i).copied().unwrap_or(false) || !active.contains(&det) {
                continue;
            }
            let Some(re) = regex(i) else { continue };
            let re = &Scoped { re, lines: lines.as_ref().and_then(|l| l.get(i)).map(Vec::as_slice) };
            let found = match pat {
                Pat::Card => card::find(&ctx, re),
                Pat::Iban => iban::find(&ctx, re),
                Pat::Nhs => nhs::find(&ctx, re),
                Pat::Nino => uk_nino::find(&ctx, re),
                Pat::Cpf => br::find_cpf(&ctx, re),
                Pat::Cnpj => br::find_cnpj(&ctx, re),
                Pat::PixPayload => pix::find_payloads(&ctx, re),
                Pat::PixEvp => pix::find_evp(&ctx, re),
                Pat::Ssn => us_ssn::find(&ctx, re),
                Pat::Email => email::find(&ctx, re, path),
                Pat::PhoneIntl => phone::find_intl(&ctx, re, path),
                Pat::PhoneUk => phone::find_national(&ctx, re, true),
                Pat::PhoneBr => phone::find_national(&ctx, re, false),
            };
            // A Pix key lies inside its payload on purpose; it must not be dropped as overlap.
            let nested = matches!(pat, Pat::PixPayload);
            hits.extend(found.into_iter().map(|h| {
                let inner = nested && h.note.as_deref().is_some_and(|n| n.starts_with("Pix key"));
                (det, h, inner)
            }));
        }
        let kept = resolve_overlaps(hits);
        self.finish(&ctx, kept)
    }

    fn finish(&self, ctx: &TextCtx<'_>, kept: Vec<(Det, Hit)>) -> Vec<PiiMatch> {
        let mut distinct: HashSet<(Det, &[u8])> = HashSet::new();
        let mut per_det: HashMap<Det, usize> = HashMap::new();
        for (d, h) in &kept {
            if distinct.insert((*d, h.key.as_slice())) {
                *per_det.entry(*d).or_default() += 1;
            }
        }
        let total = distinct.len();
        let dump = total >= self.dump_threshold;
        let mut out: Vec<PiiMatch> = kept
            .iter()
            .map(|(d, h)| {
                let base = self.severity[d.idx()].unwrap_or(PiiSeverity::Warn);
                let mut note = h.note.clone();
                let severity = if dump {
                    let n = per_det.get(d).copied().unwrap_or(0);
                    let dump_note = format!(
                        "one of {total} distinct PII values in this buffer ({n} {}): looks like a data dump{}",
                        d.noun(),
                        if base == PiiSeverity::Warn { ", so raised from warn to block" } else { "" },
                    );
                    note = Some(match note {
                        Some(n) => format!("{n}; {dump_note}"),
                        None => dump_note,
                    });
                    PiiSeverity::Block
                } else {
                    base
                };
                PiiMatch {
                    detector_id: d.id(),
                    description: d.description(),
                    line: ctx.line_of(h.range.start),
                    value: h.range.clone(),
                    severity,
                    note,
                }
            })
            .collect();
        out.sort_by_key(|m| (m.value.start, m.value.end));
        out
    }
}

/// Keep the highest-priority (then longest) hit for any overlapping bytes.
fn resolve_overlaps(mut hits: Vec<(Det, Hit, bool)>) -> Vec<(Det, Hit)> {
    hits.sort_by_key(|(d, h, _)| (d.idx(), h.range.start, usize::MAX - h.range.len()));
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(hits.len());
    for (d, h, nested) in hits {
        if nested {
            out.push((d, h));
            continue;
        }
        let overlaps = taken.range(..h.range.end).next_back().is_some_and(|(_, &end)| end > h.range.start);
        if !overlaps {
            taken.insert(h.range.start, h.range.end);
            out.push((d, h));
        }
    }
    out
}

#[cfg(test)]
mod tests;
