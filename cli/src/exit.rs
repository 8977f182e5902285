//! Exit statuses and the top-level error report.
//!
//! Every failure ends as one line on stderr naming what was wrong and what to do, with a stable code
//! in brackets, and one of the documented exit statuses below (README.md "Exit status" has the same
//! table; keep them in step).

use std::fmt;
use std::process::ExitCode;

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

/// Prints one line (plus `caused by` lines for context) and returns the status.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let (status, code) = match err.chain().find_map(|e| e.downcast_ref::<Failure>()) {
        Some(f) => (f.status, f.code.clone()),
        None => (Status::Internal, "internal".to_owned()),
    };
    eprintln!("accessory: error: {err:#} [{code}]");
    status.into()
}
