//! The accessory's certificate identity: what it serves, what an administrator trusts, the pin.
//!
//! Certificates come from the `certs` crate's profiles, so the simulator serves exactly the
//! certificates the catalogue documents and the verdicts in its expectation matrix apply. A fleet
//! shares one manufacturer CA (`generate_with_ca`), as a real production run does.

use std::sync::Arc;

use certs::ManufacturerCa;
use rustls::sign::CertifiedKey;
use rustls_pki_types::CertificateDer;

use crate::error::Error;
use crate::fault::FaultKind;

/// The certificate and key one accessory serves, and what its administrator trusts (not
/// `trust::Identity`, which is what a certificate must name).
#[derive(Debug, Clone)]
pub(crate) struct ServedCert {
    /// The `certs` profile served (`wrong-key` when a genuine chain is served with another key).
    pub profile: String,
    pub chain: Vec<CertificateDer<'static>>,
    pub anchors: Vec<CertificateDer<'static>>,
    /// The SPKI pin an administrator recorded (for `key-rotated`, the old key's).
    pub pin: trust::Pin,
    pub certified_key: Arc<CertifiedKey>,
    /// The served key as PEM; `None` for `wrong-key`, whose key exists only inside rustls.
    pub key_pem: Option<String>,
}

impl ServedCert {
    /// Makes the material of `profile` for `device_id` (under `ca` when given, else a fresh
    /// manufacturer CA) and what rustls serves from it.
    pub(crate) fn generate(
        profile: &str,
        device_id: &str,
        wrong_key: bool,
        ca: Option<&ManufacturerCa>,
    ) -> Result<Self, Error> {
        let err = |e: &dyn std::fmt::Display| Error::Certificate {
            profile: profile.to_owned(),
            message: e.to_string(),
        };
        let options = certs::Options::new(device_id);
        let material = match ca {
            Some(ca) => certs::generate_with_ca(profile, &options, ca),
            None => certs::generate(profile, &options),
        }
        .map_err(|e| err(&e))?;
        let certified_key = if wrong_key {
            certs::serving::with_other_key(&material)
        } else {
            certs::serving::certified_key(&material).map_err(|e| err(&e))?
        };
        let pin: trust::Pin = material.pin.parse().map_err(|e| err(&e))?;
        Ok(ServedCert {
            profile: if wrong_key {
                FaultKind::WrongKey.name().to_owned()
            } else {
                profile.to_owned()
            },
            chain: material.chain.clone(),
            anchors: material.anchors.clone(),
            pin,
            certified_key,
            key_pem: (!wrong_key).then(|| material.key_pem()),
        })
    }

    /// Serves what `certs mint` wrote into `dir` (chain.pem, key.pem), as a unit off the line would:
    /// its key is the one on its label. The anchors handed out are the chain's last certificate
    /// (the issuing intermediate: the root stays in the CA directory).
    pub(crate) fn minted(dir: &std::path::Path) -> Result<Self, Error> {
        use rustls_pki_types::pem::PemObject as _;
        let bad = |message: String| Error::Minted {
            dir: dir.to_owned(),
            message,
        };
        let chain_path = dir.join(certs::file::CHAIN);
        let chain = trust::load_certificates(&chain_path).map_err(|e| bad(e.to_string()))?;
        let key_path = dir.join(certs::file::KEY);
        let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&key_path)
            .map_err(|e| bad(format!("{}: {e}", key_path.display())))?;
        let signing = certs::serving::signing_key(&key).map_err(|e| bad(e.to_string()))?;
        let certified_key = CertifiedKey::new(chain.clone(), signing);
        certified_key
            .keys_match()
            .map_err(|e| bad(format!("key.pem does not belong to chain.pem's leaf: {e}")))?;
        let pin: trust::Pin = certs::certificate_pin(&chain[0])
            .map_err(|e| bad(e.to_string()))?
            .parse()
            .map_err(|e: trust::Error| bad(e.to_string()))?;
        Ok(ServedCert {
            profile: "minted".to_owned(),
            anchors: chain.last().cloned().into_iter().collect(),
            chain,
            pin,
            certified_key: Arc::new(certified_key),
            key_pem: None,
        })
    }

    /// The anchors as PEM, what `--anchors FILE` reads.
    pub(crate) fn anchors_pem(&self) -> String {
        self.anchors.iter().map(|c| pem("CERTIFICATE", c)).collect()
    }

    /// The served chain as PEM, leaf first.
    pub(crate) fn chain_pem(&self) -> String {
        self.chain.iter().map(|c| pem("CERTIFICATE", c)).collect()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
