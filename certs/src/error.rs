//! The one error type of this crate. Foreign errors (rcgen, rsa, der, rustls) are turned into text
//! here so that they do not leak through the public API.

use std::path::PathBuf;

/// Everything that can go wrong while making, reading or writing certificates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No profile has this name.
    #[error("unknown certificate profile `{name}` (known: {known})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The known names, comma separated.
        known: String,
    },

    /// The device id cannot be written into a certificate as subject CN, serialNumber and the first
    /// label of a DNS name.
    #[error("invalid device id `{device_id}`: {reason}")]
    InvalidDeviceId {
        /// The id given.
        device_id: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A validity period that this tool will not put into a device certificate.
    #[error("invalid validity of {days} days: {reason}")]
    InvalidValidity {
        /// The number of days asked for.
        days: u32,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A certificate or key could not be made (a bug or an exhausted random source, not bad input).
    #[error("cannot make {what}: {detail}")]
    Generate {
        /// What was being made ("the device certificate", "an RSA-1024 key"...).
        what: &'static str,
        /// The underlying library's message.
        detail: String,
    },

    /// A file this command would write already exists; keys and certificates are never overwritten
    /// unless asked for.
    #[error("{} already exists: refusing to overwrite it (use --force to replace it)", path.display())]
    WouldOverwrite {
        /// The file that exists.
        path: PathBuf,
    },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },

    /// A file of a manufacturer CA directory is missing or cannot be understood.
    #[error("{}: {reason}", path.display())]
    BadCaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The operation needs the manufacturer root's private key, which this CA does not hold.
    #[error("{what} needs the manufacturer root's private key, and this CA was loaded without it")]
    RootKeyNeeded {
        /// What needed it.
        what: &'static str,
    },

    /// The label cannot be made from what was given (an SSID outside 1 to 32 bytes).
    #[error("cannot make the label: {reason}")]
    InvalidLabel {
        /// Why.
        reason: String,
    },

    /// A private key that cannot be served over TLS.
    #[error("cannot serve this private key: {reason}")]
    UnusableKey {
        /// Why.
        reason: String,
    },
}

impl Error {
    /// A stable code for scripts and exit-status mapping (`certs.exists`, `certs.io`...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownProfile { .. } => trust::diagnosis::codes::CERTS_UNKNOWN_PROFILE,
            Error::InvalidDeviceId { .. } => trust::diagnosis::codes::CERTS_INVALID_DEVICE_ID,
            Error::InvalidValidity { .. } => trust::diagnosis::codes::CERTS_INVALID_VALIDITY,
            Error::Generate { .. } => trust::diagnosis::codes::CERTS_GENERATE,
            Error::WouldOverwrite { .. } => trust::diagnosis::codes::CERTS_EXISTS,
            Error::Io { .. } => trust::diagnosis::codes::CERTS_IO,
            Error::BadCaFile { .. } => trust::diagnosis::codes::CERTS_BAD_CA,
            Error::RootKeyNeeded { .. } => trust::diagnosis::codes::CERTS_ROOT_KEY_NEEDED,
            Error::UnusableKey { .. } => trust::diagnosis::codes::CERTS_UNUSABLE_KEY,
            Error::InvalidLabel { .. } => trust::diagnosis::codes::CERTS_INVALID_LABEL,
        }
    }

    /// What a caller does about it (the binary maps it to an exit status): a flag to correct, a CA
    /// file to fix, local state (an existing file, the disk, a missing root key), or a bug.
    pub fn kind(&self) -> trust::ErrorKind {
        use trust::ErrorKind as K;
        match self {
            Error::WouldOverwrite { .. } | Error::Io { .. } | Error::RootKeyNeeded { .. } => {
                K::LocalState
            }
            Error::BadCaFile { .. } => K::BadInput,
            Error::UnknownProfile { .. }
            | Error::InvalidDeviceId { .. }
            | Error::InvalidValidity { .. }
            | Error::InvalidLabel { .. } => K::Usage,
            Error::Generate { .. } | Error::UnusableKey { .. } => K::Internal,
        }
    }

    pub(crate) fn generate(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Generate {
            what,
            detail: detail.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
