//! The real `git`, isolated from the machine's configuration, for unit tests that build
//! repositories (end-to-end tests have their own harness in `tests/common`).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::Path;
use std::process::Command;

/// `git` run in `dir` with no system or user configuration and a fixed identity.
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com");
    cmd
}

/// Run `cmd` (from [`command`]) with `args`; its standard output. Panics (failing the test) when
/// git fails.
pub fn run(cmd: &mut Command, args: &[&str]) -> String {
    let out = cmd.args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Run `git args` in `dir`; its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    run(&mut command(dir), args)
}
