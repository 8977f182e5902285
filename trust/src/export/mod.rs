//! Exports: the same anchors and pins, in the form each platform installs them.
//!
//! | format | for | what it holds |
//! | --- | --- | --- |
//! | `mobileconfig` | iOS, iPadOS, macOS | a configuration profile with one `com.apple.security.root` payload per anchor |
//! | `android-nsc` | Android 7+ apps | `res/xml/network_security_config.xml` scoped to the accessory's address, and the `res/raw/` certificates it names |
//! | `pem-bundle` | curl `--cacert`, openssl, most TLS stacks | the anchors as PEM |
//! | `curl-pins` | curl `--pinnedpubkey` | `sha256//A;sha256//B` |
//! | `json` | scripts | anchors (fingerprint, pin, subject, validity, PEM) and pins |
//!
//! Every export is deterministic: the same input gives the same bytes (profile UUIDs are derived from
//! the fingerprints), so re-exporting does not make a phone think it received a new profile, and an
//! export can be reviewed as a diff. Each export also carries instructions for the manual steps no file
//! can do (on iOS, enabling full trust for an installed root).

mod android;
mod mobileconfig;
mod text;

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::StoredAnchor;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// An Apple configuration profile (`.mobileconfig`), one root payload per anchor.
    Mobileconfig,
    /// An Android app's network security config, scoped to the accessory's address, and the
    /// `raw/` certificates it names.
    AndroidNsc,
    /// The anchors as one PEM file.
    PemBundle,
    /// curl's `--pinnedpubkey` argument.
    CurlPins,
    /// Everything as JSON, for scripts.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mobileconfig" => Ok(Self::Mobileconfig),
            "android-nsc" => Ok(Self::AndroidNsc),
            "pem-bundle" => Ok(Self::PemBundle),
            "curl-pins" => Ok(Self::CurlPins),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown export format {other:?} (expected mobileconfig, android-nsc, pem-bundle, curl-pins or json)"
            )),
        }
    }
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [
        Self::Mobileconfig,
        Self::AndroidNsc,
        Self::PemBundle,
        Self::CurlPins,
        Self::Json,
    ];

    /// The name on the command line (`curl-pins`); `FromStr` parses it back.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mobileconfig => "mobileconfig",
            Self::AndroidNsc => "android-nsc",
            Self::PemBundle => "pem-bundle",
            Self::CurlPins => "curl-pins",
            Self::Json => "json",
        }
    }

    /// True when the export is one file that can go to standard output.
    pub fn single_file(self) -> bool {
        !matches!(self, Self::AndroidNsc)
    }
}

/// One anchor to export.
#[derive(Debug, Clone)]
pub struct ExportAnchor {
    /// A human name (the store label, or the subject CN).
    pub label: String,
    /// The certificate, DER.
    pub certificate: CertificateDer<'static>,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint: String,
    /// SPKI pin, `sha256/BASE64`.
    pub pin: String,
    /// The certificate's subject, as text.
    pub subject: String,
    /// End of its validity (RFC 3339, UTC).
    pub not_after: String,
    /// basicConstraints CA:TRUE.
    pub ca: bool,
    /// Its role is endpoint ([`crate::AnchorRole`]): it is an accessory's own certificate, presented
    /// by that server, so its key is the server's.
    pub names_a_server: bool,
}

impl ExportAnchor {
    /// Describes a certificate; `label` defaults to its subject CN, then to its fingerprint.
    pub fn from_certificate(
        certificate: CertificateDer<'static>,
        label: Option<String>,
    ) -> Result<Self, ExportError> {
        let d = crate::store::describe(&certificate).map_err(|e| ExportError::BadCertificate {
            reason: e.to_string(),
        })?;
        let (role, _) = crate::AnchorRole::of_der(&certificate);
        Ok(Self {
            label: label
                .or(d.common_name)
                .unwrap_or_else(|| d.fingerprint[..16].to_owned()),
            certificate,
            fingerprint: d.fingerprint,
            pin: d.pin,
            subject: d.subject,
            not_after: d.not_after,
            ca: d.ca,
            names_a_server: role == crate::AnchorRole::Endpoint,
        })
    }

    /// An anchor from the store, keeping its label.
    pub fn from_stored(stored: &StoredAnchor) -> Result<Self, ExportError> {
        let cert = stored
            .certificate()
            .map_err(|e| ExportError::BadCertificate {
                reason: e.to_string(),
            })?;
        Self::from_certificate(cert, Some(stored.label.clone()))
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportInput {
    /// The anchors (CAs, or leaves an app should trust as they are).
    pub anchors: Vec<ExportAnchor>,
    /// SPKI pins, `sha256/BASE64` (what `Pin`'s Display prints).
    pub pins: Vec<String>,
    /// Android: the names the `domain-config` covers (the accessory's address or host names).
    pub domains: Vec<String>,
    /// Android: `pin-set expiration`, `YYYY-MM-DD`. After it the app stops enforcing the pins.
    pub pin_expiration: Option<String>,
    /// Apple: the profile's reverse-DNS identifier (payload identifiers derive from it).
    pub identifier: String,
    /// Apple: the profile's display name.
    pub display_name: String,
    /// Apple: the organisation shown on the profile.
    pub organization: Option<String>,
}

impl ExportInput {
    /// These anchors and pins, for the SoftAP address `192.168.4.1`, with the default profile
    /// identifier and name and no pin expiration.
    pub fn new(anchors: Vec<ExportAnchor>, pins: Vec<String>) -> Self {
        Self {
            anchors,
            pins,
            domains: vec!["192.168.4.1".to_owned()],
            pin_expiration: None,
            identifier: "local.accessory.trust".to_owned(),
            display_name: "Accessory trust anchors".to_owned(),
            organization: None,
        }
    }
}

/// One file of an export, named relative to the output directory.
#[derive(Debug, Clone)]
pub struct ExportedFile {
    /// Its path relative to the output directory (`xml/network_security_config.xml`).
    pub path: String,
    /// Its bytes.
    pub contents: Vec<u8>,
}

/// The result of an export.
#[derive(Debug, Clone)]
pub struct Export {
    /// The format made.
    pub format: Format,
    /// The main file first (the profile, the XML, the bundle...), then what goes beside it.
    pub files: Vec<ExportedFile>,
    /// What the admin must still do by hand, for people (also written as README.txt beside the files).
    pub instructions: String,
    /// Things the admin should know about this export (an anchor left out, pins a format cannot hold).
    pub warnings: Vec<String>,
}

impl Export {
    /// Writes the files (and README.txt) into `dir`, creating the directories they need, calling
    /// `wrote` after each file. Nothing is written when a file exists and `force` is false.
    pub fn write_to(
        &self,
        dir: &Path,
        force: bool,
        mut wrote: impl FnMut(&Path),
    ) -> Result<(), ExportError> {
        for f in &self.files {
            let path = dir.join(&f.path);
            if path.exists() && !force {
                return Err(ExportError::Exists { path });
            }
        }
        for f in &self.files {
            let path = dir.join(&f.path);
            let failed = |action, path: &Path| {
                let path = path.to_owned();
                move |io| ExportError::Write { action, path, io }
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(failed("creating", parent))?;
            }
            std::fs::write(&path, &f.contents).map_err(failed("writing", &path))?;
            wrote(&path);
        }
        Ok(())
    }
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Nothing to export.
    #[error("nothing to export: the store is empty and no --anchors or --pin was given")]
    Empty,
    /// The format cannot carry what was given (curl pins with only CA anchors, a profile with only pins).
    #[error("{0}")]
    Unsuitable(String),
    /// A certificate cannot be parsed.
    #[error("not a readable X.509 certificate: {reason}")]
    BadCertificate {
        /// What the X.509 parser said.
        reason: String,
    },
    /// A value that cannot be written into the format.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidValue {
        /// Which value (`domain`, `pin expiration`, `profile identifier`).
        what: &'static str,
        /// The value given.
        value: String,
        /// What the format accepts.
        reason: &'static str,
    },
    /// The plist writer failed.
    #[error("cannot write the configuration profile: {0}")]
    Plist(String),
    /// A file of the export exists in the output directory, and overwriting was not asked for.
    #[error("{}: already exists (pass --force to overwrite)", path.display())]
    Exists {
        /// The file that exists.
        path: PathBuf,
    },
    /// Creating the output directory or writing a file failed. `action` is "creating" or "writing".
    #[error("{action} {}: {io}", path.display())]
    Write {
        /// `creating` (a directory) or `writing` (a file).
        action: &'static str,
        /// The directory or file.
        path: PathBuf,
        /// The operating system's error.
        io: std::io::Error,
    },
}

impl ExportError {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => crate::diagnosis::codes::EXPORT_EMPTY,
            Self::Unsuitable(_) => crate::diagnosis::codes::EXPORT_UNSUITABLE,
            Self::BadCertificate { .. } => crate::diagnosis::codes::INPUT_BAD_CERTIFICATE,
            Self::InvalidValue { .. } => crate::diagnosis::codes::EXPORT_INVALID_VALUE,
            Self::Plist(_) => crate::diagnosis::codes::EXPORT_PLIST,
            Self::Exists { .. } => crate::diagnosis::codes::EXPORT_EXISTS,
            Self::Write { .. } => crate::diagnosis::codes::EXPORT_WRITE,
        }
    }

    /// What a caller does about it: the plist writer failing is a bug; the output directory is
    /// local state; the rest is the input.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Plist(_) => crate::ErrorKind::Internal,
            Self::Exists { .. } | Self::Write { .. } => crate::ErrorKind::LocalState,
            _ => crate::ErrorKind::BadInput,
        }
    }
}

/// Produces the export.
pub fn export(format: Format, input: &ExportInput) -> Result<Export, ExportError> {
    if input.anchors.is_empty() && input.pins.is_empty() {
        return Err(ExportError::Empty);
    }
    let mut e = match format {
        Format::Mobileconfig => mobileconfig::export(input)?,
        Format::AndroidNsc => android::export(input)?,
        Format::PemBundle => text::pem_bundle(input)?,
        Format::CurlPins => text::curl_pins(input)?,
        Format::Json => text::json(input)?,
    };
    if !e.instructions.is_empty() {
        e.files.push(ExportedFile {
            path: "README.txt".to_owned(),
            contents: e.instructions.clone().into_bytes(),
        });
    }
    Ok(e)
}

/// One certificate as PEM (64-column base64, as openssl writes it).
pub fn certificate_pem(cert: &CertificateDer<'_>) -> String {
    crate::store::pem_of(cert)
}

/// A stable UUID for `name`: SHA-256 of a fixed namespace and the name, laid out as an RFC 9562
/// version 8 (custom) UUID. Stable across exports, so re-installing a re-exported profile replaces the
/// old one instead of adding a second copy.
pub(crate) fn stable_uuid(name: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"accessory trust export v1\0")
        .chain_update(name.as_bytes())
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    let h = hex::encode_upper(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests;
