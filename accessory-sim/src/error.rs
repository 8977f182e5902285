//! The one error type of the simulator. Every variant names the thing a person has to fix.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can stop a simulated accessory from starting.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file could not be read (missing, a directory, unreadable).
    #[error("cannot read scenario {path}: {io}")]
    ReadScenario {
        /// The file named on the command line or in the test.
        path: PathBuf,
        /// What the operating system said.
        io: io::Error,
    },
    /// A scenario is not valid TOML, has an unknown field, or a value of the wrong type.
    #[error("scenario {path}: {message}")]
    ParseScenario {
        /// The scenario file (`<inline>` for a string).
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A scenario that parses but cannot be served (an empty device id, a network without an SSID...).
    #[error("invalid scenario: {0}")]
    InvalidScenario(String),
    /// A fault name that is not in the catalogue.
    #[error("unknown fault `{name}`{} (known faults: {known})", suggestion.as_ref().map(|s| format!(": did you mean `{s}`?")).unwrap_or_default())]
    UnknownFault {
        /// The name as given.
        name: String,
        /// The nearest name in the catalogue, when one is close enough to be a typo.
        suggestion: Option<String>,
        /// The catalogue, comma separated, so the message is enough to fix the typo.
        known: String,
    },
    /// A fault whose value is missing, extra or not understood (`clienthello-limit=abc`).
    #[error("fault `{fault}`: {message}")]
    BadFaultValue {
        /// The fault as given.
        fault: String,
        /// What is wrong with its value.
        message: String,
    },
    /// The certificate profile could not be generated or served.
    #[error("certificate profile `{profile}`: {message}")]
    Certificate {
        /// The `certs` profile name.
        profile: String,
        /// What went wrong, from `certs` or from rustls.
        message: String,
    },
    /// The certificate and key `certs mint` wrote (served with `--minted DIR`) cannot be used.
    #[error("minted certificate in {}: {message}", dir.display())]
    Minted {
        /// The directory given.
        dir: std::path::PathBuf,
        /// What is wrong with its chain.pem or key.pem.
        message: String,
    },
    /// The TLS server configuration could not be built from the scenario.
    #[error("tls configuration: {0}")]
    Tls(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {io}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said (address in use, permission denied...).
        io: io::Error,
    },
    /// An API profile (`--api-profile`) that cannot be read or used; the message names the file
    /// and, for its contents, the line and column.
    #[error("{message}")]
    ApiProfile {
        /// `profile.*` for the contents (`protocol::profile::codes`), else the file's problem.
        code: &'static str,
        /// What is wrong, naming the file.
        message: String,
    },
    /// A file the simulator writes (anchors, manifest) could not be written.
    #[error("cannot write {path}: {io}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        io: io::Error,
    },
}

impl Error {
    /// A stable code for scripts and exit-status mapping (`sim.bad_scenario`, `sim.bind`...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::ReadScenario { .. } => trust::diagnosis::codes::SIM_READ_SCENARIO,
            Error::ParseScenario { .. } | Error::InvalidScenario(_) => {
                trust::diagnosis::codes::SIM_BAD_SCENARIO
            }
            Error::UnknownFault { .. } => trust::diagnosis::codes::SIM_UNKNOWN_FAULT,
            Error::BadFaultValue { .. } => trust::diagnosis::codes::SIM_BAD_FAULT_VALUE,
            Error::Certificate { .. } => trust::diagnosis::codes::SIM_CERTIFICATE,
            Error::Tls(_) => trust::diagnosis::codes::SIM_TLS_CONFIG,
            Error::Minted { .. } => trust::diagnosis::codes::SIM_MINTED,
            Error::Bind { .. } => trust::diagnosis::codes::SIM_BIND,
            Error::Write { .. } => trust::diagnosis::codes::SIM_WRITE,
            Error::ApiProfile { code, .. } => code,
        }
    }

    /// What a caller does about it: fix the scenario or fault given, fix local state (a port in use,
    /// a file that cannot be written), or report a bug.
    pub fn kind(&self) -> trust::ErrorKind {
        use trust::ErrorKind as K;
        match self {
            Error::ReadScenario { .. }
            | Error::ParseScenario { .. }
            | Error::InvalidScenario(_)
            | Error::UnknownFault { .. }
            | Error::BadFaultValue { .. }
            | Error::Minted { .. }
            | Error::ApiProfile { .. } => K::BadInput,
            Error::Bind { .. } | Error::Write { .. } => K::LocalState,
            Error::Certificate { .. } | Error::Tls(_) => K::Internal,
        }
    }
}
