//! PII detectors: the content of one text buffer → validated findings.
//!
//! Pipeline per buffer: a census of each line (counts of digits, capitals, `@`, …, then the
//! runs of bytes the patterns are made of) says where each pattern may match ([`census`]); each
//! pattern runs only there (regex-automata, ASCII mode); each candidate is validated in Rust
//! (checksums, issuer/country tables, known test values, token boundaries, context). Overlaps
//! between detectors are resolved by priority, then many distinct values in one buffer (a data
//! dump) escalate warn findings to block. Values never leave this module except as byte ranges.
//!
//! Precision rule shared by the detectors: a bare digit run counts only with context (a key,
//! SQL/CSV/Markdown column or nearby word, see [`context`]) unless it is in the identifier's
//! canonical printed format; digits glued to a longer alphanumeric token never count.

mod br;
mod card;
mod census;
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
/// byte mode, without a literal prefilter and without a dense DFA. A hook compiles the regexes a
/// push needs on every run: for digit-class patterns the prefilter is hundreds of literals, and
/// the dense DFAs the meta engine builds up front for the small patterns cost ≈ 1.5 ms in a
/// one-commit push whose added line holds a long number (6 numeric patterns); neither makes the
/// search of a whole history measurably faster than the lazy DFA.
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
            .configure(
                regex_automata::meta::Config::new()
                    .auto_prefilter(false)
                    .dfa(false)
                    .hybrid_cache_capacity(PII_DFA_LIMIT),
            )
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

/// A pattern's regex and where to run it: the whole text, or only the given ranges.
pub(crate) struct Scoped<'a> {
    re: &'a Pattern,
    ranges: Option<&'a [Range<usize>]>,
}

impl Scoped<'_> {
    /// `re.find_iter(text)`, restricted to the ranges. The same matches when every match lies
    /// inside one range (see [`census`]): leftmost-first matching from a range's start finds
    /// what it finds from any earlier position that no match crosses.
    pub fn find_iter<'t>(&self, text: &'t [u8]) -> std::vec::IntoIter<Found<'t>> {
        let found: Vec<Found<'t>> = match self.ranges {
            None => self.re.find_iter(text).collect(),
            Some(ranges) => ranges
                .iter()
                .flat_map(|r| self.re.0.find_iter(regex_automata::Input::new(text).range(r.clone())))
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

/// How a scan pre-selects the patterns that may match a buffer; both give the same findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Six counts per line, which most lines fail, then on the others the runs of bytes each
    /// pattern is made of ([`census::candidates`]); each pattern runs only on the runs (or
    /// lines) that hold what its matches hold. What every scan uses.
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
        let (ranges, line_starts) = match strategy {
            Strategy::Lines => {
                let c = census::candidates(text);
                (Some(c.ranges), Some(c.line_starts))
            }
            Strategy::Whole => (None, None),
        };
        if ranges.as_ref().is_some_and(|r| r.iter().all(Vec::is_empty)) {
            return Vec::new();
        }
        let ctx = TextCtx::with_line_starts(path, header_line, text, self.window, line_starts);
        let mut hits: Vec<(Det, Hit, bool)> = Vec::new();
        for (i, &(det, pat, _)) in PATTERNS.iter().enumerate() {
            // Where to search: everywhere, or the pattern's candidates (none: skip it).
            let scope = match &ranges {
                None => None,
                Some(r) => match r.get(i) {
                    Some(c) if !c.is_empty() => Some(c.as_slice()),
                    _ => continue,
                },
            };
            if !active.contains(&det) {
                continue;
            }
            let Some(re) = regex(i) else { continue };
            let re = &Scoped { re, ranges: scope };
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
