//! What the lint rules look at, read once from a certificate with x509-parser.
//!
//! The rules never touch DER themselves: they read these facts, so each rule is a few lines that can be
//! checked against the platform text it cites, and a parsing subtlety (an RSA modulus with a leading
//! zero byte, an EC curve named by OID) is handled in one place.

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::LintError;

/// The public key, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Rsa {
        bits: usize,
    },
    Ec {
        curve: Option<&'static str>,
        oid: String,
    },
    Ed25519,
    Other {
        oid: String,
    },
}

/// The hash a signature algorithm uses, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    /// MD2, MD4, MD5: broken long ago.
    Md,
    Sha1,
    Sha2,
    /// A scheme with no separate hash to judge (Ed25519).
    Intrinsic,
    Unknown,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    pub dns: Vec<String>,
    pub ip: Vec<String>,
    /// Entries of other kinds (email, URI, directory name...): none of them names a TLS server.
    pub other: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Eku {
    pub server_auth: bool,
    pub client_auth: bool,
    pub any: bool,
    /// Microsoft and Netscape Server Gated Crypto: Conscrypt still accepts them for a server.
    pub sgc: bool,
    pub others: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub subject: String,
    pub self_issued: bool,
    /// `Some(ca)` when basicConstraints is present.
    pub basic_constraints_ca: Option<bool>,
    pub key: Key,
    pub signature_oid: String,
    pub signature_name: &'static str,
    pub hash: Hash,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// `None` when the certificate has no subjectAltName extension.
    pub san: Option<Names>,
    pub common_names: Vec<String>,
    /// `None` when the certificate has no extendedKeyUsage extension.
    pub eku: Option<Eku>,
    /// OIDs of critical extensions this reader does not recognise.
    pub unknown_critical: Vec<String>,
}

impl Facts {
    /// How many names a TLS client can match (DNS and IP SANs); 0 without a subjectAltName.
    pub(crate) fn server_name_count(&self) -> usize {
        self.san.as_ref().map_or(0, |s| s.dns.len() + s.ip.len())
    }

    pub(crate) fn read(index: usize, der: &CertificateDer<'_>) -> Result<Self, LintError> {
        let bad = |reason: String| LintError::Unparsable { index, reason };
        let (rest, cert) =
            X509Certificate::from_der(der.as_ref()).map_err(|e| bad(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes after the certificate", rest.len())));
        }
        Self::from_parsed(&cert).map_err(bad)
    }

    fn from_parsed(cert: &X509Certificate<'_>) -> Result<Self, String> {
        let spki = cert.public_key();
        let key = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => Key::Rsa {
                bits: modulus_bits(rsa.modulus),
            },
            Ok(PublicKey::EC(_)) => {
                let oid = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p.clone()).ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                Key::Ec {
                    curve: curve_name(&oid),
                    oid,
                }
            }
            _ => {
                let oid = spki.algorithm.algorithm.to_id_string();
                if oid == "1.3.101.112" {
                    Key::Ed25519
                } else {
                    Key::Other { oid }
                }
            }
        };
        let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
        let (signature_name, hash) = signature(&signature_oid);

        let mut san = None;
        let mut eku = None;
        let mut basic_constraints_ca = None;
        let mut unknown_critical = Vec::new();
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(s) => {
                    let mut names = Names::default();
                    for name in &s.general_names {
                        match name {
                            GeneralName::DNSName(d) => names.dns.push((*d).to_owned()),
                            GeneralName::IPAddress(ip) => names.ip.push(ip_text(ip)),
                            _ => names.other += 1,
                        }
                    }
                    san = Some(names);
                }
                ParsedExtension::ExtendedKeyUsage(e) => {
                    eku = Some(Eku {
                        server_auth: e.server_auth,
                        client_auth: e.client_auth,
                        any: e.any,
                        sgc: e.other.iter().any(|o| {
                            let s = o.to_id_string();
                            s == "1.3.6.1.4.1.311.10.3.3" || s == "2.16.840.1.113730.4.1"
                        }),
                        others: e.other.iter().map(|o| o.to_id_string()).collect(),
                    });
                }
                ParsedExtension::BasicConstraints(bc) => basic_constraints_ca = Some(bc.ca),
                ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
                    unknown_critical.push(ext.oid.to_id_string());
                }
                ParsedExtension::ParseError { error } => {
                    return Err(format!(
                        "extension {} cannot be read: {error}",
                        ext.oid.to_id_string()
                    ));
                }
                _ => {}
            }
        }

        let common_names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
            .collect();
        let time = |t: &x509_parser::time::ASN1Time| {
            OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|e| e.to_string())
        };
        Ok(Self {
            subject: cert.subject().to_string(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            basic_constraints_ca,
            key,
            signature_oid,
            signature_name,
            hash,
            not_before: time(&cert.validity().not_before)?,
            not_after: time(&cert.validity().not_after)?,
            san,
            common_names,
            eku,
            unknown_critical,
        })
    }

    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints_ca == Some(true)
    }

    /// Validity as RFC 5280 and the Baseline Requirements count it: both ends are included, so one
    /// second more than the difference (`openssl -days 398` makes 398 days and 1 s).
    pub(crate) fn validity_seconds_inclusive(&self) -> i64 {
        self.span_seconds() + 1
    }

    /// notAfter minus notBefore: what `openssl -days N` sets to exactly N days.
    pub(crate) fn span_seconds(&self) -> i64 {
        (self.not_after - self.not_before).whole_seconds()
    }

    pub(crate) fn validity_days_text(&self) -> String {
        let secs = self.span_seconds();
        let days = secs / 86_400;
        if secs % 86_400 == 0 {
            format!("{days} days")
        } else {
            format!("{days} days and {} s", secs % 86_400)
        }
    }
}

/// Bits in a big-endian unsigned modulus, leading zero bytes and bits not counted.
fn modulus_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => return 0,
    };
    trimmed.len() * 8 - trimmed[0].leading_zeros() as usize
}

fn curve_name(oid: &str) -> Option<&'static str> {
    match oid {
        "1.2.840.10045.3.1.7" => Some("P-256"),
        "1.3.132.0.34" => Some("P-384"),
        "1.3.132.0.35" => Some("P-521"),
        "1.3.132.0.10" => Some("secp256k1"),
        _ => None,
    }
}

fn signature(oid: &str) -> (&'static str, Hash) {
    match oid {
        "1.2.840.113549.1.1.2" => ("md2WithRSAEncryption", Hash::Md),
        "1.2.840.113549.1.1.3" => ("md4WithRSAEncryption", Hash::Md),
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption", Hash::Md),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => ("sha1WithRSAEncryption", Hash::Sha1),
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1", Hash::Sha1),
        "1.2.840.10040.4.3" => ("dsa-with-sha1", Hash::Sha1),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption", Hash::Sha2),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption", Hash::Sha2),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption", Hash::Sha2),
        "1.2.840.113549.1.1.14" => ("sha224WithRSAEncryption", Hash::Sha2),
        // RSASSA-PSS names its hash in parameters; every PSS profile in use is SHA-2.
        "1.2.840.113549.1.1.10" => ("rsassa-pss", Hash::Sha2),
        "1.2.840.10045.4.3.1" => ("ecdsa-with-SHA224", Hash::Sha2),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256", Hash::Sha2),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384", Hash::Sha2),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512", Hash::Sha2),
        "1.3.101.112" => ("Ed25519", Hash::Intrinsic),
        "1.3.101.113" => ("Ed448", Hash::Intrinsic),
        _ => ("unknown", Hash::Unknown),
    }
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_ignore_the_der_sign_byte_and_leading_zero_bits() {
        let mut m = vec![0u8; 257];
        m[1] = 0x80;
        assert_eq!(modulus_bits(&m), 2048);
        let mut m = vec![0u8; 256];
        m[0] = 0x7f;
        assert_eq!(modulus_bits(&m), 2047);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }
}
