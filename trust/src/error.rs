//! The one error type of this crate, and the refusal a verifier hands to rustls.
//!
//! Two families live here. Input errors (a file that is missing, empty, garbage, too large...) say
//! which file and what is wrong with it, and carry a stable code (`input.*`) so the binary can print
//! it and scripts can match it. A [`Refusal`] is the verdict of a check that ran and said no: it
//! travels through rustls inside `CertificateError::Other` and comes back out through
//! [`crate::diagnose`] as a [`crate::Diagnosis`].

use std::fmt;
use std::path::{Path, PathBuf};

use crate::kind::ErrorKind;

/// Everything that can go wrong in this crate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input file does not exist.
    NotFound {
        /// The file asked for.
        path: PathBuf,
    },
    /// The input is a directory where a file was expected.
    IsADirectory {
        /// The directory given.
        path: PathBuf,
    },
    /// The input is larger than anything a certificate file plausibly is; it was not read.
    TooLarge {
        /// The file given.
        path: PathBuf,
        /// Its size in bytes (at least `limit + 1` when read from a stream).
        size: u64,
        /// The largest size accepted, [`crate::MAX_INPUT_BYTES`].
        limit: u64,
    },
    /// The input is empty (or only whitespace).
    Empty {
        /// The file given.
        path: PathBuf,
    },
    /// The input is neither a PEM file holding certificates nor a DER certificate.
    NotACertificate {
        /// The file given.
        path: PathBuf,
        /// What was found instead.
        found: String,
    },
    /// The input starts like a DER certificate but ends before the certificate does.
    TruncatedDer {
        /// The file given.
        path: PathBuf,
    },
    /// The PEM file holds a private key and no certificate (a common mix-up of `key.pem` and
    /// `cert.pem`).
    PrivateKeyOnly {
        /// The file given.
        path: PathBuf,
    },
    /// The input could not be read for another reason (permissions, I/O).
    Read {
        /// The file given.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// A certificate (already loaded) cannot be parsed.
    BadCertificate {
        /// What the parser said.
        reason: String,
    },
    /// A pin is not in any accepted spelling (`sha256/BASE64`, `sha256//BASE64`, 64 hex digits).
    InvalidPin {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A trust policy was built with nothing to trust: no pin, no anchor, no trust on first use.
    EmptyPolicy,
    /// A check ran and refused the peer.
    Refused(Refusal),
}

impl Error {
    /// The stable code of this error (`input.empty`, `policy.empty`, or a refusal's code).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => crate::diagnosis::codes::INPUT_NOT_FOUND,
            Self::IsADirectory { .. } => crate::diagnosis::codes::INPUT_IS_A_DIRECTORY,
            Self::TooLarge { .. } => crate::diagnosis::codes::INPUT_TOO_LARGE,
            Self::Empty { .. } => crate::diagnosis::codes::INPUT_EMPTY,
            Self::NotACertificate { .. } => crate::diagnosis::codes::INPUT_NOT_A_CERTIFICATE,
            Self::TruncatedDer { .. } => crate::diagnosis::codes::INPUT_TRUNCATED_DER,
            Self::PrivateKeyOnly { .. } => crate::diagnosis::codes::INPUT_PRIVATE_KEY_ONLY,
            Self::Read { .. } => crate::diagnosis::codes::INPUT_UNREADABLE,
            Self::BadCertificate { .. } => crate::diagnosis::codes::INPUT_BAD_CERTIFICATE,
            Self::InvalidPin { .. } => crate::diagnosis::codes::INPUT_INVALID_PIN,
            Self::EmptyPolicy => crate::diagnosis::codes::POLICY_EMPTY,
            Self::Refused(r) => r.code(),
        }
    }

    /// What a caller does about it: fix an input, fix the command line, or distrust the peer.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::EmptyPolicy => ErrorKind::Usage,
            Self::Refused(r) => r.kind(),
            _ => ErrorKind::BadInput,
        }
    }
}

/// Names a path the way a person reads it: `-` is standard input.
pub(crate) fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { path } => write!(f, "{}: no such file", shown(path)),
            Self::IsADirectory { path } => {
                write!(f, "{}: is a directory, expected a certificate file", shown(path))
            }
            Self::TooLarge { path, size, limit } => write!(
                f,
                "{}: too large for a certificate file ({size} bytes, the limit is {limit})",
                shown(path)
            ),
            Self::Empty { path } => write!(f, "{}: empty file, expected a certificate", shown(path)),
            Self::NotACertificate { path, found } => write!(
                f,
                "{}: not a certificate (expected PEM or DER, found {found})",
                shown(path)
            ),
            Self::TruncatedDer { path } => write!(
                f,
                "{}: truncated DER certificate (the file ends before the certificate does)",
                shown(path)
            ),
            Self::PrivateKeyOnly { path } => write!(
                f,
                "{}: holds a private key and no certificate (did you mean the certificate file?)",
                shown(path)
            ),
            Self::Read { path, reason } => write!(f, "{}: cannot read: {reason}", shown(path)),
            Self::BadCertificate { reason } => write!(f, "cannot parse the certificate: {reason}"),
            Self::InvalidPin { input, reason } => write!(
                f,
                "invalid pin {input:?}: {reason} (expected sha256/BASE64, sha256//BASE64 or 64 hex digits)"
            ),
            Self::EmptyPolicy => write!(
                f,
                "a trust policy needs at least one pin, one anchor, or trust on first use"
            ),
            Self::Refused(r) => fmt::Display::fmt(r, f),
        }
    }
}

impl std::error::Error for Error {}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

/// A verifier's "no": a stable code from [`crate::diagnosis::CATALOGUE`] and the specifics.
///
/// Inside rustls it travels as `rustls::Error::InvalidCertificate(CertificateError::Other(..))`
/// holding an [`Error::Refused`]; [`crate::diagnose`] gets it back out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    code: &'static str,
    detail: String,
}

impl Refusal {
    /// A refusal with `code` (a catalogue code) and a sentence of specifics.
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }

    /// The stable diagnosis code, e.g. `cert.expired`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A refusal is the trust policy saying no: [`ErrorKind::Untrusted`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Untrusted
    }

    /// The specifics: which dates, which names, which pins.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Wraps this refusal the way rustls carries a verifier's error.
    pub fn into_rustls(self) -> rustls::Error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(Error::Refused(self)),
        )))
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            write!(f, "refused ({})", self.code)
        } else {
            write!(f, "{} ({})", self.detail, self.code)
        }
    }
}

impl std::error::Error for Refusal {}
