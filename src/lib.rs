//! pushgate: one binary that guards a Git remote.
//!
//! The pipeline runs one way: hook input → [`push::Push`] (ref updates, new commits, pusher) →
//! [`checks`] (each returns findings) → one [`report::Report`] → a renderer and an exit code
//! (`main.rs`). `push/` describes, `checks/` judges, `report/` presents.

pub mod checks;
pub mod cli;
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

/// `pushgate pre-receive`: ref updates on stdin, quarantined objects.
pub fn pre_receive(policy_path: Option<&Path>) -> Result<Outcome, Error> {
    let identity = Identity::from_env(|k| std::env::var(k).ok());
    let repo = Repo::open_for_hook()?;
    let policy = Policy::locate(policy_path, Some(&git_dir_of(&repo)))?;
    let input = read_stdin()?;
    let updates = push::hook_input::parse_pre_receive(&input, repo.repo.object_hash()).map_err(PushError::from)?;
    let push = Push::server(Mode::PreReceive, repo, updates, identity.clone())?;
    Ok(Outcome { report: judge(&push, &policy)?, identity })
}

/// `pushgate update <ref> <old> <new>`: one ref, judged on its own.
pub fn update(policy_path: Option<&Path>, name: &str, old: &str, new: &str) -> Result<Outcome, Error> {
    let identity = Identity::from_env(|k| std::env::var(k).ok());
    let repo = Repo::open_for_hook()?;
    let policy = Policy::locate(policy_path, Some(&git_dir_of(&repo)))?;
    let u = push::hook_input::parse_update(name, old, new, repo.repo.object_hash()).map_err(PushError::from)?;
    let push = Push::server(Mode::Update, repo, vec![u], identity.clone())?;
    Ok(Outcome { report: judge(&push, &policy)?, identity })
}

/// `pushgate pre-push <remote> <url>`: the developer's side, before anything leaves.
pub fn pre_push(policy_path: Option<&Path>, remote: &str) -> Result<Outcome, Error> {
    let repo = Repo::discover(Path::new("."))?;
    let policy = Policy::locate(policy_path, Some(&git_dir_of(&repo)))?;
    let input = read_stdin()?;
    let updates = push::hook_input::parse_pre_push(&input, repo.repo.object_hash()).map_err(PushError::from)?;
    let push = Push::pre_push(repo, remote.to_string(), updates)?;
    Ok(Outcome { report: judge(&push, &policy)?, identity: Identity::local() })
}

/// `pushgate check [<rev>...]`.
pub fn check(policy_path: Option<&Path>, revs: &[String]) -> Result<Outcome, Error> {
    let repo = Repo::discover(Path::new("."))?;
    let policy = Policy::locate(policy_path, Some(&git_dir_of(&repo)))?;
    let push = Push::check(repo, revs)?;
    Ok(Outcome { report: judge(&push, &policy)?, identity: Identity::local() })
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
