//! The time budget of a run and progress for long ones. A run that gives up is a refusal unless
//! policy says otherwise: a hook must never let a push through because it ran out of time without
//! saying so.
//!
//! Two shapes, waking on one [`Schedule`]. [`run`] (`check`, `pre-push`): the checks run on a
//! worker thread while the calling thread waits, reports progress and gives up when the budget is
//! spent. [`Watchdog`] (the server hooks): the checks run on the calling thread and a watchdog thread reports progress and, when
//! the budget is spent, gives the verdict itself and ends the process. A one-commit hook then
//! hands no work between threads (on a 2-vCPU VM each hand-off cost 0.1–0.7 ms of a ≈ 4 ms run).
//! Whichever of the two claims the verdict first gives it; see [`claim_for_checks`].

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Counters the pipeline bumps as it works; read by the progress reporter.
pub struct Progress {
    pub commits_total: AtomicU64,
    pub commits_done: AtomicU64,
    pub bytes_read: AtomicU64,
}

pub static PROGRESS: Progress =
    Progress { commits_total: AtomicU64::new(0), commits_done: AtomicU64::new(0), bytes_read: AtomicU64::new(0) };

impl Progress {
    pub fn line(&self, elapsed: Duration) -> String {
        let mib = self.bytes_read.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
        format!(
            "pushgate: still checking after {}s: {} of {} commits, {mib:.1} MiB read",
            elapsed.as_secs(),
            self.commits_done.load(Ordering::Relaxed),
            self.commits_total.load(Ordering::Relaxed),
        )
    }
}

/// The budget ran out; `progress` says how far the checks got.
#[derive(Debug)]
pub struct TimedOut {
    pub budget: Duration,
    pub progress: String,
}

/// First progress line after this long; then one every `PROGRESS_EVERY`.
const PROGRESS_AFTER: Duration = Duration::from_secs(2);
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// When a watcher wakes and what is due then: a progress line every few seconds once the checks
/// run longer than two, and the end of the budget. Both shapes of [`run`] and [`Watchdog`] wait
/// on a channel with [`Schedule::timeout`] and call [`Schedule::woke`] when it times out.
struct Schedule {
    started: Instant,
    budget: Option<Duration>,
    next_progress: Instant,
}

impl Schedule {
    fn new(started: Instant, budget: Option<Duration>) -> Self {
        Schedule { started, budget, next_progress: started + PROGRESS_AFTER }
    }

    /// How long to wait for the checks before waking.
    fn timeout(&self) -> Duration {
        let wake = self.budget.map_or(self.next_progress, |b| self.next_progress.min(self.started + b));
        wake.saturating_duration_since(Instant::now())
    }

    /// Woken without an answer: `Some` when the budget is spent; otherwise a progress line goes to
    /// `on_progress` if one is due.
    fn woke(&mut self, on_progress: &dyn Fn(&str)) -> Option<TimedOut> {
        let elapsed = self.started.elapsed();
        if let Some(b) = self.budget
            && elapsed >= b
        {
            return Some(TimedOut { budget: b, progress: PROGRESS.line(elapsed) });
        }
        if Instant::now() >= self.next_progress {
            on_progress(&PROGRESS.line(elapsed));
            self.next_progress += PROGRESS_EVERY;
        }
        None
    }
}

/// Run `work` on a worker thread within `budget` (counted from here), calling `on_progress` with
/// a line every few seconds once it runs longer than two. A panic on the worker is re-raised here.
///
/// The worker is one of rayon's: the checks' parallel parts then start on a pool thread instead
/// of being handed to the pool from outside and waited for.
pub fn run<T: Send + 'static>(
    budget: Option<Duration>,
    on_progress: &dyn Fn(&str),
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TimedOut> {
    let mut schedule = Schedule::new(Instant::now(), budget);
    let (tx, rx) = mpsc::channel();
    // rayon aborts the process on a panic in a spawned job; catch it and re-raise it below.
    rayon::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
    });
    loop {
        match rx.recv_timeout(schedule.timeout()) {
            Ok(Ok(v)) => return Ok(v),
            // The worker panicked. Re-raise so we fail closed.
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("BUG: the check job ended without a result"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(timeout) = schedule.woke(on_progress) {
                    return Err(timeout);
                }
            }
        }
    }
}

/// Who gives a server hook's verdict: nobody yet, the checks, or the watchdog (the budget ran out
/// first). Set once; whoever sets it speaks and the other stays silent.
static VERDICT: AtomicU8 = AtomicU8::new(OPEN);
const OPEN: u8 = 0;
const CHECKS: u8 = 1;
const WATCHDOG: u8 = 2;

thread_local! {
    static IS_WATCHDOG: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Claim the verdict for the checks (the thread that ran them, or a panic on any thread but the
/// watchdog). `false`: the watchdog has claimed it and is ending the process; the caller must not
/// print a verdict or exit, see [`wait_for_watchdog`].
pub fn claim_for_checks() -> bool {
    match VERDICT.compare_exchange(OPEN, CHECKS, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => true,
        Err(state) => state == CHECKS,
    }
}

/// Is this the watchdog thread? (Its own panic must not wait for itself.)
pub fn on_watchdog_thread() -> bool {
    IS_WATCHDOG.with(std::cell::Cell::get)
}

/// Block this thread for good: the watchdog has given the verdict and ends the process.
pub fn wait_for_watchdog() -> ! {
    loop {
        std::thread::park();
    }
}

/// Watches checks that run on the calling thread; see the module documentation. Dropping it (or
/// [`Watchdog::finish`]) stops it.
pub struct Watchdog {
    /// Never sent on: dropping it tells the watchdog the checks are done.
    stop: mpsc::Sender<()>,
}

impl Watchdog {
    /// Start watching checks that started at `started`: `on_progress` gets a line every few
    /// seconds once they run longer than two; when `budget` is spent and the checks have not
    /// claimed the verdict, the watchdog claims it and calls `on_timeout`, which gives it and must
    /// end the process (a panic in it exits with code 3).
    pub fn start(
        started: Instant,
        budget: Option<Duration>,
        on_progress: Box<dyn Fn(&str) + Send>,
        on_timeout: Box<dyn FnOnce(TimedOut) + Send>,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new().name("pushgate-watchdog".into()).spawn(move || {
            IS_WATCHDOG.with(|w| w.set(true));
            let mut schedule = Schedule::new(started, budget);
            // Progress only while nobody has given the verdict.
            let progress = |line: &str| {
                if VERDICT.load(Ordering::SeqCst) == OPEN {
                    on_progress(line);
                }
            };
            loop {
                match stopped.recv_timeout(schedule.timeout()) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        let Some(timeout) = schedule.woke(&progress) else { continue };
                        if VERDICT.compare_exchange(OPEN, WATCHDOG, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                            // `on_timeout` ends the process; if it returns or panics, refuse.
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| on_timeout(timeout)));
                            std::process::exit(3);
                        }
                        return;
                    }
                }
            }
        })?;
        Ok(Self { stop })
    }

    /// The checks are done: claim the verdict for them and stop watching. When the watchdog has
    /// claimed it first, this blocks for good (the watchdog ends the process).
    pub fn finish(self) {
        if !claim_for_checks() {
            wait_for_watchdog();
        }
        drop(self.stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_work_returns_its_value() {
        assert_eq!(run(Some(Duration::from_secs(5)), &|_| {}, || 7).ok(), Some(7));
    }

    #[test]
    fn slow_work_times_out_and_reports_progress_first() {
        let lines = std::cell::RefCell::new(Vec::new());
        let r = run(Some(Duration::from_millis(2600)), &|l| lines.borrow_mut().push(l.to_string()), || {
            std::thread::sleep(Duration::from_secs(10));
        });
        let e = r.expect_err("must time out");
        assert_eq!(e.budget, Duration::from_millis(2600));
        assert_eq!(lines.borrow().len(), 1, "{:?}", lines.borrow());
        assert!(lines.borrow()[0].starts_with("pushgate: still checking after 2s"));
    }

    #[test]
    fn the_watchdog_reports_progress_of_slow_checks_until_they_finish() {
        let (tx, rx) = mpsc::channel();
        // Checks that started three seconds ago: the first line is due at once.
        let started = Instant::now().checked_sub(Duration::from_secs(3)).expect("the clock is past its start");
        let tx = std::sync::Mutex::new(tx);
        let dog = Watchdog::start(
            started,
            None,
            Box::new(move |line| {
                let _ = tx.lock().map(|tx| tx.send(line.to_string()));
            }),
            Box::new(|_| unreachable!("no budget, no timeout")),
        )
        .expect("thread");
        let line = rx.recv_timeout(Duration::from_secs(10)).expect("a progress line");
        assert!(line.starts_with("pushgate: still checking after 3s"), "{line}");
        dog.finish();
        assert!(claim_for_checks(), "the checks hold the verdict");
        // Stopped: no more lines (the next was due three seconds after the first).
        assert!(rx.recv_timeout(Duration::from_secs(4)).is_err());
    }

    #[test]
    fn a_panic_in_the_work_is_raised_again() {
        let r = std::panic::catch_unwind(|| run(None, &|_| {}, || -> u8 { panic!("boom") }));
        assert!(r.is_err());
    }
}
