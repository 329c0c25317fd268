//! The time budget of a run and progress for long ones. The checks run on a worker thread; the
//! calling thread waits, reports progress every few seconds once a run is slow, and gives up when
//! the policy's budget is spent. A run that gives up is a refusal unless policy says otherwise:
//! a hook must never let a push through because it ran out of time without saying so.

use std::sync::atomic::{AtomicU64, Ordering};
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

/// Run `work` on a worker thread within `budget`, calling `on_progress` with a line every few
/// seconds once it runs longer than two. A panic on the worker is re-raised here.
pub fn run<T: Send + 'static>(
    budget: Option<Duration>,
    on_progress: &dyn Fn(&str),
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TimedOut> {
    start(work).wait(budget, on_progress)
}

/// Work started on a worker thread, not yet waited for.
pub struct Job<T> {
    started: Instant,
    rx: mpsc::Receiver<std::thread::Result<T>>,
}

/// Start `work` on a worker thread; [`Job::wait`] bounds it. The budget counts from here.
///
/// The worker is one of rayon's: the checks' parallel parts then start on a pool thread, and a
/// small push's single piece of work runs inline instead of being handed to the pool from outside
/// and waited for (a one-commit hook: ≈ 80 context switches and one thread fewer).
pub fn start<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Job<T> {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    // rayon aborts the process on a panic in a spawned job; catch it and re-raise it in `wait`.
    rayon::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
    });
    Job { started, rx }
}

impl<T> Job<T> {
    /// Wait for the work within `budget` (counted from [`start`]), calling `on_progress` with a
    /// line every few seconds once it runs longer than two. A panic on the worker is re-raised.
    pub fn wait(self, budget: Option<Duration>, on_progress: &dyn Fn(&str)) -> Result<T, TimedOut> {
        let Job { started: start, rx } = self;
        let mut next_progress = start + PROGRESS_AFTER;
        loop {
            let now = Instant::now();
            let mut wake = next_progress;
            if let Some(b) = budget {
                wake = wake.min(start + b);
            }
            match rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(Ok(v)) => return Ok(v),
                // The worker panicked. Re-raise so we fail closed.
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!("BUG: the check job ended without a result"),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let elapsed = start.elapsed();
                    if let Some(b) = budget
                        && elapsed >= b
                    {
                        return Err(TimedOut { budget: b, progress: PROGRESS.line(elapsed) });
                    }
                    if Instant::now() >= next_progress {
                        on_progress(&PROGRESS.line(elapsed));
                        next_progress += PROGRESS_EVERY;
                    }
                }
            }
        }
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
    fn a_panic_in_the_work_is_raised_again() {
        let r = std::panic::catch_unwind(|| run(None, &|_| {}, || -> u8 { panic!("boom") }));
        assert!(r.is_err());
    }
}
