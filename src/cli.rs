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
    /// to --policy by absolute path
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
