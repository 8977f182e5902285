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
