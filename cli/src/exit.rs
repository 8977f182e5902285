//! Exit statuses and the top-level error report.
//!
//! Every failure ends as one line on stderr naming what was wrong and what to do, with a stable code
//! in brackets, and one of the documented exit statuses below (README.md "Exit status" has the same
//! table; keep them in step).

use std::fmt;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::cmd;

/// The documented exit statuses. Numbers are stable: scripts and factory CI depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Everything asked for was done, and every verdict was positive.
    Success = 0,
    /// The command ran, and its verdict was negative: a certificate refused by `trust verify`,
    /// lint findings at error severity, a platform that `probe` predicts would fail.
    Verdict = 1,
    /// The command line was wrong (clap's own status).
    Usage = 2,
    /// An input file could not be read or understood: missing, a directory, empty, garbage PEM,
    /// truncated DER, too large, a wrong key passphrase.
    BadInput = 3,
    /// The accessory was reached but refused by the trust policy (certificate, pin, identity,
    /// first-use mismatch). Nothing secret was sent.
    Untrusted = 4,
    /// The accessory could not be reached or the TLS handshake failed for a reason other than
    /// trust: no route, refused, reset, an alert from the peer, no common protocol.
    Unreachable = 5,
    /// The accessory answered, and reported that provisioning failed (wrong passphrase, network
    /// not found, DHCP failed) or answered with an error.
    AccessoryFailed = 6,
    /// The deadline passed before the work finished.
    Timeout = 7,
    /// Local state could not be used: the ledger, the trust store, a file that exists and needs
    /// `--force`, a missing privilege (root for SoftAP namespaces).
    LocalState = 8,
    /// A bug: please report it.
    Internal = 70,
    /// Interrupted by Ctrl-C or SIGTERM, after cleaning up (a joined SoftAP was left and the
    /// previous connection restored). 128 + SIGINT, as shells report it.
    Interrupted = 130,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(s as u8)
    }
}

/// An error that knows its exit status and stable code. Commands wrap library errors in this.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    pub code: String,
    pub source: anyhow::Error,
}

impl Failure {
    pub fn new(status: Status, code: impl Into<String>, source: impl Into<anyhow::Error>) -> Self {
        Self {
            status,
            code: code.into(),
            source: source.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.source)
    }
}

impl std::error::Error for Failure {}

/// Shorthand for `Err(Failure::new(..).into())`.
pub fn fail<T>(status: Status, code: &str, source: impl Into<anyhow::Error>) -> anyhow::Result<T> {
    Err(Failure::new(status, code, source).into())
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ACCESSORY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `accessory ... | head` closes stdout early. Rust ignores SIGPIPE, so `println!` then panics with
/// "failed printing to stdout: Broken pipe"; a reader that stopped reading is not a failure, so end
/// quietly with success, as ripgrep does. (Restoring SIGPIPE's default would need unsafe code.)
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

pub fn run(cli: Cli) -> ExitCode {
    quiet_on_broken_pipe();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("accessory: error: cannot start the async runtime: {e} [internal]");
            return Status::Internal.into();
        }
    };
    let result = runtime.block_on(dispatch(cli.command));
    match result {
        Ok(status) => status.into(),
        Err(err) => report(&err),
    }
}

async fn dispatch(command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Provision(args) => cmd::provision::run(args).await,
        Command::Trust(c) => cmd::trust::run(c).await,
        Command::Sim(args) => cmd::sim::run(args).await,
        Command::Certs(c) => cmd::certs::run(c).await,
        Command::Probe(args) => cmd::probe::run(args).await,
        Command::Ledger(c) => cmd::ledger::run(c).await,
        Command::Completions(args) => cmd::meta::completions(args),
        Command::Man(args) => cmd::meta::man(args),
    }
}

/// Prints one line (plus `caused by` lines for context) and returns the status.
fn report(err: &anyhow::Error) -> ExitCode {
    let (status, code) = match err.chain().find_map(|e| e.downcast_ref::<Failure>()) {
        Some(f) => (f.status, f.code.clone()),
        None => (Status::Internal, "internal".to_owned()),
    };
    eprintln!("accessory: error: {err:#} [{code}]");
    status.into()
}
