//! The combined rule set: every rule's set form (`content::pattern::set_form`) in one
//! multi-pattern regex that says which rules may match a text.
//!
//! It runs as a lazy DFA whose states are built as texts need them, in a cache each thread
//! keeps; building states is much of the set's cost on a big push, and every thread would build
//! the same ones. So threads share what they built: a thread whose cache has grown well past the
//! shared copy publishes a copy of its own, and one whose cache is well behind adopts a copy of
//! the shared one (a few copies of a few MB over a whole history). Which cache a thread uses
//! changes only how fast it answers, never the answer.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex_automata::meta::{self, Cache};
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};

/// Budgets for the combined set. The ASCII-mode set of the built-ins needs far less; the limits
/// only stop a hostile custom rule from eating memory.
const SET_SIZE_LIMIT: usize = 64 << 20;
const SET_DFA_LIMIT: usize = 32 << 20;
/// Scans between two looks at the shared cache.
const SYNC_EVERY: u32 = 128;
/// A cache is "well past" another when it is this much bigger (1/8) and at least
/// [`MIN_GROWTH`] bytes bigger: copies stay rare.
const GROWTH_SHIFT: u32 = 3;
const MIN_GROWTH: usize = 64 << 10;

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's cache: (id of the set it belongs to, cache, scans since the last sync).
    static CACHE: RefCell<Option<(usize, Cache, u32)>> = const { RefCell::new(None) };
}

#[derive(Debug)]
pub struct RuleSet {
    re: meta::Regex,
    id: usize,
    /// The most grown cache a thread has published, and its size.
    shared: Mutex<Option<(usize, Cache)>>,
}

impl RuleSet {
    /// Compile `patterns` (ASCII mode, bytes) as one set; the error says why not.
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        let re = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .utf8_empty(false)
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(SET_SIZE_LIMIT))
                    .hybrid_cache_capacity(SET_DFA_LIMIT),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        Ok(RuleSet { re, id: NEXT_ID.fetch_add(1, Ordering::Relaxed), shared: Mutex::new(None) })
    }

    /// Indices of the patterns that match somewhere in `text`, in increasing order.
    pub fn matches(&self, text: &[u8]) -> Vec<usize> {
        CACHE.with(|slot| {
            // Re-entered (not expected): a fresh cache gives the same answer.
            let Ok(mut slot) = slot.try_borrow_mut() else {
                return self.search(&mut self.re.create_cache(), text);
            };
            if slot.as_ref().is_some_and(|(id, _, _)| *id != self.id) {
                *slot = None;
            }
            let (_, cache, scans) =
                slot.get_or_insert_with(|| (self.id, self.adopt().unwrap_or_else(|| self.re.create_cache()), 0));
            let found = self.search(cache, text);
            *scans += 1;
            if *scans >= SYNC_EVERY {
                *scans = 0;
                self.sync(cache);
            }
            found
        })
    }

    fn search(&self, cache: &mut Cache, text: &[u8]) -> Vec<usize> {
        // Nearly every text matches no rule: a plain search (the lazy DFA's fast loop, stopping
        // at the first match) says so faster than the overlapping one that names every rule,
        // which then runs only on the few texts that hit.
        if !self.re.is_match_with(cache, &Input::new(text)) {
            return Vec::new();
        }
        let mut hits = PatternSet::new(self.re.pattern_len());
        self.re.which_overlapping_matches_with(cache, &Input::new(text), &mut hits);
        hits.iter().map(|p| p.as_usize()).collect()
    }

    /// A copy of the shared cache, if there is one.
    fn adopt(&self) -> Option<Cache> {
        self.shared.lock().ok()?.as_ref().map(|(_, c)| c.clone())
    }

    /// Publish `mine` if it is well past the shared cache; adopt the shared one if it is well
    /// past `mine`.
    fn sync(&self, mine: &mut Cache) {
        let Ok(mut shared) = self.shared.lock() else { return };
        let size = mine.memory_usage();
        let past = |a: usize, b: usize| a > b.saturating_add((b >> GROWTH_SHIFT).max(MIN_GROWTH));
        match shared.as_ref() {
            Some((theirs, c)) if !past(size, *theirs) => {
                if past(*theirs, size) {
                    *mine = c.clone();
                }
            }
            _ => *shared = Some((size, mine.clone())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_every_pattern_that_matches_and_threads_share_their_states() {
        let set = RuleSet::new(&["ghp_[a-z]+".into(), "AKIA[A-Z]+".into(), "x".into()]).unwrap();
        assert_eq!(set.matches(b"no secret here"), Vec::<usize>::new());
        assert_eq!(set.matches(b"ghp_abc and AKIAXYZ"), vec![0, 1]);
        assert_eq!(set.matches(b"AKIAQ x"), vec![1, 2]);
        // Many scans on several threads: the shared cache gets published, adopted, and every
        // answer stays the same.
        let texts: Vec<Vec<u8>> = (0..2000)
            .map(|i| format!("line {i} ghp_{} AKIA{} {}", "q".repeat(i % 7), "Z".repeat(i % 5), i % 3).into_bytes())
            .collect();
        let expect: Vec<Vec<usize>> = texts
            .iter()
            .map(|t| {
                let s = String::from_utf8_lossy(t);
                let mut v = Vec::new();
                if s.contains("ghp_q") {
                    v.push(0);
                }
                if s.contains("AKIAZ") {
                    v.push(1);
                }
                if s.contains('x') {
                    v.push(2);
                }
                v
            })
            .collect();
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    for (t, e) in texts.iter().zip(&expect) {
                        assert_eq!(&set.matches(t), e);
                    }
                });
            }
        });
        assert!(set.shared.lock().unwrap().is_some(), "no cache was ever published");
        // A second set on the same thread does not use the first one's cache.
        let other = RuleSet::new(&["zzz".into()]).unwrap();
        assert_eq!(other.matches(b"ghp_abc zzz"), vec![0]);
        assert_eq!(set.matches(b"ghp_abc zzz"), vec![0]);
    }
}
