//! pushgate: one binary that guards a Git remote.
//!
//! The pipeline runs one way: hook input → [`push::Push`] (ref updates, new commits, pusher) →
//! [`checks`] (each returns findings) → one [`report::Report`] → a renderer and an exit code
//! (`main.rs`). `push/` describes, `checks/` judges, `report/` presents.

pub mod budget;
pub mod checks;
pub mod cli;
pub mod install;
pub mod par;
pub mod policy;
pub mod push;
pub mod report;
pub mod rules;

use std::io::Read;
use std::path::{Path, PathBuf};

use policy::{Policy, PolicyError};
use push::{Identity, Mode, Push, PushError, Repo};
use report::Report;

/// Why a run could not produce a verdict. Hooks reject the push in every case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Push(#[from] PushError),
    #[error("{0}")]
    Open(#[from] push::OpenError),
    #[error("{0}")]
    Check(#[from] checks::CheckError),
    #[error("cannot read the hook's standard input: {0}")]
    Stdin(std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error("cannot start the thread that watches the time budget: {0}")]
    Thread(std::io::Error),
    #[error("cannot measure the size of the push in the quarantine: {0}")]
    PushSize(std::io::Error),
}

impl Error {
    /// Exit code per DESIGN.md: 2 for usage and policy errors, 3 for internal errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Policy(_) | Error::Usage(_) | Error::Push(PushError::Input(_)) => 2,
            _ => 3,
        }
    }
}

/// The result of a hook or check run: the report and the identity it was made for.
pub struct Outcome {
    pub report: Report,
    pub identity: Identity,
}

/// Hook input can be large (thousands of refs) but never unbounded.
const MAX_STDIN: u64 = 64 << 20;

fn read_stdin() -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    std::io::stdin().take(MAX_STDIN + 1).read_to_end(&mut buf).map_err(Error::Stdin)?;
    if buf.len() as u64 > MAX_STDIN {
        return Err(Error::Usage("hook input is larger than 64 MiB".into()));
    }
    Ok(buf)
}

fn git_dir_of(repo: &Repo) -> PathBuf {
    repo.repo.git_dir().to_path_buf()
}

fn judge(push: &Push, policy: &Policy) -> Result<Report, Error> {
    Ok(checks::run_all(push, policy)?)
}

/// Where progress lines go (stderr in the binary, so git shows them live as `remote:` lines).
pub type ProgressSink<'a> = &'a dyn Fn(&str);

/// Run `work` (open the repository, build the push, judge it) on a worker thread within the
/// policy's time budget. A run that exceeds the budget becomes a `policy/time-budget-exceeded`
/// finding: blocking unless the policy says `on-timeout = "accept"`, and always said.
fn judge_within_budget<T: Default + Send + 'static>(
    policy: &Policy,
    progress: ProgressSink<'_>,
    work: impl FnOnce(&Policy) -> Result<(Report, T), Error> + Send + 'static,
) -> Result<(Report, T), Error> {
    let worker_policy = policy.clone();
    match budget::run(policy.limits.time_budget, progress, move || work(&worker_policy)) {
        Ok(result) => result,
        Err(timeout) => Ok((timed_out(policy, &timeout), T::default())),
    }
}

/// The report of a run that gave up: the `policy/time-budget-exceeded` finding, blocking unless
/// the policy accepts such pushes.
fn timed_out(policy: &Policy, timeout: &budget::TimedOut) -> Report {
    // The checks run on, abandoned; what they keep on disk goes now.
    push::repo::remove_abandoned_shims();
    let finding = limit_finding(
        rules::codes::TIME_BUDGET,
        format!("the checks did not finish within {:?}: {}", timeout.budget, timeout.progress),
        policy.limits.accept_on_timeout,
        "the policy accepts pushes that exceed the time budget; this one was not fully checked and is recorded",
        "split the push into smaller pushes, or ask an administrator to raise [limits] time",
    );
    Report { findings: vec![finding], ..Report::default() }
}

/// A `[limits]` finding: a warning with `accepted` as help when the policy accepts what it
/// reports, else blocking with `refused`.
fn limit_finding(
    rule: &'static str,
    message: String,
    accept: bool,
    accepted: &'static str,
    refused: &'static str,
) -> report::Finding {
    report::Finding::new(rule, report::Category::Policy, message)
        .severity(if accept { report::Severity::Warn } else { report::Severity::Block })
        .help(if accept { accepted } else { refused })
}

/// `n` bytes for people: "812 bytes", "3.4 KiB", "12.0 MiB", "1.5 GiB".
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `[limits] max-push-bytes` for a server hook: the `policy/push-too-large` finding when the
/// pushed objects (as received, in git's quarantine) take more; blocking unless the policy says
/// `on-oversize = "accept"`. Outside a quarantine there is nothing to measure: a note says so.
fn push_size(policy: &Policy, repo: &Repo, report_notes: &mut Vec<String>) -> Result<Option<report::Finding>, Error> {
    let Some(limit) = policy.limits.max_push_bytes else { return Ok(None) };
    let Some(size) = repo.pushed_bytes() else {
        report_notes.push("the push's size is not measured outside git's quarantine ([limits] max-push-bytes)".into());
        return Ok(None);
    };
    let size = size.map_err(Error::PushSize)?;
    if size <= limit {
        return Ok(None);
    }
    Ok(Some(limit_finding(
        rules::codes::PUSH_TOO_LARGE,
        format!(
            "the push's objects take {} as received, over the limit of {} ([limits] max-push-bytes)",
            human_bytes(size),
            human_bytes(limit)
        ),
        policy.limits.accept_oversize,
        "the policy accepts pushes over max-push-bytes; this one was checked as usual and is recorded",
        "split the push into smaller pushes, or ask an administrator to raise [limits] max-push-bytes; \
         it was not checked further",
    )))
}

/// Build a push and judge it; also counts its commits for the progress lines. Returns the
/// released push (see [`Push::release`]), for the caller to free.
fn build_and_judge(push: Result<Push, PushError>, policy: &Policy) -> Result<(Report, Push), Error> {
    let push = push?;
    budget::PROGRESS.commits_total.store(push.commits.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let report = judge(&push, policy);
    let rest = push.release();
    Ok((report?, rest))
}

/// After the checks of a server-side push: bypass, then the audit line (fail closed when it
/// cannot be written).
fn finish_server(
    policy: &Policy,
    repo_path: &str,
    identity: &Identity,
    updates: &[push::RefUpdate],
    mut report: Report,
) -> Report {
    let bypass = checks::bypass::apply(&mut report, policy, identity, true);
    if let Some(log) = &policy.audit_log {
        let entry =
            report::audit::Entry { repository: repo_path, identity, updates, report: &report, bypass: bypass.as_ref() };
        if let Err(e) = report::audit::append(log, &entry) {
            report.findings.push(
                report::Finding::new(
                    rules::codes::AUDIT_FAILED,
                    report::Category::Policy,
                    format!("the audit log {} cannot be written: {e}", log.display()),
                )
                .help("pushes are refused while the audit log named in the policy cannot be written"),
            );
        }
    }
    report
}

/// How a server hook reports: progress lines, and the verdict of a run whose time budget ran out
/// (given by the watchdog thread while the checks are still running: it must print the outcome
/// and end the process with the outcome's exit code).
pub struct HookOutput {
    pub progress: Box<dyn Fn(&str) + Send>,
    pub on_timeout: Box<dyn FnOnce(Outcome) + Send>,
}

/// A server hook (pre-receive, update). The policy is loaded first; the checks then run on this
/// thread under a [`budget::Watchdog`] (one-commit pushes hand no work to other threads).
fn server_hook(
    mode: Mode,
    policy_path: Option<&Path>,
    output: HookOutput,
    updates: impl Fn(gix::hash::Kind) -> Result<Vec<push::RefUpdate>, Error>,
) -> Result<Outcome, Error> {
    let started = std::time::Instant::now();
    let identity = Identity::from_env(|k| std::env::var(k).ok());
    // git runs server hooks in the git directory with GIT_DIR set (usually to ".").
    let git_dir = std::env::var_os("GIT_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let repo_path = std::fs::canonicalize(&git_dir).unwrap_or_else(|_| git_dir.clone()).display().to_string();
    let policy = std::sync::Arc::new(Policy::locate(policy_path, Some(&git_dir))?);
    // The ref updates, for the audit line of a verdict given on timeout: read now, before the
    // repository is open (which says the hash kind), as whichever kind the ids' length fits. The
    // checks use them when that is the repository's kind; otherwise they read the input again
    // for it, and refuse what does not fit.
    let pushed = std::sync::Arc::new(std::sync::OnceLock::<Vec<push::RefUpdate>>::new());
    let read_as = [gix::hash::Kind::Sha1, gix::hash::Kind::Sha256].into_iter().find_map(|kind| {
        let u = updates(kind).ok()?;
        let _ = pushed.set(u);
        Some(kind)
    });
    let watchdog = {
        let (policy, identity, repo_path, pushed) =
            (policy.clone(), identity.clone(), repo_path.clone(), pushed.clone());
        let on_timeout = output.on_timeout;
        budget::Watchdog::start(
            started,
            policy.limits.time_budget,
            output.progress,
            Box::new(move |timeout| {
                let report = timed_out(&policy, &timeout);
                let updates = pushed.get().map_or(&[][..], Vec::as_slice);
                let report = finish_server(&policy, &repo_path, &identity, updates, report);
                on_timeout(Outcome { report, identity });
            }),
        )
        .map_err(Error::Thread)?
    };
    let checked = (|| {
        let repo = Repo::open_for_hook()?;
        let updates = match pushed.get() {
            Some(u) if read_as == Some(repo.repo.object_hash()) => u.clone(),
            _ => updates(repo.repo.object_hash())?,
        };
        let mut notes = Vec::new();
        let oversize = push_size(&policy, &repo, &mut notes)?;
        if let Some(f) = oversize.clone().filter(|_| !policy.limits.accept_oversize) {
            // Refused for its size alone, without reading it (the directory goes with `repo`).
            return Ok((Report { findings: vec![f], notes, ..Report::default() }, updates));
        }
        let push = Push::server(mode, repo, updates.clone(), identity.clone());
        let (mut report, rest) = build_and_judge(push, &policy)?;
        report.findings.extend(oversize);
        report.notes.extend(notes);
        // The hook process ends right after its verdict, and exiting frees what the push held
        // (object stores, mapped packs): freeing it here cost ≈ 0.1 ms more, on the watchdog
        // thread too (unmapping while another CPU runs this process interrupts that CPU).
        std::mem::forget(rest);
        Ok::<_, Error>((report, updates))
    })();
    // From here on this thread gives the verdict (or waits for the watchdog, which has).
    watchdog.finish();
    let (report, updates) = checked?;
    let report = finish_server(&policy, &repo_path, &identity, &updates, report);
    Ok(Outcome { report, identity })
}

/// `pushgate pre-receive`: ref updates on stdin, quarantined objects.
pub fn pre_receive(policy_path: Option<&Path>, output: HookOutput) -> Result<Outcome, Error> {
    let input = read_stdin()?;
    server_hook(Mode::PreReceive, policy_path, output, |kind| {
        Ok(push::hook_input::parse_pre_receive(&input, kind).map_err(PushError::from)?)
    })
}

/// `pushgate update <ref> <old> <new>`: one ref, judged on its own.
pub fn update(
    policy_path: Option<&Path>,
    name: &str,
    old: &str,
    new: &str,
    output: HookOutput,
) -> Result<Outcome, Error> {
    server_hook(Mode::Update, policy_path, output, |kind| {
        Ok(vec![push::hook_input::parse_update(name, old, new, kind).map_err(PushError::from)?])
    })
}

/// The git directory of the repository around the current directory, for policy lookup.
fn discover_git_dir() -> Result<PathBuf, Error> {
    Ok(git_dir_of(&Repo::discover(Path::new("."))?))
}

/// `pushgate pre-push <remote> <url>`: the developer's side, before anything leaves.
pub fn pre_push(policy_path: Option<&Path>, remote: &str, progress: ProgressSink<'_>) -> Result<Outcome, Error> {
    let policy = Policy::locate(policy_path, Some(&discover_git_dir()?))?;
    let input = read_stdin()?;
    let remote = remote.to_string();
    let (report, ()) = judge_within_budget(&policy, progress, move |policy| {
        let repo = Repo::discover(Path::new("."))?;
        let updates = push::hook_input::parse_pre_push(&input, repo.repo.object_hash()).map_err(PushError::from)?;
        Ok((build_and_judge(Push::pre_push(repo, remote, updates), policy)?.0, ()))
    })?;
    Ok(Outcome { report, identity: Identity::local() })
}

/// `pushgate check [<rev>...]`.
pub fn check(policy_path: Option<&Path>, revs: &[String], progress: ProgressSink<'_>) -> Result<Outcome, Error> {
    let policy = Policy::locate(policy_path, Some(&discover_git_dir()?))?;
    let revs = revs.to_vec();
    let (report, ()) = judge_within_budget(&policy, progress, move |policy| {
        let repo = Repo::discover(Path::new("."))?;
        Ok((build_and_judge(Push::check(repo, &revs), policy)?.0, ()))
    })?;
    Ok(Outcome { report, identity: Identity::local() })
}

/// `pushgate verify`: one verdict per object.
pub fn verify(
    policy_path: Option<&Path>,
    revs: &[String],
    from_stdin: bool,
) -> Result<report::verify::Verified, Error> {
    let repo = Repo::discover(Path::new("."))?;
    let policy = Policy::locate(policy_path, Some(&git_dir_of(&repo)))?;
    let mut revs = revs.to_vec();
    if from_stdin {
        let input = read_stdin()?;
        let text = String::from_utf8(input).map_err(|_| Error::Usage("standard input is not UTF-8 text".into()))?;
        revs.extend(text.split_ascii_whitespace().map(str::to_string));
    }
    if revs.is_empty() && !from_stdin {
        revs.push("HEAD".into());
    }
    let mut ids = Vec::new();
    let (ranges, singles): (Vec<String>, Vec<String>) =
        revs.into_iter().partition(|r| r.contains("..") || r.starts_with('^'));
    for r in &singles {
        ids.push(push::resolve(&repo.repo, r)?);
    }
    if !ranges.is_empty() {
        ids.extend(push::rev_list(&repo.repo, &ranges)?.into_iter().map(|(id, _)| id));
    }
    let opts = checks::signatures::verify::VerifyOptions {
        committer_must_match: policy.signatures.committer_must_match,
        now: std::time::SystemTime::now(),
    };
    let objects = checks::signatures::verify_many(&repo.repo, &ids, &policy.trust, &opts).map_err(PushError::from)?;
    Ok(report::verify::Verified { objects })
}

/// `pushgate scan <path>...`.
pub fn scan(policy_path: Option<&Path>, paths: &[PathBuf]) -> Result<Outcome, Error> {
    let git_dir = std::env::var_os("GIT_DIR").map(PathBuf::from);
    let policy = Policy::locate(policy_path, git_dir.as_deref())?;
    let (findings, notes) =
        checks::content::scan_paths(paths, &policy).map_err(|e| Error::Usage(format!("cannot scan: {e}")))?;
    Ok(Outcome { report: Report { findings, notes, ..Report::default() }, identity: Identity::local() })
}
