//! pushgate's entry point: parse the command line, call the library, print the rendering, and map
//! the outcome to an exit code (0 accepted, 1 rejected, 2 usage/policy error, 3 internal error).
//! Any panic is caught and rejects, so a hook always fails closed.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use pushgate::cli::{Cli, Command, InstallKind, PolicyCommand};
use pushgate::policy::Policy;
use pushgate::report::{self, Decision, Format, Style};
use pushgate::{Error, Outcome};

fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn is_gitlab_env() -> bool {
    ["GL_ID", "GL_USERNAME", "GL_PROTOCOL"].iter().any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// Print a failure that prevented a verdict. For hooks it is a rejection.
fn fail(cli: &Cli, hook: bool, e: &Error) -> ExitCode {
    let code = e.exit_code();
    let what = if hook { "push rejected" } else { "error" };
    let reason = match e {
        Error::Policy(_) => "the policy cannot be used",
        Error::Usage(_) | Error::Push(pushgate::push::PushError::Input(_)) => "invalid input",
        _ => "pushgate could not complete its checks",
    };
    let text = format!("pushgate: {what}: {reason}\n{e}\n");
    match cli.format {
        Format::Json | Format::Sarif => {
            let v = serde_json::json!({"decision": "reject", "error": e.to_string(), "findings": []});
            out(&format!("{v}\n"));
        }
        Format::Human => {}
    }
    if hook && is_gitlab_env() {
        err(&text.lines().map(|l| format!("GL-HOOK-ERR: {l}\n")).collect::<String>());
    } else {
        err(&text);
    }
    ExitCode::from(code)
}

/// Print the verdict; the exit code: 0 accepted, 1 rejected.
fn finish(format: Format, hook: bool, outcome: Outcome) -> u8 {
    let style = Style { gitlab: hook && outcome.identity.is_gitlab(), hook };
    let text = report::render(&outcome.report, format, style);
    match (format, hook) {
        (Format::Human, true) => err(&text),
        _ => out(&text),
    }
    match outcome.report.decision() {
        Decision::Accept => 0,
        Decision::Reject => 1,
    }
}

/// A progress line on stderr (git shows it live as a `remote:` line; GitLab wants its prefix).
fn progress_line(gitlab: bool, line: &str) {
    if gitlab {
        err(&format!("GL-HOOK-ERR: {line}\n"));
    } else {
        err(&format!("{line}\n"));
    }
}

/// How a server hook prints progress lines and the verdict its watchdog gives when the time
/// budget runs out (then it ends the process).
fn hook_output(format: Format) -> pushgate::HookOutput {
    let gitlab = is_gitlab_env();
    pushgate::HookOutput {
        progress: Box::new(move |line: &str| progress_line(gitlab, line)),
        on_timeout: Box::new(move |outcome| {
            let code = finish(format, true, outcome);
            let _ = std::io::stdout().lock().flush();
            std::process::exit(i32::from(code))
        }),
    }
}

fn policy_check(cli: &Cli, file: Option<&std::path::Path>) -> ExitCode {
    let result = match file.or(cli.policy.as_deref()) {
        Some(f) => Policy::from_file(f),
        None => {
            let git_dir = std::env::var_os("GIT_DIR").map(std::path::PathBuf::from);
            Policy::locate(None, git_dir.as_deref())
        }
    };
    match result {
        Ok(p) => {
            out(&format!(
                "policy OK: {} ({} protected branch pattern(s), {} tag pattern(s), signatures {:?})\n",
                p.source.name,
                p.branches.len(),
                p.tags.len(),
                p.signatures.require
            ));
            ExitCode::SUCCESS
        }
        Err(e) => {
            err(&format!("{e}\npushgate: policy rejected: {} problem(s)\n", e.diagnostics.len()));
            ExitCode::from(2)
        }
    }
}

fn absolute(p: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf()))
}

fn install(
    cli: &Cli,
    kind: InstallKind,
    path: Option<&std::path::Path>,
    all: bool,
    global: bool,
    uninstall: bool,
) -> ExitCode {
    use pushgate::install::{Options, Target};
    let dir = path.map_or_else(|| std::path::PathBuf::from("."), absolute);
    let target = match (kind, all, global) {
        (InstallKind::Bare, false, false) => Target::Bare(dir),
        (InstallKind::Gitea, false, false) => Target::Gitea(dir),
        (InstallKind::Gitea, true, false) => Target::GiteaAll(dir),
        (InstallKind::Gitlab, false, false) => Target::GitLab(dir),
        (InstallKind::Gitlab, false, true) => Target::GitLabGlobal(dir),
        (InstallKind::Local, false, false) => Target::Local(dir),
        _ => {
            err("pushgate: --all goes with `install gitea`, --global with `install gitlab`\n");
            return ExitCode::from(2);
        }
    };
    let binary = match std::env::current_exe() {
        Ok(b) => absolute(&b),
        Err(e) => {
            err(&format!("pushgate: cannot tell where this binary is: {e}\n"));
            return ExitCode::from(3);
        }
    };
    let opts = Options { binary, policy: cli.policy.as_deref().map(absolute), uninstall };
    match pushgate::install::install(&target, &opts) {
        Ok(actions) => {
            out(&actions.iter().map(|a| format!("{a}\n")).collect::<String>());
            ExitCode::SUCCESS
        }
        Err(e) => {
            err(&format!("pushgate: install failed: {e}\n"));
            ExitCode::from(2)
        }
    }
}

fn rules(cli: &Cli) -> ExitCode {
    let all = pushgate::rules::all();
    if cli.format == Format::Human {
        let width = all.iter().map(|r| r.id.len()).max().unwrap_or(0).min(40);
        out(&all.iter().map(|r| format!("{:width$}  {}\n", r.id, r.summary)).collect::<String>());
    } else {
        let v: Vec<_> = all.iter().map(|r| serde_json::json!({"id": r.id, "summary": r.summary})).collect();
        out(&format!("{}\n", serde_json::json!({ "rules": v })));
    }
    ExitCode::SUCCESS
}

/// `pushgate run-hook FILE [ARGS]`: what a hook file's `#!` line runs. Reads the file, then runs
/// the hook it names as `[--policy P] <hook> [ARGS]` would; a file that cannot be used refuses.
fn run_hook(cli: &Cli, file: &std::path::Path, args: &[std::ffi::OsString]) -> ExitCode {
    let usage = |m: String| fail(cli, true, &Error::Usage(m));
    if cli.policy.is_some() {
        return usage("run-hook takes the policy from the hook file, not from --policy".into());
    }
    let hook = match pushgate::install::read_hook_file(file) {
        Ok(h) => h,
        Err(e) => return usage(e),
    };
    let command = match (hook.hook, args) {
        (pushgate::install::Hook::PreReceive, []) => Command::PreReceive,
        (pushgate::install::Hook::PrePush, [remote, url @ ..]) if url.len() <= 1 => {
            let text = |a: &std::ffi::OsString| a.to_str().map(str::to_owned);
            match (text(remote), url.first().map(text)) {
                (Some(remote), None) => Command::PrePush { remote, url: None },
                (Some(remote), Some(Some(url))) => Command::PrePush { remote, url: Some(url) },
                _ => return usage("pre-push: the remote's name and URL must be UTF-8".into()),
            }
        }
        (h, _) => {
            return usage(format!(
                "{}: git passes {} arguments, got {}",
                h.name(),
                if h == pushgate::install::Hook::PreReceive { "no" } else { "1 or 2" },
                args.len()
            ));
        }
    };
    run(&Cli { policy: hook.policy, format: cli.format, command })
}

fn run(cli: &Cli) -> ExitCode {
    let policy = cli.policy.as_deref();
    let gitlab = is_gitlab_env();
    let progress = move |line: &str| progress_line(gitlab, line);
    let (hook, result) = match &cli.command {
        Command::PreReceive => (true, pushgate::pre_receive(policy, hook_output(cli.format))),
        Command::Update { reference, old, new } => {
            (true, pushgate::update(policy, reference, old, new, hook_output(cli.format)))
        }
        Command::PrePush { remote, .. } => (true, pushgate::pre_push(policy, remote, &progress)),
        Command::Check { revs } => (false, pushgate::check(policy, revs, &progress)),
        Command::Scan { paths } => (false, pushgate::scan(policy, paths)),
        Command::Policy { action: PolicyCommand::Check { file } } => return policy_check(cli, file.as_deref()),
        Command::Rules => return rules(cli),
        Command::RunHook { file, args } => return run_hook(cli, file, args),
        Command::Install { kind, path, all, global, uninstall } => {
            return install(cli, *kind, path.as_deref(), *all, *global, *uninstall);
        }
        Command::Verify { stdin, revs } => {
            return match pushgate::verify(policy, revs, *stdin) {
                Ok(v) => {
                    out(&v.render(cli.format));
                    if v.all_valid() { ExitCode::SUCCESS } else { ExitCode::from(1) }
                }
                Err(e) => fail(cli, false, &e),
            };
        }
    };
    match result {
        Ok(outcome) => ExitCode::from(finish(cli.format, hook, outcome)),
        Err(e) => fail(cli, hook, &e),
    }
}

fn main() -> ExitCode {
    // A panic must never let a push through: report it and exit 3. git treats any non-zero exit
    // of pre-receive as a refusal, so the refs do not move.
    // A server hook's watchdog may have given the verdict already (the time budget ran out); then
    // a panic elsewhere stays silent and waits for the watchdog to end the process.
    std::panic::set_hook(Box::new(|info| {
        if !pushgate::budget::on_watchdog_thread() && !pushgate::budget::claim_for_checks() {
            pushgate::budget::wait_for_watchdog();
        }
        err(&format!("pushgate: rejected: internal error (this is a bug in pushgate): {info}\n"));
    }));
    if let Ok(filter) = std::env::var("PUSHGATE_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
    }
    let cli = Cli::hook_command_line(std::env::args_os()).unwrap_or_else(Cli::parse);
    let code = std::panic::catch_unwind(|| run(&cli)).unwrap_or(ExitCode::from(3));
    // Never exit while a watchdog is giving the verdict.
    if !pushgate::budget::claim_for_checks() {
        pushgate::budget::wait_for_watchdog();
    }
    code
}
