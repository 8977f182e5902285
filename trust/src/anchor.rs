//! `Anchors`: the administrator's roots, and nothing else.
//!
//! Never the system roots: an accessory's certificate is not from the Web PKI, and trusting the
//! system store would let any publicly trusted certificate for any name stand in for the device.
//! An anchor may also be a self-signed end-entity certificate: the verifier trusts a leaf that is
//! byte-identical to an anchor directly (see [`crate::AccessoryVerifier`]).

use std::path::Path;

use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::error::Error;
use crate::load;

/// A set of trust anchors, each kept as the certificate it came from.
#[derive(Debug, Clone)]
pub struct Anchors {
    certificates: Vec<CertificateDer<'static>>,
    anchors: Vec<TrustAnchor<'static>>,
}

impl Anchors {
    /// Loads anchors from a PEM (or DER) file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::from_certificates(load::load_certificates(path)?)
    }

    /// Parses anchors from PEM text (one or more `CERTIFICATE` sections).
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        Self::from_certificates(load::parse_certificates(Path::new("anchors"), pem)?)
    }

    /// Anchors from certificates already in hand.
    pub fn from_certificates(certificates: Vec<CertificateDer<'static>>) -> Result<Self, Error> {
        let anchors = certificates
            .iter()
            .map(|c| {
                webpki::anchor_from_trusted_cert(c)
                    .map(|a| a.to_owned())
                    .map_err(|e| Error::BadCertificate {
                        reason: format!("unusable as a trust anchor: {e}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            certificates,
            anchors,
        })
    }

    /// The certificates the anchors came from, in the order given.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certificates
    }

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// True when there are none (a policy refuses to be built from an empty set).
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    pub(crate) fn trust_anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }

    /// True when `cert` is byte-identical to one of the anchors (a self-signed leaf the
    /// administrator trusts directly).
    pub(crate) fn contains(&self, cert: &CertificateDer<'_>) -> bool {
        self.certificates
            .iter()
            .any(|a| a.as_ref() == cert.as_ref())
    }
}
