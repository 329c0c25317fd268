//! Required literals of a rule: a set of lowercase byte strings such that every match of the
//! rule's regex contains at least one of them (compared ASCII case-insensitively).
//!
//! Small pushes (a commit or a few) are scanned without the combined rule set, whose
//! compilation would cost more than the scan: each rule runs only when one of its required
//! literals occurs in the text, and its own regex is compiled on that first hit. The analysis
//! is conservative: a rule with no usable literal gets no gate and always runs, so the gate
//! never hides a finding (tests check it against every sample and the labelled corpus).

use regex_syntax::hir::{Class, Hir, HirKind};

/// Literals shorter than this are no gate. One byte still is one: `/` or `.` is absent from
/// many one-line changes, and a gate that passes costs only a compile the set would cost anyway.
const MIN_LEN: usize = 1;
/// More alternatives than this (case variants, long alternations) and the rule runs ungated.
const MAX_ALTERNATIVES: usize = 64;

/// A rule's gate: any of these (lowercase) occurs in the lowercased text, or the rule cannot match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Gate {
    literals: Vec<Vec<u8>>,
}

impl Gate {
    /// The gate of `pattern` (parsed as the engine compiles it: ASCII mode), or `None` when
    /// every match need not contain a literal of useful length.
    pub fn of(pattern: &str) -> Option<Gate> {
        let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()?;
        let mut literals = required(&hir)?;
        if literals.iter().any(|l| l.len() < MIN_LEN) || literals.len() > MAX_ALTERNATIVES {
            return None;
        }
        // A wide class on its own (any digit) is in nearly every text: no gate. Next to a
        // literal it is one (`[0-9]/`: a digit before a slash, where `/` alone admits comments).
        if literals.iter().filter(|l| l.len() == 1).count() > MAX_LONE_CLASS {
            return None;
        }
        literals.sort();
        literals.dedup();
        Some(Gate { literals })
    }

    /// The gate of a rule with keywords (lowercase): a finding needs one of them on its line.
    pub fn from_keywords(keywords: &[Vec<u8>]) -> Option<Gate> {
        if keywords.is_empty() || keywords.iter().any(Vec::is_empty) {
            return None;
        }
        let mut literals: Vec<Vec<u8>> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        literals.sort();
        literals.dedup();
        Some(Gate { literals })
    }

    /// May a rule with this gate match somewhere in a text whose ASCII-lowercased form is `lower`?
    /// ([`GateIndex::admitted`] computes it for all gates at once.)
    pub fn admits(&self, lower: &[u8]) -> bool {
        self.literals.iter().any(|l| super::rule::contains(lower, l))
    }

    /// The gate recorded for `pattern` in `builtin_gates.rs` (built-in rules: their patterns are
    /// not parsed at start-up), if there is one.
    pub fn builtin(pattern: &str) -> Option<Gate> {
        let table = super::builtin_gates::GATES;
        let i = table.binary_search_by(|(p, _)| (*p).cmp(pattern)).ok()?;
        let (_, literals) = table.get(i)?;
        Some(Gate { literals: literals.iter().map(|l| l.to_vec()).collect() })
    }

    #[cfg(test)]
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }
}

/// Gate literals shorter than this are not indexed: a rule with one runs on every text (a
/// one- or two-byte literal such as `m` or `ac` is in nearly every text anyway, and its
/// occurrences would flood the index's search).
const MIN_INDEXED: usize = 3;

/// The gates of many rules as one Aho-Corasick automaton: one pass over a text tells which
/// rules' gates it passes, instead of one substring search per rule.
#[derive(Debug)]
pub(super) struct GateIndex {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// Automaton pattern → the rules (indices into the `gates` given to [`GateIndex::new`]) it admits.
    admits: Vec<Vec<usize>>,
    /// Rules without a gate, or with a literal too short to index: they run on every text.
    always: Vec<usize>,
    rules: usize,
}

impl GateIndex {
    pub fn new(gates: &[Option<Gate>]) -> Self {
        let mut literals: Vec<&[u8]> = Vec::new();
        let mut admits: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, gate) in gates.iter().enumerate() {
            let Some(g) = gate.as_ref().filter(|g| g.literals.iter().all(|l| l.len() >= MIN_INDEXED)) else {
                always.push(i);
                continue;
            };
            for l in &g.literals {
                match literals.iter().position(|x| *x == l.as_slice()) {
                    Some(p) => admits[p].push(i),
                    None => {
                        literals.push(l);
                        admits.push(vec![i]);
                    }
                }
            }
        }
        // Standard semantics and overlapping search: every occurrence of every literal is seen,
        // also one inside another (`api` in `apikey`).
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&literals);
        match automaton {
            Ok(a) => GateIndex { automaton: Some(a), admits, always, rules: gates.len() },
            // Cannot happen for a few hundred short literals; if it did, every rule runs.
            Err(_) => GateIndex {
                automaton: None,
                admits: Vec::new(),
                always: (0..gates.len()).collect(),
                rules: gates.len(),
            },
        }
    }

    /// The rules whose gates `text` passes (compared ASCII case-insensitively), ascending.
    pub fn admitted(&self, text: &[u8]) -> Vec<usize> {
        let mut hit = vec![false; self.rules];
        for &i in &self.always {
            hit[i] = true;
        }
        if let Some(a) = &self.automaton {
            let mut seen = vec![false; self.admits.len()];
            for m in a.find_overlapping_iter(text) {
                let p = m.pattern().as_usize();
                if !std::mem::replace(&mut seen[p], true) {
                    for &i in &self.admits[p] {
                        hit[i] = true;
                    }
                }
            }
        }
        hit.iter().enumerate().filter(|(_, h)| **h).map(|(i, _)| i).collect()
    }
}

/// The bytes a class matches, lowercased, when they are few (a literal up to case, `[12]`).
fn class_bytes(h: &Hir) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = match h.kind() {
        HirKind::Class(Class::Bytes(c)) => {
            if c.iter().map(|r| usize::from(r.end() - r.start()) + 1).sum::<usize>() > 2 * MAX_CLASS {
                return None;
            }
            c.iter().flat_map(|r| r.start()..=r.end()).map(|b| b.to_ascii_lowercase()).collect()
        }
        HirKind::Class(Class::Unicode(c)) => {
            let mut v = Vec::new();
            for r in c.iter() {
                if !r.end().is_ascii() || (r.end() as u32 - r.start() as u32) as usize >= 2 * MAX_CLASS {
                    return None;
                }
                v.extend((r.start() as u8..=r.end() as u8).map(|b| b.to_ascii_lowercase()));
            }
            v
        }
        _ => return None,
    };
    out.sort_unstable();
    out.dedup();
    (!out.is_empty() && out.len() <= MAX_CLASS).then_some(out)
}

/// Distinct lowercased bytes a class may stand for and still count as part of a literal: ten lets
/// a digit class join the literal beside it.
const MAX_CLASS: usize = 10;
/// One-byte literals a gate may have.
const MAX_LONE_CLASS: usize = 8;

/// Every string the node matches, lowercased, when they are few (`ghp_`, `(?:pat|oat)_`).
fn exact(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let set = match h.kind() {
        HirKind::Empty => vec![Vec::new()],
        HirKind::Literal(l) => vec![l.0.to_ascii_lowercase()],
        HirKind::Class(_) => class_bytes(h)?.into_iter().map(|b| vec![b]).collect(),
        HirKind::Capture(c) => exact(&c.sub)?,
        HirKind::Concat(parts) => {
            let mut acc = vec![Vec::new()];
            for p in parts {
                acc = cross(&acc, &exact(p)?)?;
            }
            acc
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(exact(a)?);
                if out.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            out
        }
        HirKind::Look(_) | HirKind::Repetition(_) => return None,
    };
    Some(set)
}

/// Every concatenation of one string of `a` and one of `b`, if not too many.
fn cross(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len().saturating_mul(b.len()) > MAX_ALTERNATIVES {
        return None;
    }
    Some(a.iter().flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat())).collect())
}

/// Length of the shortest literal: how selective a set is.
fn score(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

/// A set of literals one of which every match contains, or `None` when there is none.
fn required(h: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(set) = exact(h) {
        return (score(&set) > 0).then_some(set);
    }
    match h.kind() {
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(required(a)?);
                if out.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(parts) => {
            // Candidates: every run of consecutive exact parts (their cross product), and each
            // other part's own set; the best is the one whose shortest literal is longest.
            let mut best: Option<Vec<Vec<u8>>> = None;
            // Between sets whose shortest literals are as long, the one with fewer literals: the
            // `.` every Discord token holds twice over its first letter `[MNO]`, which nearly any
            // text passes.
            let mut consider = |cand: Vec<Vec<u8>>| {
                let better = match best.as_deref() {
                    None => score(&cand) > 0,
                    Some(b) => score(&cand) > score(b) || (score(&cand) == score(b) && cand.len() < b.len()),
                };
                if better {
                    best = Some(cand);
                }
            };
            let mut run: Vec<Vec<u8>> = vec![Vec::new()];
            for p in parts {
                let extended = exact(p).and_then(|set| cross(&run, &set));
                match extended {
                    Some(r) => run = r,
                    None => {
                        consider(std::mem::replace(&mut run, vec![Vec::new()]));
                        // The part itself may start a new run (an exact set too big to cross).
                        match exact(p) {
                            Some(set) => run = set,
                            None => {
                                if let Some(set) = required(p) {
                                    consider(set);
                                }
                            }
                        }
                    }
                }
            }
            consider(run);
            best
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Option<Vec<String>> {
        Gate::of(p).map(|g| g.literals().iter().map(|l| String::from_utf8(l.clone()).unwrap()).collect())
    }

    #[test]
    fn prefixes_inner_literals_alternations_and_case() {
        assert_eq!(lits(r"\b(ghp_[A-Za-z0-9]{36})\b").unwrap(), ["ghp_"]);
        assert_eq!(
            lits(r"(?i)(?P<key>[A-Za-z0-9_.-]{0,40}?(?:password|passwd|pwd)[A-Za-z0-9]{0,2})\s*=\s*(?P<secret>\S{8,})")
                .unwrap(),
            ["passwd", "password", "pwd"]
        );
        assert_eq!(lits(r"\b((?:AKIA|ASIA|A3T[A-Z0-9])[A-Z2-7]{16})\b").unwrap(), ["a3t", "akia", "asia"]);
        assert_eq!(lits(r"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)").unwrap(), ["accountkey="]);
        assert_eq!(lits(r"x(?:abc)+y").unwrap(), ["abc"]);
        assert_eq!(lits(r"\b(dckr_(?:pat|oat)_[A-Za-z0-9_-]{27})").unwrap(), ["dckr_oat_", "dckr_pat_"]);
        assert_eq!(lits(r"\b(sq[pua]_[a-f0-9]{40})\b").unwrap(), ["sqa_", "sqp_", "squ_"]);
        // A digit class joins the literal beside it.
        assert_eq!(lits(r"\b([0-9]/[0-9]{16}:[A-Za-z0-9]{32})\b").unwrap().len(), 10);
        assert_eq!(lits(r"[0-9]/x").unwrap()[3], "3/x");
        // As long as the shortest literal, fewer literals win: `.`, not the first letter's `m|n|o`.
        assert_eq!(lits(r"\b([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})").unwrap(), ["."]);
    }

    #[test]
    fn no_gate_where_a_match_needs_no_literal() {
        for p in [r"[A-Za-z0-9]{40}", r"(?:abc)?[0-9]{10}", r"ab|[0-9]+", r"[a-z].[a-z]", r"(?:xyz)*\d{4}", "("] {
            assert_eq!(lits(p), None, "{p}");
        }
    }

    #[test]
    fn admits_case_insensitively_against_a_lowercased_text() {
        let g = Gate::of(r"(?i)secret_?key\s*=\s*\S+").unwrap();
        assert!(g.admits(b"my_secret_key = 1".to_ascii_lowercase().as_slice()));
        assert!(g.admits(b"MY_SECRETKEY=1".to_ascii_lowercase().as_slice()));
        assert!(!g.admits(b"nothing here"));
    }

    #[test]
    fn the_index_admits_what_each_gate_admits() {
        let gates = vec![
            Gate::of(r"\b(ghp_[A-Za-z0-9]{36})\b"),
            Gate::from_keywords(&[b"apikey".to_vec()]),
            // A literal inside another: both must be seen where the longer one occurs.
            Gate::from_keywords(&[b"api".to_vec(), b"token".to_vec()]),
            Gate::of(r"(?i)secret_?key\s*=\s*\S+"),
            // One-byte literals are not indexed: the rule runs on every text.
            Gate::of(r"\b[MNO][A-Za-z0-9]{20}\b"),
            None,
        ];
        assert!(gates[4].is_some());
        let index = GateIndex::new(&gates);
        let texts: [&[u8]; 8] = [
            b"",
            b"nothing to see",
            b"APIKEY=1",
            b"my_api = 2",
            b"ghp_x and Secret_Key = 3",
            b"GHP_ upper and tOkEn",
            b"apikeyapikey secretkey=",
            b"\xff\x00api\xfe",
        ];
        for text in texts {
            let lower = text.to_ascii_lowercase();
            let expected: Vec<usize> = gates
                .iter()
                .enumerate()
                .filter(|(_, g)| match g {
                    None => true,
                    Some(g) if g.literals().iter().any(|l| l.len() < MIN_INDEXED) => true,
                    Some(g) => g.admits(&lower),
                })
                .map(|(i, _)| i)
                .collect();
            assert_eq!(index.admitted(text), expected, "{:?}", String::from_utf8_lossy(text));
        }
        assert_eq!(index.admitted(b"APIKEY=1"), [1, 2, 4, 5]);
    }
}
