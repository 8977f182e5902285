//! The one error type of this library.
//!
//! A failed handshake is not an error here: it is the finding a probe exists to report, and it lands
//! in the [`Report`](crate::Report). These variants are the cases where no report can be made at all.

use std::io;

/// Why a probe could not be run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target is not `HOST:PORT` (or `[IPv6]:PORT`).
    #[error("target {input:?} is not HOST:PORT: {reason}")]
    Target {
        /// What the user gave.
        input: String,
        /// What is wrong with it, in plain words.
        reason: &'static str,
    },
    /// A profile name that is not in [`profiles()`](crate::profiles).
    #[error("unknown client profile {name:?} (known: {known})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// No profile was chosen.
    #[error("no client profile chosen")]
    NoProfiles,
    /// The host name did not resolve to any address.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// The host part of the target.
        host: String,
        /// What the resolver said.
        source: io::Error,
    },
    /// The accessory could not be reached at all (refused, no route): no profile got a TCP
    /// connection, so there is nothing to compare.
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        /// `HOST:PORT`.
        target: String,
        /// What the socket said, diagnosed.
        reason: String,
        /// The stable diagnosis code (`net.refused`, `net.no_route`).
        code: String,
    },
    /// A profile could not be turned into a rustls configuration (a bug in the profile table).
    #[error("profile {profile} cannot be built: {reason}")]
    ClientProfile {
        /// The profile's name.
        profile: &'static str,
        /// What rustls refused, as text (rustls' error type is not part of this API).
        reason: String,
    },
    /// The captured leaf certificate's key could not be pinned (the accessory sent something that is
    /// not a certificate we can read).
    #[error("cannot pin the accessory's certificate: {reason}")]
    Pin {
        /// What `trust` refused, as text.
        reason: String,
    },
    /// A ClientHello (a template or a capture given with `--client-hello`) that cannot be read.
    #[error("cannot read the ClientHello: {reason}")]
    ClientHello {
        /// What is wrong with it.
        reason: String,
    },
    /// The file given with `--client-hello` cannot be read.
    #[error("reading {}: {io}", path.display())]
    CaptureUnreadable {
        /// The file.
        path: std::path::PathBuf,
        /// What reading it said.
        io: io::Error,
    },
    /// The file given with `--client-hello` holds no ClientHello that can be read.
    #[error("reading {}: {error}", path.display())]
    Capture {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with what it holds (an [`Error::ClientHello`]).
        error: Box<Error>,
    },
    /// `fetch_chain` got no certificate: the connection or the handshake failed before the
    /// accessory presented one.
    #[error("{addr}: no certificate captured: {} ({})", diagnosis.summary, diagnosis.detail)]
    NoChain {
        /// The address connected to.
        addr: std::net::SocketAddr,
        /// What happened instead (`net.refused`, `net.timeout`, `tls.peer_alert.*`...).
        diagnosis: Box<trust::Diagnosis>,
    },
    /// A certificate the accessory presented cannot be read (`Fetched::of`).
    #[error("certificate #{index} cannot be read: {source}")]
    PresentedCertificate {
        /// Its place in the chain, 0 for the leaf.
        index: usize,
        /// What `trust` said.
        source: trust::Error,
    },
    /// The chain the accessory presented cannot be linted (`Fetched::of`).
    #[error("the presented chain cannot be linted: {0}")]
    PresentedChain(trust::lint::LintError),
    /// The interface given (`--interface`) is not on the accessory's subnet, or does not exist:
    /// nothing was sent.
    #[error("wrong interface {interface} for {target}: {reason}")]
    WrongInterface {
        /// The interface asked for.
        interface: String,
        /// The accessory's address.
        target: std::net::SocketAddr,
        /// Why the interface cannot reach it (no such interface, or no address on its subnet).
        reason: String,
    },
    /// The report directory cannot be written (it exists and is not empty, or an I/O error).
    #[error("writing the report to {}: {reason}", path.display())]
    ReportDir {
        /// The directory given to `--report`.
        path: std::path::PathBuf,
        /// Why it cannot be written.
        reason: String,
    },
}

impl Error {
    /// The stable code (`probe.bad_target`, `net.refused`, ...); a connection failure keeps the
    /// code `trust` diagnosed.
    pub fn code(&self) -> &str {
        match self {
            Error::Target { .. } => trust::diagnosis::codes::PROBE_BAD_TARGET,
            Error::UnknownProfile { .. } | Error::NoProfiles => {
                trust::diagnosis::codes::PROBE_UNKNOWN_PROFILE
            }
            Error::Resolve { .. } => trust::diagnosis::codes::NET_RESOLVE,
            Error::Connect { code, .. } => code,
            Error::ClientProfile { .. } => trust::diagnosis::codes::PROBE_INTERNAL,
            Error::Pin { .. } => trust::diagnosis::codes::PROBE_UNREADABLE_CERTIFICATE,
            Error::ClientHello { .. } | Error::Capture { .. } => {
                trust::diagnosis::codes::PROBE_BAD_CLIENT_HELLO
            }
            Error::CaptureUnreadable { .. } => {
                trust::diagnosis::codes::PROBE_CLIENT_HELLO_UNREADABLE
            }
            Error::NoChain { diagnosis, .. } => diagnosis.code,
            Error::PresentedCertificate { source, .. } => source.code(),
            Error::PresentedChain(_) => trust::diagnosis::codes::INPUT_BAD_CERTIFICATE,
            Error::ReportDir { .. } => trust::diagnosis::codes::PROBE_REPORT_WRITE,
            Error::WrongInterface { .. } => trust::diagnosis::codes::WRONG_INTERFACE,
        }
    }

    /// What a caller does about it: fix the command line, reach the accessory, distrust what it
    /// sent, or report a bug in the profile table.
    pub fn kind(&self) -> trust::ErrorKind {
        use trust::ErrorKind as K;
        match self {
            Error::Target { .. }
            | Error::UnknownProfile { .. }
            | Error::NoProfiles
            | Error::ClientHello { .. }
            | Error::CaptureUnreadable { .. }
            | Error::Capture { .. } => K::Usage,
            Error::Resolve { .. } | Error::Connect { .. } => K::Unreachable,
            Error::Pin { .. } => K::Untrusted,
            Error::ClientProfile { .. } => K::Internal,
            // What the connection or handshake diagnosis says (unreachable, timed out...).
            Error::NoChain { diagnosis, .. } => diagnosis.kind,
            Error::PresentedCertificate { source, .. } => source.kind(),
            Error::PresentedChain(_) => K::BadInput,
            Error::ReportDir { .. } => K::LocalState,
            Error::WrongInterface { .. } => K::Unreachable,
        }
    }
}
