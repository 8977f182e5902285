//! The manufacturer CA: a root that administrators distribute as the trust anchor, and an issuing
//! intermediate that signs one leaf per device on the manufacturing line.
//!
//! On disk a CA is a directory of four PEM files. The root key is only needed to make another
//! issuing CA, so a line station can be given the directory without `root-key.pem`.

use std::path::{Path, PathBuf};

use rcgen::{Issuer, KeyPair};
use rustls_pki_types::CertificateDer;
use serde::Serialize;

use crate::files::{self, Output};
use crate::{pem, template, Error};

/// The organization named in the certificates made by [`crate::generate`].
pub const DEFAULT_ORGANIZATION: &str = "Accessory Manufacturer";

/// The root certificate (the anchor administrators distribute).
pub const ROOT_CERT: &str = "root.pem";
/// The root's private key (keep it offline; only needed to make another issuing CA).
pub const ROOT_KEY: &str = "root-key.pem";
/// The issuing CA's certificate.
pub const INTERMEDIATE_CERT: &str = "intermediate.pem";
/// The issuing CA's private key (what a manufacturing line needs to mint device certificates).
pub const INTERMEDIATE_KEY: &str = "intermediate-key.pem";

/// A manufacturer root and its issuing intermediate, with their keys.
pub struct ManufacturerCa {
    organization: String,
    root: CertificateDer<'static>,
    root_key: Option<KeyPair>,
    intermediate: CertificateDer<'static>,
    intermediate_key: KeyPair,
}

impl std::fmt::Debug for ManufacturerCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManufacturerCa")
            .field("organization", &self.organization)
            .field("root", &pem::fingerprint(&self.root))
            .field("has_root_key", &self.root_key.is_some())
            .field("intermediate", &pem::fingerprint(&self.intermediate))
            .finish_non_exhaustive()
    }
}

/// Where [`ManufacturerCa::write_to`] put things, and the root's pin and fingerprint.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CaSummary {
    /// The CA directory.
    pub dir: PathBuf,
    /// The organization named in the certificates.
    pub organization: String,
    /// The root certificate file: the anchor to distribute.
    pub root: PathBuf,
    /// The root key file, if written.
    pub root_key: Option<PathBuf>,
    /// The issuing CA certificate file.
    pub intermediate: PathBuf,
    /// The issuing CA key file.
    pub intermediate_key: PathBuf,
    /// SHA-256 of the root certificate, hex.
    pub root_fingerprint: String,
    /// The root's SPKI pin, `sha256/BASE64`.
    pub root_pin: String,
}

impl ManufacturerCa {
    /// Makes a new root (ECDSA P-256, 20 years) and issuing intermediate (pathlen 0, 10 years).
    pub fn generate(organization: &str) -> Result<Self, Error> {
        let org = organization.trim();
        if org.is_empty() {
            return Err(Error::generate(
                "the manufacturer CA",
                "the organization name is empty",
            ));
        }
        let root_key = ecdsa_key()?;
        let root_params = template::root(org, &format!("{org} Root CA"));
        let root = root_params
            .self_signed(&root_key)
            .map_err(|e| Error::generate("the manufacturer root", e))?;
        let root_issuer = Issuer::from_params(&root_params, &root_key);
        let intermediate_key = ecdsa_key()?;
        let intermediate = template::intermediate(org, &format!("{org} Device CA"))
            .signed_by(&intermediate_key, &root_issuer)
            .map_err(|e| Error::generate("the issuing intermediate", e))?;
        Ok(ManufacturerCa {
            organization: org.to_owned(),
            root: root.der().clone(),
            root_key: Some(root_key),
            intermediate: intermediate.der().clone(),
            intermediate_key,
        })
    }

    /// Loads a CA directory written by [`ManufacturerCa::write_to`]; `root-key.pem` may be absent.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let root = load_cert(&dir.join(ROOT_CERT))?;
        let intermediate = load_cert(&dir.join(INTERMEDIATE_CERT))?;
        let intermediate_key = load_key(&dir.join(INTERMEDIATE_KEY))?;
        let root_key_path = dir.join(ROOT_KEY);
        let root_key = if root_key_path.exists() {
            Some(load_key(&root_key_path)?)
        } else {
            None
        };
        let organization = organization_of(&root).unwrap_or_default();
        let ca = ManufacturerCa {
            organization,
            root,
            root_key,
            intermediate,
            intermediate_key,
        };
        // A key that does not belong to its certificate would mint leaves nobody can verify.
        let spki = pem::spki_of(&ca.intermediate)?;
        if spki != rcgen::PublicKeyData::subject_public_key_info(&ca.intermediate_key) {
            return Err(Error::BadCaFile {
                path: dir.join(INTERMEDIATE_KEY),
                reason: format!(
                    "this key does not belong to the certificate in {INTERMEDIATE_CERT}"
                ),
            });
        }
        Ok(ca)
    }

    /// Writes the four files into `dir` (keys 0600). Refuses to overwrite any of them unless `force`.
    pub fn write_to(&self, dir: &Path, force: bool) -> Result<CaSummary, Error> {
        let mut outputs = vec![
            Output::public(dir.join(ROOT_CERT), pem::encode("CERTIFICATE", &self.root)),
            Output::public(
                dir.join(INTERMEDIATE_CERT),
                pem::encode("CERTIFICATE", &self.intermediate),
            ),
            Output::secret(
                dir.join(INTERMEDIATE_KEY),
                self.intermediate_key.serialize_pem(),
            ),
        ];
        if let Some(key) = &self.root_key {
            outputs.push(Output::secret(dir.join(ROOT_KEY), key.serialize_pem()));
        }
        files::write_all(dir, &outputs, force)?;
        Ok(CaSummary {
            dir: dir.to_owned(),
            organization: self.organization.clone(),
            root: dir.join(ROOT_CERT),
            root_key: self.root_key.as_ref().map(|_| dir.join(ROOT_KEY)),
            intermediate: dir.join(INTERMEDIATE_CERT),
            intermediate_key: dir.join(INTERMEDIATE_KEY),
            root_fingerprint: pem::fingerprint(&self.root),
            root_pin: pem::certificate_pin(&self.root)?,
        })
    }

    /// The organization named in the certificates.
    pub fn organization(&self) -> &str {
        &self.organization
    }

    /// The root certificate: the trust anchor.
    pub fn root(&self) -> &CertificateDer<'static> {
        &self.root
    }

    /// The issuing intermediate, served after each device leaf.
    pub fn intermediate(&self) -> &CertificateDer<'static> {
        &self.intermediate
    }

    /// The root as PEM.
    pub fn root_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.root)
    }

    /// Whether the root's private key is held (needed by the `sha1` profile's legacy RSA CA).
    pub fn has_root_key(&self) -> bool {
        self.root_key.is_some()
    }

    /// The issuer that signs device leaves.
    pub(crate) fn issuer(&self) -> Result<Issuer<'_, &KeyPair>, Error> {
        Issuer::from_ca_cert_der(&self.intermediate, &self.intermediate_key)
            .map_err(|e| Error::generate("the issuer of device certificates", e))
    }

    /// The root as an issuer (for another intermediate).
    pub(crate) fn root_issuer(&self, what: &'static str) -> Result<Issuer<'_, &KeyPair>, Error> {
        let key = self
            .root_key
            .as_ref()
            .ok_or(Error::RootKeyNeeded { what })?;
        Issuer::from_ca_cert_der(&self.root, key)
            .map_err(|e| Error::generate("the manufacturer root issuer", e))
    }
}

/// A fresh ECDSA P-256 key.
pub(crate) fn ecdsa_key() -> Result<KeyPair, Error> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| Error::generate("an ECDSA P-256 key", e))
}

/// Reads a CA certificate by the one rule every command uses (`trust::parse_certificates`: PEM
/// with any text around it, or DER); the first certificate is the CA's.
fn load_cert(path: &Path) -> Result<CertificateDer<'static>, Error> {
    let text = files::read(path)?;
    let certs = trust::parse_certificates(path, text.as_bytes()).map_err(|e| Error::BadCaFile {
        path: path.to_owned(),
        reason: format!("no usable certificate in it ({e})"),
    })?;
    certs.into_iter().next().ok_or_else(|| Error::BadCaFile {
        path: path.to_owned(),
        reason: "no certificate in it".to_owned(),
    })
}

fn load_key(path: &Path) -> Result<KeyPair, Error> {
    let text = files::read(path)?;
    KeyPair::from_pem(&text).map_err(|e| Error::BadCaFile {
        path: path.to_owned(),
        reason: format!("not a usable PEM private key ({e})"),
    })
}

fn organization_of(cert: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert).ok()?;
    let org = cert
        .subject()
        .iter_organization()
        .next()?
        .as_str()
        .ok()?
        .to_owned();
    Some(org)
}

/// What `accessory certs ca init` prints for people.
impl std::fmt::Display for CaSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "manufacturer CA for {:?} in {}",
            self.organization,
            self.dir.display()
        )?;
        writeln!(f, "  root (distribute)     {}", self.root.display())?;
        if let Some(key) = &self.root_key {
            writeln!(f, "  root key (offline!)   {}", key.display())?;
        }
        writeln!(f, "  intermediate          {}", self.intermediate.display())?;
        writeln!(
            f,
            "  intermediate key      {}",
            self.intermediate_key.display()
        )?;
        writeln!(f, "  root fingerprint      {}", self.root_fingerprint)
    }
}
