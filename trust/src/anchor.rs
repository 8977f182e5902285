//! `Anchors`: the administrator's roots, and nothing else.
//!
//! Never the system roots: an accessory's certificate is not from the Web PKI, and trusting the
//! system store would let any publicly trusted certificate for any name stand in for the device.
//! An anchor may also be a self-signed end-entity certificate: the verifier trusts a leaf that is
//! byte-identical to an anchor directly (see [`crate::AccessoryVerifier`]).
//!
//! Every anchor plays one of two roles ([`AnchorRole`]), decided from the certificate alone:
//! - an **endpoint** is an accessory's own certificate. It authenticates that accessory only, by
//!   direct trust (the accessory must present this very certificate), and never issues: a path
//!   from another certificate that ends at it is refused (`cert.anchor_not_issuer`), whatever its
//!   basicConstraints say. Whoever extracts one accessory's key must not be able to impersonate
//!   every other accessory.
//! - an **issuer** is a manufacturer's CA. It issues the accessories' certificates (and, like any
//!   anchor, also authenticates itself directly if an accessory presents it).
//!
//! The rule ([`AnchorRole::of`]), in order:
//! 1. not a CA (no basicConstraints, or CA:FALSE, RFC 5280 §4.2.1.9): **endpoint**;
//! 2. a keyUsage that does not allow keyCertSign (§4.2.1.3): **endpoint**;
//! 3. a keyUsage that allows keyCertSign: **issuer** (the certificate declares that it signs
//!    certificates, as a CA made on purpose does, even one with a subjectAltName);
//! 4. no keyUsage (what `openssl req -x509` makes) and a subjectAltName naming a host (a dNSName
//!    or an iPAddress), or an extendedKeyUsage naming serverAuth: **endpoint**, an accessory's own
//!    certificate;
//! 5. otherwise (CA:TRUE, no keyUsage, no host name, no serverAuth): **issuer**.
//!
//! So `openssl req -x509 -subj /CN=Maker-Root` is an issuer, and
//! `openssl req -x509 -subj /CN=dev-0001 -addext subjectAltName=DNS:dev-0001.accessory.local`
//! (CA:TRUE by default) is an endpoint. So is an accessory certificate made the same way with only a CN and no
//! subjectAltName: nothing in it tells it apart from a root; give accessories a subjectAltName
//! (or trust their key with a pin) so that the rule can tell.

use std::path::Path;

use rustls_pki_types::{CertificateDer, TrustAnchor};
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use crate::diagnosis::codes;
use crate::error::{Error, Refusal};
use crate::load;

/// What an anchor may vouch for; see the module documentation for the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorRole {
    /// A CA: it issues accessories' certificates.
    Issuer,
    /// An accessory's own certificate: it authenticates that accessory only, and never issues.
    Endpoint,
}

impl AnchorRole {
    /// The role of `cert` as an anchor, and the reason (a phrase such as "names a host in its
    /// subjectAltName (DNS:dev-0001.accessory.local)").
    pub fn of(cert: &X509Certificate<'_>) -> (Self, String) {
        let ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
        if !ca {
            return (
                Self::Endpoint,
                "is not a CA (no basicConstraints CA:TRUE)".to_owned(),
            );
        }
        // An unreadable keyUsage counts as one that does not allow keyCertSign.
        match cert.key_usage() {
            Ok(Some(ku)) if ku.value.key_cert_sign() => {
                return (
                    Self::Issuer,
                    "is a CA (CA:TRUE, keyUsage keyCertSign)".to_owned(),
                )
            }
            Ok(None) => {}
            _ => {
                return (
                    Self::Endpoint,
                    "has a keyUsage that does not allow signing certificates (keyCertSign)"
                        .to_owned(),
                )
            }
        }
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            let host = san.value.general_names.iter().find_map(|n| match n {
                GeneralName::DNSName(d) => Some(format!("DNS:{d}")),
                GeneralName::IPAddress(ip) => Some(format!("IP:{}", ip_text(ip))),
                _ => None,
            });
            if let Some(host) = host {
                return (
                    Self::Endpoint,
                    format!("names a host in its subjectAltName ({host}) and has no keyUsage keyCertSign"),
                );
            }
        }
        let server_auth = match cert.extended_key_usage() {
            Ok(Some(eku)) => eku.value.server_auth,
            Ok(None) => false,
            Err(_) => true,
        };
        if server_auth {
            return (
                Self::Endpoint,
                "is a TLS server's certificate (extendedKeyUsage serverAuth, no keyUsage keyCertSign)"
                    .to_owned(),
            );
        }
        (
            Self::Issuer,
            "is a CA (CA:TRUE, no keyUsage, no host name, no serverAuth extendedKeyUsage)"
                .to_owned(),
        )
    }

    /// The role of a DER certificate; an unparsable one is an endpoint (it issues nothing).
    pub fn of_der(cert: &CertificateDer<'_>) -> (Self, String) {
        match x509_parser::parse_x509_certificate(cert.as_ref()) {
            Ok((_, x)) => Self::of(&x),
            Err(e) => (Self::Endpoint, format!("cannot be parsed ({e})")),
        }
    }

    /// `issuer` or `endpoint`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issuer => "issuer",
            Self::Endpoint => "endpoint",
        }
    }

    /// What the role means, in a phrase for people.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Issuer => "may issue certificates for any accessory",
            Self::Endpoint => "authenticates this accessory only, never issues",
        }
    }
}

impl std::fmt::Display for AnchorRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn ip_text(ip: &[u8]) -> String {
    match ip.len() {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(ip).unwrap_or_default()).to_string(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(ip).unwrap_or_default()).to_string(),
        _ => hex::encode(ip),
    }
}

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

    /// The role of each anchor, in the order given.
    pub fn roles(&self) -> Vec<AnchorRole> {
        self.certificates
            .iter()
            .map(|c| AnchorRole::of_der(c).0)
            .collect()
    }

    /// The certificate `anchor` (one of [`Self::trust_anchors`], as webpki hands it back at the
    /// end of a path) came from. Fails closed: an anchor that is not one of ours, by identity, is
    /// a refusal, never a path accepted unchecked.
    pub(crate) fn certificate_of(
        &self,
        anchor: &TrustAnchor<'_>,
    ) -> Result<&CertificateDer<'static>, Refusal> {
        self.anchors
            .iter()
            .position(|a| std::ptr::addr_eq(a, anchor))
            .and_then(|i| self.certificates.get(i))
            .ok_or_else(|| {
                Refusal::new(
                    codes::UNKNOWN_ISSUER,
                    "the chain ends at a trust anchor that is not among the certificates given (refused rather than accepted unchecked)",
                )
            })
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
