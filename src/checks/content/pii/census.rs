//! Where each PII pattern may match in a text, found without any regex.
//!
//! Per line, six counts (one table lookup per byte, [`Counts`]) turn most lines of source code
//! away. On the others, the runs of bytes a pattern is made of: every numeric pattern (cards,
//! NHS, CPF, SSN, phones) matches only bytes of `[0-9 ().+/-]`, a CNPJ only `[0-9A-Z./-]`, an
//! IBAN or NI number only `[0-9A-Z ]`. No pattern matches a newline or has look-around, so
//! every match lies inside one such run, and the leftmost-first matches found in the runs of a
//! text are the ones found in the whole text. A run is a candidate for a pattern when it holds
//! what every match of the pattern holds (9 digits for an SSN, 14 of `[0-9A-Z]` for a CNPJ …);
//! the patterns without such a class (e-mail, UUID Pix keys, Pix payloads) get the whole line
//! when its counts allow them.

use super::{PATTERNS, Pat};
use std::ops::Range;

/// The literal every Pix payload pattern match is (`pix::PAYLOAD_PATTERN`, case-insensitive).
const PIX_GUI: &[u8] = b"br.gov.bcb.pix";

/// Where the patterns may match in a text, and where its lines start.
pub(super) struct Candidates {
    /// Per pattern (as in [`PATTERNS`]), byte ranges of the text, in text order and not
    /// overlapping.
    pub(super) ranges: Vec<Vec<Range<usize>>>,
    /// The offset of every line: 0, then one past each newline.
    pub(super) line_starts: Vec<usize>,
}

/// The candidates of `text`. One pass over the bytes finds the newlines and sums each line's
/// [`Counts`] (a line over 255 bytes, whose packed sum could carry, is counted again in
/// chunks); only lines whose counts may hold PII are measured further.
pub(super) fn candidates(text: &[u8]) -> Candidates {
    let mut out = Candidates { ranges: vec![Vec::new(); PATTERNS.len()], line_starts: vec![0] };
    let mut runs = Runs::default();
    // Most lines end at the first test: short, and their counts turn them away.
    let may_hold_pii =
        |start: usize, end: usize, packed: u64| end - start > 255 || Counts::unpack(packed).may_hold_pii();
    let (mut start, mut packed) = (0, 0u64);
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' {
            if may_hold_pii(start, i, packed) {
                runs.measure(text, start..i, packed, &mut out.ranges);
            }
            (start, packed) = (i + 1, 0);
            out.line_starts.push(start);
        } else {
            packed = packed.wrapping_add(COUNT_BITS[usize::from(b)]);
        }
    }
    if may_hold_pii(start, text.len(), packed) {
        runs.measure(text, start..text.len(), packed, &mut out.ranges);
    }
    out
}

/// A run of `[0-9 ().+/-]` in a line.
struct NumRun {
    /// Where it is in the line.
    range: Range<usize>,
    /// How many digits it holds.
    digits: u32,
    /// It holds a `+`.
    plus: bool,
    /// Its digits are all in one piece (`(0123456789 `).
    one_piece: bool,
    /// A payment card can be found in it: its digits are not in one piece, or they are and
    /// form a valid PAN (see `add_to`).
    may_be_card: bool,
}

/// The runs of one line (ranges into the line) that some pattern needs, measured only where
/// the line's counts leave such a pattern open.
#[derive(Default)]
struct Runs {
    /// Runs of at least 8 bytes from `[0-9 ().+/-]` (an international phone number is 8 bytes
    /// with a `+`, the other numeric patterns 9 digits).
    num: Vec<NumRun>,
    /// Runs of at least 14 bytes from `[0-9A-Z./-]`, with their `[0-9A-Z]` (a CNPJ has 14).
    cnpj: Vec<(Range<usize>, u32)>,
    /// Runs of at least 9 bytes from `[0-9A-Z ]` that hold two capitals, an optional space and
    /// two digits (`GB82`, `QQ 12`), with their `[0-9A-Z]`: an IBAN holds 14, an NI number 9.
    caps: Vec<(Range<usize>, u32)>,
    /// The line has a run of 12 hex digits (a UUID ends with one).
    hex: bool,
    /// The line holds `br.gov.bcb.pix` in any case.
    pix: bool,
}

impl Runs {
    /// Measure the line at `at` in `text`, whose [`COUNT_BITS`] sum is `packed` (not used
    /// past 255 bytes, where it could carry), and add its candidates to `out`.
    #[inline(never)]
    fn measure(&mut self, text: &[u8], at: Range<usize>, packed: u64, out: &mut [Vec<Range<usize>>]) {
        let line = text.get(at.clone()).unwrap_or_default();
        let c = if line.len() > 255 { Counts::of(line) } else { Counts::unpack(packed) };
        if c.may_hold_pii() {
            self.of(line, &c);
            if self.any(&c) {
                self.add_to(out, at, &c);
            }
        }
    }

    /// Measure `line`, whose [`Counts`] are `c`.
    fn of(&mut self, line: &[u8], c: &Counts) {
        self.num.clear();
        self.cnpj.clear();
        self.caps.clear();
        let count =
            |run: &[u8], class: u8| run.iter().filter(|&&b| is(b, class)).count().try_into().unwrap_or(u32::MAX);
        // Every numeric pattern needs 9 digits; an international phone number `+` and 2.
        if c.digits >= 9 || (c.plus > 0 && c.digits >= 2) {
            for r in runs_of(line, DIGIT | NUM_SEP, 8) {
                let run = line.get(r.clone()).unwrap_or_default();
                let digits: u32 = count(run, DIGIT);
                if digits >= 2 {
                    let first = run.iter().position(u8::is_ascii_digit).unwrap_or(0);
                    let last = run.iter().rposition(u8::is_ascii_digit).unwrap_or(0);
                    let one_piece = usize::try_from(digits).is_ok_and(|d| last + 1 - first == d);
                    let may_be_card = !one_piece
                        || (13..=19).contains(&digits)
                            && super::card::valid_pan(run.get(first..=last).unwrap_or_default()).is_some();
                    self.num.push(NumRun { range: r, digits, plus: run.contains(&b'+'), one_piece, may_be_card });
                }
            }
        }
        // A CNPJ has 14 of `[0-9A-Z]` (2 of them digits), an IBAN 14 with two capitals, then two
        // digits, an NI number 9 of which 3 capitals and 6 digits.
        if c.digits >= 2 && (c.upper + c.digits >= 14 || (c.upper >= 3 && c.digits >= 6)) {
            // Both kinds of run lie inside runs of `[0-9A-Z./ -]` of 9 bytes, which are rare:
            // one probing pass finds those, and the two kinds are looked for only there.
            for u in runs_of(line, DIGIT | UPPER | CNPJ_SEP | SPACE, 9) {
                let outer = line.get(u.clone()).unwrap_or_default();
                let shift = |r: Range<usize>| u.start + r.start..u.start + r.end;
                for r in runs_of(outer, DIGIT | UPPER | CNPJ_SEP, 14) {
                    let alnum: u32 = count(outer.get(r.clone()).unwrap_or_default(), DIGIT | UPPER);
                    if alnum >= 14 {
                        self.cnpj.push((shift(r), alnum));
                    }
                }
                if c.upper >= 2 {
                    for r in runs_of(outer, DIGIT | UPPER | SPACE, 9) {
                        let caps = caps_run(outer.get(r.clone()).unwrap_or_default());
                        if caps >= 9 {
                            self.caps.push((shift(r), caps));
                        }
                    }
                }
            }
        }
        // A UUID has 4 hyphens and ends with 12 hex digits.
        self.hex = c.hyphens >= 4 && runs_of(line, HEX, 12).next().is_some();
        // `br.gov.bcb.pix` has three dots; most lines have fewer, and the window scan is skipped.
        self.pix = c.dots >= 3 && line.windows(PIX_GUI.len()).any(|w| w.eq_ignore_ascii_case(PIX_GUI));
    }

    /// Is there a candidate on the line measured last (whose counts are `c`)?
    fn any(&self, c: &Counts) -> bool {
        !self.num.is_empty() || !self.cnpj.is_empty() || !self.caps.is_empty() || self.hex || self.pix || c.at > 0
    }

    /// Add the candidates of the line measured last, at `line` in the text, to `out` (per
    /// pattern). Each numeric pattern's bounds are the fewest and most digits a match holds.
    fn add_to(&self, out: &mut [Vec<Range<usize>>], line: Range<usize>, c: &Counts) {
        let at = line.start;
        let shift = |r: &Range<usize>| at + r.start..at + r.end;
        for (ranges, &(_, pat, _)) in out.iter_mut().zip(PATTERNS) {
            let (least, most) = match pat {
                // 13–26 digits, separated by single spaces or hyphens. Digits in one piece are
                // one whole match (see below), which the detector takes only as a valid PAN
                // (13–19 digits, Luhn, issuer prefix: `card::valid_pan`); a random number
                // passes one time in a few dozen.
                Pat::Card => {
                    ranges.extend(self.num.iter().filter(|n| n.digits >= 13 && n.may_be_card).map(|n| shift(&n.range)));
                    continue;
                }
                // 3+3+4 digits.
                Pat::Nhs => (10, 10),
                // 3+3+3+2 digits, dots and a hyphen.
                Pat::Cpf => (11, 11),
                // 3+2+4 digits.
                Pat::Ssn => (9, 9),
                // 0 [1-9] [0-9]{1,3} [0-9]{3,4} [0-9]{3,4}, parentheses, spaces, hyphens.
                Pat::PhoneUk => (9, 13),
                // [1-9][0-9] [0-9]{4} [0-9]{4}.
                Pat::PhoneBr => (10, 11),
                // + [1-9] [0-9 ().-]{5,24} [0-9]: 8 bytes with `+` and 2 digits.
                Pat::PhoneIntl => {
                    ranges.extend(self.num.iter().filter(|n| n.plus).map(|n| shift(&n.range)));
                    continue;
                }
                // 12 of [0-9A-Z] then 2 digits, with dots, a slash and a hyphen; a run of nothing
                // but [0-9A-Z] is one only as a whole (see the numeric patterns below), so with
                // at most 14 of them.
                Pat::Cnpj => {
                    ranges.extend(
                        self.cnpj.iter().filter(|(r, n)| *n <= 14 || r.len() != *n as usize).map(|(r, _)| shift(r)),
                    );
                    continue;
                }
                // [A-Z]{2}[0-9]{2}, then 10+ more of [A-Z0-9] with single spaces between.
                Pat::Iban => {
                    ranges.extend(self.caps.iter().filter(|(_, n)| *n >= 14).map(|(r, _)| shift(r)));
                    continue;
                }
                // [A-Z]{2}, 6 digits, [A-D], single spaces between: 9 of [A-Z0-9].
                Pat::Nino => {
                    if c.upper >= 3 && c.digits >= 6 {
                        ranges.extend(self.caps.iter().map(|(r, _)| shift(r)));
                    }
                    continue;
                }
                // 32 hex digits in 8-4-4-4-12.
                Pat::PixEvp => {
                    if self.hex {
                        ranges.push(line.clone());
                    }
                    continue;
                }
                Pat::Email => {
                    if c.at > 0 {
                        ranges.push(line.clone());
                    }
                    continue;
                }
                Pat::PixPayload => {
                    if self.pix {
                        ranges.push(line.clone());
                    }
                    continue;
                }
            };
            // A run whose digits are all in one piece can hold a finding only with all of them:
            // every numeric detector takes a match only if no letter, digit or `_` touches it
            // (`context::standalone`), and a match that leaves out a digit of the piece touches
            // it. So such a run with more digits than any match of the pattern has is no
            // candidate (a 19-digit timestamp is no NHS, CPF or SSN number, nor a national phone
            // number).
            ranges.extend(
                self.num
                    .iter()
                    .filter(|n| n.digits >= least && (n.digits <= most || !n.one_piece))
                    .map(|n| shift(&n.range)),
            );
        }
    }
}

/// Byte classes of the runs: bits for digit, capital, hex digit, `[ ().+/-]` (in a run of
/// digits), `[./-]` (in a CNPJ), space.
pub(super) const DIGIT: u8 = 1;
pub(super) const UPPER: u8 = 2;
pub(super) const HEX: u8 = 4;
pub(super) const NUM_SEP: u8 = 8;
pub(super) const CNPJ_SEP: u8 = 16;
pub(super) const SPACE: u8 = 32;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut k = 0;
        if c.is_ascii_digit() {
            k |= DIGIT;
        }
        if c.is_ascii_uppercase() {
            k |= UPPER;
        }
        if c == b' ' {
            k |= SPACE;
        }
        if c.is_ascii_hexdigit() {
            k |= HEX;
        }
        if matches!(c, b' ' | b'(' | b')' | b'.' | b'+' | b'/' | b'-') {
            k |= NUM_SEP;
        }
        if matches!(c, b'.' | b'/' | b'-') {
            k |= CNPJ_SEP;
        }
        t[b] = k;
        b += 1;
    }
    t
};

/// Is `b` in one of the classes `class`?
pub(super) fn is(b: u8, class: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

/// The maximal runs of bytes of `class` that are at least `min` bytes long. Such a run covers
/// one of the bytes `min - 1`, `2 min - 1`, … after any byte outside the class, so only those
/// are probed and the run around a probe in the class is measured: a line without long runs
/// costs one lookup per `min` bytes.
pub(super) fn runs_of(line: &[u8], class: u8, min: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let inside = move |i: usize| line.get(i).is_some_and(|&b| is(b, class));
    let min = min.max(1);
    let mut probe = min - 1;
    std::iter::from_fn(move || {
        while probe < line.len() {
            if !inside(probe) {
                probe += min;
                continue;
            }
            let (mut start, mut end) = (probe, probe + 1);
            while start > 0 && inside(start - 1) {
                start -= 1;
            }
            while inside(end) {
                end += 1;
            }
            // The byte at `end` is outside the class (or past the line).
            probe = end + min;
            if end - start >= min {
                return Some(start..end);
            }
        }
        None
    })
}

/// In a run of `[0-9A-Z ]`: its `[0-9A-Z]` if it holds two capitals, an optional space and two
/// digits (`GB82`, `QQ 12`), else 0.
fn caps_run(run: &[u8]) -> u32 {
    let (up, digit) = (u8::is_ascii_uppercase, u8::is_ascii_digit);
    let window = run.windows(4).any(|w| up(&w[0]) && up(&w[1]) && digit(&w[2]) && digit(&w[3]))
        || run.windows(5).any(|w| up(&w[0]) && up(&w[1]) && w[2] == b' ' && digit(&w[3]) && digit(&w[4]));
    if window { u32::try_from(run.iter().filter(|&b| up(b) || digit(b)).count()).unwrap_or(u32::MAX) } else { 0 }
}

/// The counts of one line that [`Counts::may_hold_pii`] decides on.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) digits: u32,
    pub(super) upper: u32,
    pub(super) hyphens: u32,
    pub(super) dots: u32,
    pub(super) at: u32,
    pub(super) plus: u32,
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
    /// The counts of `line`, one table lookup per byte.
    pub(super) fn of(line: &[u8]) -> Self {
        let mut c = Counts { digits: 0, upper: 0, hyphens: 0, dots: 0, at: 0, plus: 0 };
        // 255 bytes at a time: no field of the packed sum can carry into the next.
        for chunk in line.chunks(255) {
            let w = Counts::unpack(chunk.iter().map(|&b| COUNT_BITS[usize::from(b)]).sum());
            c.digits += w.digits;
            c.upper += w.upper;
            c.hyphens += w.hyphens;
            c.dots += w.dots;
            c.at += w.at;
            c.plus += w.plus;
        }
        c
    }

    /// The counts in a sum of [`COUNT_BITS`] over at most 255 bytes.
    #[inline(always)]
    fn unpack(w: u64) -> Self {
        let field = |shift: u32, mask: u64| ((w >> shift) & mask) as u32;
        Counts {
            digits: field(0, 0xffff),
            upper: field(16, 0xffff),
            hyphens: field(32, 0xff),
            dots: field(40, 0xff),
            at: field(48, 0xff),
            plus: field(56, 0xff),
        }
    }

    /// Can a match of some pattern lie in the line counted? `false` for most lines of source
    /// code, which are then not measured at all. Each clause is what every match of some
    /// patterns holds: 9 digits (cards, NHS, CPF, SSN, UK and BR phones), 14 capitals and
    /// digits of which 2 digits (IBAN, CNPJ), 3 capitals and 6 digits (NINO), `+` and 2 digits
    /// (international phones), `@` (email), 4 hyphens (a UUID Pix key), 3 dots
    /// (`br.gov.bcb.pix`). A test checks it on generated matches of every pattern.
    #[inline(always)]
    pub(super) fn may_hold_pii(&self) -> bool {
        let &Counts { digits, upper, hyphens, dots, at, plus } = self;
        digits >= 9
            || (digits >= 2 && upper + digits >= 14)
            || (digits >= 6 && upper >= 3)
            || (plus > 0 && digits >= 2)
            || at > 0
            || hyphens >= 4
            || dots >= 3
    }
}
