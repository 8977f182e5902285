//! What to provision: the accessory's address, the trust policy's inputs, the home network, the
//! label code, the deadline. Built by the command line (or a fleet worker, or a Wi-Fi join step that
//! supplies the address and the interface to bind to).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use protocol::{AccessoryAddress, NetworkError, Security};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;
use crate::ledger::Ledger;
use crate::secret::Secret;

/// Everything one provisioning run needs.
pub struct Request {
    /// Where the accessory is (the port 443 unless given).
    pub accessory: AccessoryAddress,
    /// Bind the connection to this interface (`SO_BINDTODEVICE`): the one that joined the SoftAP.
    pub bind_device: Option<String>,
    /// How to trust the accessory.
    pub trust: TrustInputs,
    /// The id on the label. When given, the certificate must name it and `GET /v1/device` must
    /// report it. Given or not, the id `GET /v1/device` reports must be one the certificate names
    /// (`trust::check_device_id`) before anything secret is sent or recorded.
    pub device_id: Option<String>,
    /// The home network to send it.
    pub network: Network,
    /// The proof-of-possession code on the label.
    pub pop: Option<Secret>,
    /// For accessories that demand mutual TLS.
    pub client_identity: Option<ClientCert>,
    /// The whole run, from the first connect to the accessory's answer "connected".
    pub deadline: Duration,
    /// Where first-use keys are looked up and the attempt is recorded.
    pub ledger: Option<Arc<Ledger>>,
    /// How to confirm a first use without `--expect-fingerprint`.
    pub first_use: FirstUse,
}

/// The inputs of the trust policy. At least one of pins, anchors, tofu.
#[derive(Default)]
pub struct TrustInputs {
    /// Pinned keys (`--pin`): the accessory's key must be one of them.
    pub pins: Vec<trust::Pin>,
    /// The manufacturer's roots (`--anchors`): the chain must lead to one.
    pub anchors: Option<trust::Anchors>,
    /// Trust on first use: record the key the first time, refuse a different one later.
    pub tofu: bool,
    /// The key a first use must present (from the label or QR code).
    pub expect: Option<ExpectedKey>,
    /// A DNS name or IP address the certificate must name (`--dns`, `--ip`), for a request without
    /// a device id. Without either, pins and first use check no name (they name the key) and
    /// anchors check the accessory's address (see `trust::TrustPolicy`).
    pub name: Option<trust::Identity>,
}

/// What `--expect-fingerprint` names: the SHA-256 of the leaf certificate (hex, colons allowed), or
/// an SPKI pin (`sha256/BASE64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedKey {
    /// The leaf certificate's SHA-256, 64 lowercase hex digits.
    Fingerprint(String),
    /// The leaf key's pin.
    Pin(trust::Pin),
}

impl ExpectedKey {
    /// Whether the observed key is this one.
    pub fn matches(&self, pin: &trust::Pin, fingerprint: &str) -> bool {
        match self {
            ExpectedKey::Fingerprint(fp) => fp.eq_ignore_ascii_case(fingerprint),
            ExpectedKey::Pin(p) => p == pin,
        }
    }
}

impl fmt::Display for ExpectedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedKey::Fingerprint(fp) => write!(f, "fingerprint {fp}"),
            ExpectedKey::Pin(p) => write!(f, "pin {p}"),
        }
    }
}

impl FromStr for ExpectedKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.starts_with("sha256/") {
            return s
                .parse::<trust::Pin>()
                .map(ExpectedKey::Pin)
                .map_err(|e| Error::InvalidRequest(format!("expected fingerprint {s:?}: {e}")));
        }
        let hex: String = s
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(ExpectedKey::Fingerprint(hex))
        } else {
            Err(Error::InvalidRequest(format!(
                "expected fingerprint {s:?}: give the certificate's SHA-256 as 64 hex digits \
                 (colons allowed) or a pin sha256/BASE64"
            )))
        }
    }
}

/// The home network to send.
#[derive(Debug, Clone)]
pub struct Network {
    /// The network's name (SSID).
    pub ssid: String,
    /// Its passphrase (empty for an open network), wiped from memory when dropped.
    pub passphrase: Secret,
    /// How it is secured.
    pub security: Security,
    /// Whether it is hidden (absent from scans; the accessory joins it by name).
    pub hidden: bool,
}

impl Network {
    /// Checks what the accessory would refuse anyway (`protocol::validate_ssid`,
    /// `protocol::validate_passphrase`; empty only for an open network), so a typo fails before
    /// anything is sent. The message never contains the passphrase.
    pub fn validate(&self) -> Result<(), Error> {
        if protocol::validate_ssid(&self.ssid).is_err() {
            return Err(Error::InvalidRequest(format!(
                "network SSID {:?} is {} bytes; it must be 1 to 32",
                self.ssid,
                self.ssid.len()
            )));
        }
        let p = self.passphrase.expose();
        if !self.security.needs_passphrase() {
            return if p.is_empty() {
                Ok(())
            } else {
                Err(Error::InvalidRequest(
                    "an open network takes no passphrase".to_owned(),
                ))
            };
        }
        match protocol::validate_passphrase(p) {
            Ok(()) => Ok(()),
            Err(NetworkError::PassphraseLength(n)) => Err(Error::InvalidRequest(format!(
                "the network passphrase is {n} characters; WPA needs 8 to 63 characters or 64 hex digits"
            ))),
            Err(_) => Err(Error::InvalidRequest(
                "the network passphrase has a character WPA does not allow; WPA needs 8 to 63 \
                 printable ASCII characters (space to ~) or 64 hex digits"
                    .to_owned(),
            )),
        }
    }
}

/// A client certificate chain and its key, for accessories that demand mutual TLS.
#[derive(Debug)]
pub struct ClientCert {
    /// The chain, the client's certificate first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Its private key.
    pub key: PrivateKeyDer<'static>,
}

/// The most a client key file may hold: an RSA-8192 PKCS#8 PEM is under 7 KB.
const MAX_KEY_FILE: usize = 64 * 1024;

impl ClientCert {
    /// Reads the chain (PEM or DER) from `cert` and the private key (PEM: PKCS#8, SEC1 or PKCS#1)
    /// from `key`; the key is read as a secret (bounded, wiped), then parsed.
    pub fn from_files(
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> Result<Self, ClientCertError> {
        use rustls::pki_types::pem::PemObject as _;
        let chain = trust::load_certificates(cert)?;
        let pem = crate::secret::read_secret_file(key, "client key", MAX_KEY_FILE)?;
        let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| ClientCertError::NotAKey {
            path: key.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self { chain, key })
    }
}

/// Why [`ClientCert::from_files`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientCertError {
    /// The certificate file cannot be used.
    #[error(transparent)]
    Certificates(#[from] trust::Error),
    /// The key file cannot be read.
    #[error(transparent)]
    KeyFile(#[from] crate::secret::SecretFileError),
    /// The key file holds no PEM private key.
    #[error("{}: not a PEM private key: {reason}", path.display())]
    NotAKey {
        /// The key file.
        path: std::path::PathBuf,
        /// What the PEM reader said.
        reason: String,
    },
}

impl ClientCertError {
    /// The stable code (the input error's own, or `input.bad_key`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Certificates(e) => e.code(),
            Self::KeyFile(e) => e.code(),
            Self::NotAKey { .. } => trust::diagnosis::codes::INPUT_BAD_KEY,
        }
    }

    /// What a caller does about it: give usable files.
    pub fn kind(&self) -> trust::ErrorKind {
        match self {
            Self::Certificates(e) => e.kind(),
            Self::KeyFile(e) => e.kind(),
            Self::NotAKey { .. } => trust::ErrorKind::BadInput,
        }
    }
}

/// How a first use is confirmed when no expected fingerprint was given.
#[derive(Clone)]
pub enum FirstUse {
    /// Refuse, printing the observed fingerprint (non-interactive runs).
    Refuse,
    /// Ask someone (a terminal prompt); true means "yes, this is the key on the label".
    Ask(Arc<dyn Fn(&FirstUseQuestion) -> bool + Send + Sync>),
}

impl fmt::Debug for FirstUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FirstUse::Refuse => "Refuse",
            FirstUse::Ask(_) => "Ask(..)",
        })
    }
}

/// What a person is asked to confirm at first use.
#[derive(Debug, Clone)]
pub struct FirstUseQuestion {
    /// The accessory's address (`HOST:PORT`).
    pub address: String,
    /// Its device id, when the request named one.
    pub device_id: Option<String>,
    /// SHA-256 of the leaf certificate it presented, lowercase hex.
    pub fingerprint: String,
    /// The pin of its key (`sha256/BASE64`).
    pub pin: String,
}

impl FirstUseQuestion {
    /// Asks a person at the terminal, as ssh does for an unknown host key: the question on stderr,
    /// the answer from stdin; only "yes" or "y" is a yes.
    pub fn ask_at_terminal(&self) -> bool {
        use std::io::{BufRead, Write};
        let mut err = std::io::stderr().lock();
        let who = self.device_id.as_deref().unwrap_or(&self.address);
        let _ = write!(
            err,
            "The authenticity of accessory {who} ({}) can't be established: this is its first use.\n\
             Certificate SHA-256 fingerprint: {}\nKey pin: {}\n\
             Compare it with the accessory's label. Is it the same (yes/no)? ",
            self.address, self.fingerprint, self.pin
        );
        let _ = err.flush();
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() {
            return false;
        }
        matches!(answer.trim().to_ascii_lowercase().as_str(), "yes" | "y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expected_fingerprint_may_have_colons_and_any_case() {
        let fp = "AB:".repeat(31) + "AB";
        match fp.parse::<ExpectedKey>().unwrap() {
            ExpectedKey::Fingerprint(hex) => assert_eq!(hex, "ab".repeat(32)),
            other => panic!("{other:?}"),
        }
        assert!("abc".parse::<ExpectedKey>().is_err());
    }

    #[test]
    fn a_short_passphrase_is_refused_without_showing_it() {
        let n = Network {
            ssid: "Home".into(),
            passphrase: Secret::new("short".into()),
            security: Security::Wpa2Psk,
            hidden: false,
        };
        let msg = n.validate().unwrap_err().to_string();
        assert!(msg.contains("5 characters"), "{msg}");
        assert!(!msg.contains("short"), "{msg}");
    }

    #[test]
    fn a_passphrase_the_accessory_would_refuse_for_its_characters_is_refused_here_too() {
        // Nine characters, so the old character-counting rule let it through to the accessory.
        let n = Network {
            ssid: "Home".into(),
            passphrase: Secret::new("12345678\u{e9}".into()),
            security: Security::Wpa2Psk,
            hidden: false,
        };
        let msg = n.validate().unwrap_err().to_string();
        assert!(msg.contains("printable ASCII"), "{msg}");
        assert!(!msg.contains("12345678"), "{msg}");
    }
}

#[cfg(test)]
mod client_identity_tests {
    use super::*;

    #[test]
    fn a_key_file_that_holds_no_pem_key_is_bad_input_named_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        // A certificate made by OpenSSL; only the key file is wrong.
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-subj", "/CN=client", "-days", "1", "-keyout"])
            .arg(dir.path().join("real.key"))
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(made.status.success(), "{made:?}");
        std::fs::write(&key, "not a key\n").unwrap();
        let e = ClientCert::from_files(&cert, &key).unwrap_err();
        assert_eq!(e.code(), trust::diagnosis::codes::INPUT_BAD_KEY);
        assert_eq!(e.kind(), trust::ErrorKind::BadInput);
        assert!(e
            .to_string()
            .starts_with(&format!("{}: not a PEM private key", key.display())));
        let missing = ClientCert::from_files(&dir.path().join("none.pem"), &key).unwrap_err();
        assert_eq!(missing.code(), trust::diagnosis::codes::INPUT_NOT_FOUND);
    }
}
