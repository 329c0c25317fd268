//! The command line (contract: DESIGN.md). Global options are accepted before or after the
//! command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "pushgate",
    version,
    about = "Guards a Git remote: signed commits, protected-branch promotion, secrets and PII",
    long_about = "Guards a Git remote. Attached as a pre-receive hook it refuses pushes that carry unsigned or \
                  wrongly signed commits, move protected branches other than by promotion, or add secrets or PII. \
                  The same checks run as a pre-push hook and as `pushgate check`.\n\n\
                  Exit codes: 0 accepted, 1 rejected (findings), 2 usage or policy error, 3 internal error.\n\
                  Policy lookup without --policy: $PUSHGATE_POLICY, pushgate.toml in $GIT_DIR, \
                  /etc/pushgate/policy.toml, then the embedded default.\n\
                  Diagnostic logs on stderr: PUSHGATE_LOG=debug (tracing filter syntax); values are never logged."
)]
pub struct Cli {
    /// Policy file (default: $PUSHGATE_POLICY, $GIT_DIR/pushgate.toml, /etc/pushgate/policy.toml, embedded)
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command lines of the hooks `pushgate install` writes (`run-hook FILE [ARGS]` from a hook
    /// file's `#!` line; `pre-receive`, with or without `--policy FILE` before or after it, from a
    /// shell script), read without building clap's command tree: that costs ≈ 0.15 ms of a
    /// one-commit hook's few. `None` for any other command line, which [`Cli::parse`] handles;
    /// where this returns a `Cli`, clap returns the same (tested).
    pub fn hook_command_line(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<Cli> {
        let args: Vec<std::ffi::OsString> = args.into_iter().skip(1).collect();
        let is = |a: &std::ffi::OsString, s: &str| a.as_encoded_bytes() == s.as_bytes();
        let dashed = |a: &std::ffi::OsString| a.as_encoded_bytes().starts_with(b"-");
        if let [cmd, file, rest @ ..] = args.as_slice()
            && is(cmd, crate::install::RUN_HOOK)
        {
            // Options anywhere are clap's to read (and refuse); git passes none.
            if dashed(file) || file.is_empty() || rest.iter().any(dashed) {
                return None;
            }
            let command = Command::RunHook { file: PathBuf::from(file), args: rest.to_vec() };
            return Some(Cli { policy: None, format: Format::Human, command });
        }
        // A policy value clap takes as it is: not empty, not an option.
        let value = |a: &std::ffi::OsString| {
            let b = a.as_encoded_bytes();
            (!b.is_empty() && !b.starts_with(b"-")).then(|| PathBuf::from(a))
        };
        let policy = match args.as_slice() {
            [cmd] if is(cmd, "pre-receive") => None,
            [opt, p, cmd] | [cmd, opt, p] if is(cmd, "pre-receive") && is(opt, "--policy") => Some(value(p)?),
            [opt, cmd] | [cmd, opt] if is(cmd, "pre-receive") => {
                let joined = std::str::from_utf8(opt.as_encoded_bytes().strip_prefix(b"--policy=")?).ok()?;
                Some(value(&joined.into())?)
            }
            _ => return None,
        };
        Some(Cli { policy, format: Format::Human, command: Command::PreReceive })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// git pre-receive hook: reads "<old> <new> <ref>" lines on stdin
    PreReceive,
    /// git update hook: judges one ref update
    Update {
        #[arg(value_name = "REF")]
        reference: String,
        old: String,
        new: String,
    },
    /// git pre-push hook: reads "<lref> <lsha> <rref> <rsha>" lines on stdin
    PrePush { remote: String, url: Option<String> },
    /// Runs a hook file written by `pushgate install`: its `#!` line names this command, so the
    /// kernel runs `pushgate run-hook FILE [ARGS]`, and FILE says which hook and which policy
    #[command(hide = true)]
    RunHook {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// What git passes the hook (pre-push: the remote's name and URL)
        #[arg(value_name = "ARGS")]
        args: Vec<std::ffi::OsString>,
    },
    /// Check commits like a push would; revisions as `git rev-list` takes them (A..B, ^A, B).
    /// Default: HEAD's commits that are on no remote-tracking ref
    Check {
        #[arg(value_name = "REV", allow_hyphen_values = false)]
        revs: Vec<String>,
    },
    /// Verify commit and tag signatures against the policy's trusted keys (a batch, policy-aware
    /// `git verify-commit`). Revisions: object names, or ranges (`A..B`) for all their commits
    Verify {
        /// Also read revisions from standard input, one per line
        #[arg(long)]
        stdin: bool,
        #[arg(value_name = "REV")]
        revs: Vec<String>,
    },
    /// Scan files and directories (a working tree) for secrets and PII
    Scan {
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
    },
    /// Put the hook in place (or remove it with --uninstall). The hook refers to this binary and
    /// to --policy by absolute path; it is a file whose `#!` line runs this binary (no shell), or
    /// a `#!/bin/sh` script when the path has spaces or an existing hook is chained
    Install {
        /// bare: <repo.git>/hooks/pre-receive; gitea: hooks/pre-receive.d/pushgate; gitlab:
        /// custom_hooks/pre-receive.d/pushgate; local: .git/hooks/pre-push of a clone
        #[arg(value_enum)]
        kind: InstallKind,
        /// The repository (default: the current directory), the repositories root with
        /// `gitea --all`, or GitLab's custom hooks directory with `gitlab --global`
        path: Option<PathBuf>,
        /// gitea: install into every <root>/<owner>/<repo>.git
        #[arg(long)]
        all: bool,
        /// gitlab: install into the server-wide <dir>/pre-receive.d
        #[arg(long)]
        global: bool,
        /// Remove what pushgate installed, restoring a hook it chained
        #[arg(long)]
        uninstall: bool,
    },
    /// Policy file tools
    Policy {
        #[command(subcommand)]
        action: PolicyCommand,
    },
    /// List built-in rules with their ids and one-line docs
    Rules,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file (default: the one pushgate would use here); errors point at file:line:col
    Check { file: Option<PathBuf> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstallKind {
    Bare,
    Gitea,
    Gitlab,
    Local,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn argv(words: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("pushgate").chain(words.iter().copied()).map(Into::into).collect()
    }

    #[test]
    fn the_hook_command_lines_are_read_without_clap_and_as_clap_reads_them() {
        for words in [
            &["pre-receive"][..],
            &["--policy", "/etc/p.toml", "pre-receive"],
            &["pre-receive", "--policy", "p.toml"],
            &["--policy=p.toml", "pre-receive"],
            &["pre-receive", "--policy=/a b/p.toml"],
            &["run-hook", "/srv/r.git/hooks/pre-receive"],
            &["run-hook", "hooks/pre-push", "origin", "git@example.com:x.git"],
        ] {
            let fast = Cli::hook_command_line(argv(words)).unwrap_or_else(|| panic!("{words:?} not read"));
            let clap = Cli::try_parse_from(argv(words)).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{words:?}");
        }
        // Every command line of up to three of these words: where the fast path answers, clap
        // answers the same; anything else is left to clap.
        let tokens = [
            "pre-receive",
            "--policy",
            "p.toml",
            "--policy=p.toml",
            "--policy=",
            "--policy=-x",
            "-x",
            "",
            "--format",
            "json",
            "pre-push",
            "--help",
            "-",
            "run-hook",
            "hooks/pre-push",
        ];
        let mut answered = 0;
        for a in 0..tokens.len() {
            for b in 0..=tokens.len() {
                for c in 0..=tokens.len() {
                    let words: Vec<&str> = [Some(a), (b < tokens.len()).then_some(b), (c < tokens.len()).then_some(c)]
                        .into_iter()
                        .flatten()
                        .map(|i| tokens[i])
                        .collect();
                    if let Some(fast) = Cli::hook_command_line(argv(&words)) {
                        answered += 1;
                        let clap = Cli::try_parse_from(argv(&words)).unwrap_or_else(|e| panic!("{words:?}: {e}"));
                        assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{words:?}");
                    }
                }
            }
        }
        assert!(answered >= 5, "{answered}");
    }
}
