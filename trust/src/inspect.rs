//! `Inspection`: what a certificate says, for people (`accessory trust inspect`) and scripts.

use std::net::IpAddr;

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_SERIALNUMBER};
use x509_parser::public_key::PublicKey;

use crate::date::rfc3339;
use crate::error::Error;
use crate::pin::Pin;

/// The facts of one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// Subject distinguished name (RFC 4514 text).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject common names.
    pub common_names: Vec<String>,
    /// Subject serialNumber attributes (where device ids often live).
    pub subject_serial_numbers: Vec<String>,
    /// The certificate's serial number, hex.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Days between notBefore and notAfter (Apple refuses more than 825).
    pub validity_days: i64,
    /// DNS SANs.
    pub dns_names: Vec<String>,
    /// iPAddress SANs.
    pub ip_addresses: Vec<IpAddr>,
    /// Whether basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// Whether issuer and subject are the same name.
    pub self_issued: bool,
    /// extendedKeyUsage purposes (`serverAuth`, `clientAuth`, …), or `None` when absent.
    pub extended_key_usage: Option<Vec<String>>,
    /// Public key algorithm (`RSA`, `EC`, `Ed25519`, …).
    pub key_algorithm: String,
    /// Key size in bits.
    pub key_bits: usize,
    /// Signature algorithm OID name (e.g. `ecdsa-with-SHA256`).
    pub signature_algorithm: String,
    /// Extensions marked critical (OIDs), for spotting unknown ones.
    pub critical_extensions: Vec<String>,
    /// The SPKI pin, `sha256/BASE64`.
    pub pin: Pin,
    /// The pin as curl spells it.
    pub pin_curl: String,
    /// The pin in hex.
    pub pin_hex: String,
    /// SHA-256 of the certificate DER, hex.
    pub fingerprint_sha256: String,
}

impl Inspection {
    /// Inspects one certificate.
    pub fn of(cert: &CertificateDer<'_>) -> Result<Self, Error> {
        let (_, c) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| {
            Error::BadCertificate {
                reason: e.to_string(),
            }
        })?;
        let strings = |oid| -> Vec<String> {
            c.subject()
                .iter_by_oid(oid)
                .filter_map(|a| a.as_str().ok().map(str::to_owned))
                .collect()
        };
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = c.subject_alternative_name() {
            for n in &san.value.general_names {
                match n {
                    GeneralName::DNSName(d) => dns_names.push((*d).to_owned()),
                    GeneralName::IPAddress(b) => {
                        if let Ok(ip) = crate::identity::ip_text(b).parse() {
                            ip_addresses.push(ip);
                        }
                    }
                    _ => {}
                }
            }
        }
        let extended_key_usage = match c.extended_key_usage() {
            Ok(Some(e)) => {
                let e = e.value;
                let mut v = Vec::new();
                for (on, name) in [
                    (e.any, "any"),
                    (e.server_auth, "serverAuth"),
                    (e.client_auth, "clientAuth"),
                    (e.code_signing, "codeSigning"),
                    (e.email_protection, "emailProtection"),
                    (e.time_stamping, "timeStamping"),
                    (e.ocsp_signing, "ocspSigning"),
                ] {
                    if on {
                        v.push(name.to_owned());
                    }
                }
                v.extend(e.other.iter().map(|o| o.to_id_string()));
                Some(v)
            }
            _ => None,
        };
        let (key_algorithm, key_bits) = match c.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => ("RSA".to_owned(), {
                let m = rsa.modulus;
                let m = &m[m.iter().position(|b| *b != 0).unwrap_or(m.len())..];
                m.first()
                    .map_or(0, |b| m.len() * 8 - b.leading_zeros() as usize)
            }),
            Ok(PublicKey::EC(ec)) => ("EC".to_owned(), ec.key_size()),
            Ok(PublicKey::DSA(_)) => ("DSA".to_owned(), 0),
            Ok(other) => {
                let name = match other {
                    PublicKey::GostR3410(_) | PublicKey::GostR3410_2012(_) => "GOST",
                    _ => "unknown",
                };
                (name.to_owned(), other.key_size())
            }
            Err(_) => (oid_name(&c.public_key().algorithm.algorithm), 0),
        };
        let validity = c.validity();
        let (from, until) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let pin = Pin::of_spki(c.public_key().raw);
        Ok(Self {
            subject: c.subject().to_string(),
            issuer: c.issuer().to_string(),
            common_names: strings(&OID_X509_COMMON_NAME),
            subject_serial_numbers: strings(&OID_X509_SERIALNUMBER),
            serial: c.raw_serial_as_string(),
            not_before: rfc3339(from),
            not_after: rfc3339(until),
            validity_days: (until - from) / 86_400,
            dns_names,
            ip_addresses,
            is_ca: c.is_ca(),
            self_issued: c.subject().as_raw() == c.issuer().as_raw(),
            extended_key_usage,
            key_algorithm,
            key_bits,
            signature_algorithm: oid_name(&c.signature_algorithm.algorithm),
            critical_extensions: c
                .extensions()
                .iter()
                .filter(|e| e.critical)
                .map(|e| oid_name(&e.oid))
                .collect(),
            pin,
            pin_curl: pin.to_curl(),
            pin_hex: pin.to_hex(),
            fingerprint_sha256: hex::encode(Sha256::digest(cert.as_ref())),
        })
    }
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    x509_parser::oid_registry::OidRegistry::default()
        .with_all_crypto()
        .with_x509()
        .get(oid)
        .map(|e| e.sn().to_owned())
        .unwrap_or_else(|| oid.to_id_string())
}
