//! Exit statuses and the top-level error report.
//!
//! Every failure ends as one line on stderr naming what was wrong and what to do, with a stable code
//! in brackets, and one of the documented exit statuses below (README.md "Exit status" has the same
//! table; keep them in step). The libraries give every error its code and its [`ErrorKind`]; the
//! one kind -> status table is `From<ErrorKind> for ExitStatus` below.

use std::fmt;
use std::process::ExitCode;

use trust::{Diagnosis, ErrorKind};

pub use trust::diagnosis::codes;

/// The documented exit statuses. Numbers are stable: scripts and factory CI depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
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
    /// Interrupted by Ctrl-C, after cleaning up (a provisioning attempt recorded as interrupted,
    /// a joined SoftAP left and the previous connection restored). 128 + SIGINT, as shells
    /// report it.
    Interrupted = 130,
    /// The same after SIGTERM: 128 + SIGTERM. Only [`ExitStatus::after_signal`] makes it.
    Terminated = 143,
}

impl ExitStatus {
    /// An interrupted command's status says which signal interrupted it: 143 after SIGTERM,
    /// 130 after Ctrl-C (the kind -> status table cannot know which one arrived).
    pub fn after_signal(self) -> Self {
        if self == ExitStatus::Interrupted && crate::signal::terminated() {
            ExitStatus::Terminated
        } else {
            self
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s as u8)
    }
}

/// The one table: what a caller does about an error ([`ErrorKind`], decided by the library that
/// made it) -> the documented exit status. Nothing else in the binary picks a status for an error.
impl From<ErrorKind> for ExitStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Verdict => ExitStatus::Verdict,
            ErrorKind::Usage => ExitStatus::Usage,
            ErrorKind::BadInput => ExitStatus::BadInput,
            ErrorKind::Untrusted => ExitStatus::Untrusted,
            ErrorKind::Unreachable => ExitStatus::Unreachable,
            ErrorKind::AccessoryFailed => ExitStatus::AccessoryFailed,
            ErrorKind::Timeout => ExitStatus::Timeout,
            ErrorKind::LocalState => ExitStatus::LocalState,
            ErrorKind::Interrupted => ExitStatus::Interrupted,
            ErrorKind::Internal => ExitStatus::Internal,
            // A kind added to `trust` after this binary was written: a bug until it is mapped.
            _ => ExitStatus::Internal,
        }
    }
}

/// A library error the binary can report: its stable code (in `trust`'s one catalogue) and its kind.
pub trait LibraryError: std::error::Error + Send + Sync + 'static {
    /// The stable code, e.g. `input.empty`.
    fn code(&self) -> &str;
    /// What a caller does about it.
    fn kind(&self) -> ErrorKind;
}

macro_rules! library_error {
    ($($t:ty),* $(,)?) => {$(
        impl LibraryError for $t {
            fn code(&self) -> &str {
                <$t>::code(self)
            }
            fn kind(&self) -> ErrorKind {
                <$t>::kind(self)
            }
        }
    )*};
}

library_error!(
    trust::Error,
    trust::store::StoreError,
    trust::export::ExportError,
    trust::lint::LintError,
    certs::Error,
    accessory_sim::Error,
    accessory_sim::SoftApError,
    probe::Error,
    provision::Error,
    provision::wifi::WifiError,
    provision::wifi::LifecycleError,
    provision::SecretFileError,
    provision::PassphraseError,
    provision::ClientCertError,
    provision::ProfileLoadError,
    provision::fleet::InventoryError,
    provision::label::LabelReadError,
);

/// An error that knows its exit status and stable code. Commands wrap library errors in this.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    pub code: String,
    pub source: anyhow::Error,
}

impl Failure {
    /// A failure with a catalogued code (`trust::diagnosis::codes`); its kind, and so its status,
    /// is the catalogue's. A code missing from the catalogue is a bug: exit status 70.
    pub fn coded(code: &'static str, source: impl Into<anyhow::Error>) -> Self {
        let kind = Diagnosis::lookup(code).map_or(ErrorKind::Internal, |d| d.kind);
        Self::new(kind, code, source)
    }

    /// A library error: its code, and the status of its kind.
    pub fn of(e: impl LibraryError) -> Self {
        let (kind, code) = (e.kind(), e.code().to_owned());
        Self::new(kind, code, e)
    }

    /// A library error where the command knows better what a caller does about it: a pin given
    /// as a flag is a usage error, an unreadable anchor read from the store is local state.
    pub fn as_kind(kind: ErrorKind, e: impl LibraryError) -> Self {
        let code = e.code().to_owned();
        Self::new(kind, code, e)
    }

    /// Adds context (a file name, what was being done) in front of the error's own text.
    pub fn context(mut self, context: impl fmt::Display + Send + Sync + 'static) -> Self {
        self.source = self.source.context(context);
        self
    }

    fn new(kind: ErrorKind, code: impl Into<String>, source: impl Into<anyhow::Error>) -> Self {
        Self {
            status: kind.into(),
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

/// Shorthand for `Err(Failure::coded(..).into())`.
pub fn fail<T>(code: &'static str, source: impl Into<anyhow::Error>) -> anyhow::Result<T> {
    Err(Failure::coded(code, source).into())
}

/// Shorthand for `Err(Failure::of(e).into())`, for `.or_else(failed)`.
pub fn failed<T>(e: impl LibraryError) -> anyhow::Result<T> {
    Err(Failure::of(e).into())
}

/// A flag value refused by the library type clap parsed it into (`--fault expird`, `--pin nope`):
/// prints the one line a command prints for that library error and returns the exit status, or
/// `None` when the error is clap's own (exit status 2, clap's message). A fault is the simulator's
/// error with its own kind; a pin given as a flag is a usage error (the command line is wrong, not
/// an input file).
pub fn report_flag(e: &clap::Error) -> Option<i32> {
    use std::error::Error as _;
    if e.kind() != clap::error::ErrorKind::ValueValidation {
        return None;
    }
    let source = e.source()?;
    let (kind, code) = if let Some(e) = source.downcast_ref::<accessory_sim::Error>() {
        (e.kind(), e.code())
    } else if let Some(e) = source.downcast_ref::<trust::Error>() {
        (ErrorKind::Usage, e.code())
    } else {
        return None;
    };
    // The text and its causes, as `{:#}` of the error would print them.
    let mut text = source.to_string();
    let mut cause = source.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    eprintln!("accessory: error: {text} [{code}]");
    print_json_failure(&text, code, ExitStatus::from(kind));
    Some(ExitStatus::from(kind) as i32)
}

/// Prints one line (plus `caused by` lines for context) and returns the status. With `--json`,
/// also the failure as JSON on stdout (the one place every command's failure becomes JSON), unless
/// the command printed its own JSON document already.
pub fn report(err: &anyhow::Error) -> ExitStatus {
    let (status, code) = match err.chain().find_map(|e| e.downcast_ref::<Failure>()) {
        Some(f) => (f.status, f.code.clone()),
        None => (ExitStatus::Internal, codes::INTERNAL.to_owned()),
    };
    eprintln!("accessory: error: {err:#} [{code}]");
    print_json_failure(&format!("{err:#}"), &code, status);
    status
}

/// `{"error": ..., "code": ..., "status": ..., "summary": ..., "fix": ...}` on stdout, when the
/// command asked for `--json` and has not printed its own JSON.
fn print_json_failure(error: &str, code: &str, status: ExitStatus) {
    if !crate::output::failure_as_json() {
        return;
    }
    let catalogued = Diagnosis::lookup(code);
    let value = serde_json::json!({
        "error": error,
        "code": code,
        "status": status.after_signal() as u8,
        "summary": catalogued.map(|d| d.summary),
        "fix": catalogued.map(|d| d.fix),
    });
    let _ = crate::output::json(&value);
}

/// A command line clap refused: clap's message (usage and a hint included) with a `usage.*` code
/// on its first line, and with `--json` the failure as JSON on stdout; exit status 2. Help and
/// `--version` are clap's, unchanged.
pub fn report_usage(e: clap::Error) -> ! {
    use clap::error::ErrorKind as Clap;
    let code = match e.kind() {
        Clap::DisplayHelp
        | Clap::DisplayVersion
        | Clap::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        Clap::UnknownArgument => codes::USAGE_UNKNOWN_ARGUMENT,
        Clap::InvalidSubcommand => codes::USAGE_UNKNOWN_COMMAND,
        Clap::InvalidValue | Clap::ValueValidation | Clap::InvalidUtf8 => {
            codes::USAGE_INVALID_VALUE
        }
        Clap::MissingRequiredArgument | Clap::MissingSubcommand => codes::USAGE_MISSING_ARGUMENT,
        Clap::ArgumentConflict => codes::USAGE_CONFLICT,
        _ => codes::USAGE_INVALID,
    };
    let text = e.render().to_string();
    let mut lines = text.lines();
    let first = lines
        .next()
        .unwrap_or("error: the command line was not understood");
    eprintln!("{first} [{code}]");
    for line in lines {
        eprintln!("{line}");
    }
    // The message is the first line and the indented lines under it (the missing arguments).
    let mut error = first.trim_start_matches("error: ").to_owned();
    for more in text.lines().skip(1).take_while(|l| !l.trim().is_empty()) {
        error.push(' ');
        error.push_str(more.trim());
    }
    print_json_failure(&error, code, ExitStatus::Usage);
    std::process::exit(ExitStatus::Usage as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_code_has_a_documented_exit_status() {
        for d in trust::diagnosis::CATALOGUE {
            let status = ExitStatus::from(d.kind);
            let bug = [codes::INTERNAL, codes::CAPTURED].contains(&d.code)
                || d.code.ends_with(".internal")
                || [
                    codes::EXPORT_PLIST,
                    codes::PROBE_PROFILE,
                    codes::CERTS_GENERATE,
                    codes::CERTS_UNUSABLE_KEY,
                    codes::SIM_CERTIFICATE,
                    codes::SIM_TLS_CONFIG,
                ]
                .contains(&d.code);
            assert_eq!(
                status == ExitStatus::Internal,
                bug,
                "{} has exit status {status:?}",
                d.code
            );
        }
    }

    #[test]
    fn trust_failures_are_untrusted_and_accessory_reports_are_accessory_failed() {
        let status = |code| Failure::coded(code, anyhow::anyhow!("")).status;
        assert_eq!(status(codes::EXPIRED), ExitStatus::Untrusted);
        assert_eq!(status(codes::KEY_CHANGED), ExitStatus::Untrusted);
        assert_eq!(
            status(codes::BAD_HANDSHAKE_SIGNATURE),
            ExitStatus::Untrusted
        );
        assert_eq!(
            status("tls.peer_alert.bad_certificate"),
            ExitStatus::Unreachable
        );
        assert_eq!(status(codes::AUTH_FAILED), ExitStatus::AccessoryFailed);
        assert_eq!(status(codes::DEVICE_ID_MISMATCH), ExitStatus::Untrusted);
        assert_eq!(status(codes::TIMEOUT), ExitStatus::Timeout);
        assert_eq!(status(codes::DEADLINE), ExitStatus::Timeout);
        assert_eq!(status(codes::LEDGER), ExitStatus::LocalState);
        assert_eq!(status(codes::INVALID_REQUEST), ExitStatus::BadInput);
        assert_eq!(status(codes::NET_RESOLVE), ExitStatus::Unreachable);
        assert_eq!(status(codes::INTERRUPTED), ExitStatus::Interrupted);
        assert_eq!(status("no.such_code"), ExitStatus::Internal);
    }

    #[test]
    fn the_errors_the_thin_cli_moved_into_libraries_keep_their_codes_and_statuses() {
        let interrupted =
            provision::wifi::LifecycleError::Interrupted(provision::wifi::Phase::Running);
        let f = Failure::of(interrupted);
        assert_eq!(
            (f.status, f.code.as_str()),
            (ExitStatus::Interrupted, codes::INTERRUPTED)
        );
        let empty = provision::SecretFileError {
            path: "pop.txt".into(),
            what: "PoP code",
            problem: provision::Problem::Empty,
        };
        let f = Failure::of(empty);
        assert_eq!(
            (f.status, f.code.as_str()),
            (ExitStatus::BadInput, codes::INPUT_EMPTY)
        );
        let write = accessory_sim::Error::Write {
            path: "anchors.pem".into(),
            io: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let f = Failure::of(write);
        assert_eq!(
            (f.status, f.code.as_str()),
            (ExitStatus::LocalState, codes::SIM_WRITE)
        );
    }

    #[test]
    fn the_readme_exit_status_table_lists_every_status_in_exit_rs() {
        let readme = include_str!("../../README.md");
        let exit = include_str!("exit.rs");
        let table = readme
            .split("## Exit status")
            .nth(1)
            .expect("README.md has an Exit status section");
        let mut seen = 0;
        for line in exit.lines().map(str::trim) {
            // `Success = 0,` in the ExitStatus enum.
            let Some((name, number)) = line.trim_end_matches(',').split_once(" = ") else {
                continue;
            };
            if !name.chars().all(|c| c.is_ascii_alphabetic()) || number.parse::<u8>().is_err() {
                continue;
            }
            seen += 1;
            assert!(
                table.contains(&format!("| {number} |")),
                "README.md's exit status table lacks {name} = {number}"
            );
        }
        assert!(seen >= 10, "read {seen} statuses from exit.rs");
    }

    #[test]
    fn every_code_the_readme_exit_table_lists_has_that_exit_status() {
        let readme = include_str!("../../README.md");
        let table = readme.split("## Exit status").nth(1).unwrap();
        let table = table.split("\n## ").next().unwrap();
        // `code` or `family.*` -> the status of the row that lists it.
        let mut listed = std::collections::HashMap::new();
        for row in table.lines().filter(|l| l.starts_with("| ")) {
            let Some(number) = row
                .split('|')
                .nth(1)
                .and_then(|n| n.trim().parse::<u8>().ok())
            else {
                continue;
            };
            let codes_column = row.rsplit('|').nth(1).unwrap_or_default();
            for token in codes_column.split('`').skip(1).step_by(2) {
                listed.insert(token.to_owned(), number);
            }
        }
        let mut checked = 0;
        for d in trust::diagnosis::CATALOGUE {
            let family = format!("{}.*", d.code.split('.').next().unwrap());
            let Some(number) = listed.get(d.code).or_else(|| listed.get(&family)) else {
                continue;
            };
            checked += 1;
            assert_eq!(
                ExitStatus::from(d.kind) as u8,
                *number,
                "README.md lists {} under exit status {number}",
                d.code
            );
        }
        assert!(
            checked > 100,
            "only {checked} catalogued codes are in README.md's table"
        );
    }
}
