//! What the modern stack refuses to make, made with RustCrypto: RSA-1024 keys, SHA-1 certificate
//! signatures, and a TLS signing key for an RSA key too small for aws-lc-rs.
//!
//! These exist only so that the faulty profiles are the real thing: a client is shown a genuine
//! 1024-bit handshake signature and a genuine sha1WithRSAEncryption certificate, and must refuse them.

use std::sync::Arc;

use der::{Decode as _, Encode as _};
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
use rustls::sign::{Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer};
use sha2::{Digest as _, Sha256};

use crate::Error;

/// sha1WithRSAEncryption (RFC 8017).
const SHA1_WITH_RSA: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");

/// An RSA key made by RustCrypto, in the two encodings the rest of the crate needs.
pub(crate) struct RsaKey {
    pub key: RsaPrivateKey,
    /// PKCS#8 DER of the private key.
    pub pkcs8: Vec<u8>,
    /// DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
}

impl RsaKey {
    /// A fresh key of `bits` bits (1024 for the `rsa-1024` profile).
    pub(crate) fn generate(bits: usize) -> Result<Self, Error> {
        let key =
            RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| Error::generate("an RSA key", e))?;
        Self::from_key(key)
    }

    /// Reads a PKCS#8 RSA key (one made by aws-lc-rs, for example).
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        let key = RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|e| Error::generate("an RSA key from PKCS#8", e))?;
        Self::from_key(key)
    }

    fn from_key(key: RsaPrivateKey) -> Result<Self, Error> {
        let pkcs8 = key
            .to_pkcs8_der()
            .map_err(|e| Error::generate("an RSA PKCS#8 encoding", e))?
            .as_bytes()
            .to_vec();
        let spki = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| Error::generate("an RSA public key encoding", e))?
            .as_bytes()
            .to_vec();
        Ok(RsaKey { key, pkcs8, spki })
    }
}

/// Re-signs a certificate with sha1WithRSAEncryption by `issuer_key`, changing nothing else: the
/// TBS keeps its issuer, extensions and key identifiers, only its signature algorithm changes.
pub(crate) fn resign_with_sha1(
    cert: &CertificateDer<'_>,
    issuer_key: &RsaPrivateKey,
) -> Result<CertificateDer<'static>, Error> {
    let what = "the SHA-1 signed certificate";
    let mut cert = x509_cert::Certificate::from_der(cert).map_err(|e| Error::generate(what, e))?;
    let algorithm = x509_cert::spki::AlgorithmIdentifierOwned {
        oid: SHA1_WITH_RSA,
        parameters: Some(der::asn1::Any::null()),
    };
    cert.tbs_certificate.signature = algorithm.clone();
    cert.signature_algorithm = algorithm;
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| Error::generate(what, e))?;
    let digest = sha1::Sha1::digest(&tbs);
    let signature = issuer_key
        .sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &digest)
        .map_err(|e| Error::generate(what, e))?;
    cert.signature =
        der::asn1::BitString::from_bytes(&signature).map_err(|e| Error::generate(what, e))?;
    let der = cert.to_der().map_err(|e| Error::generate(what, e))?;
    Ok(CertificateDer::from(der))
}

/// A rustls signing key for an RSA key that aws-lc-rs refuses (under 2048 bits), offering
/// RSA-PSS-SHA256 (TLS 1.3) and RSA-PKCS1-SHA256 (TLS 1.2).
pub(crate) fn signing_key(key: &PrivateKeyDer<'_>) -> Result<Arc<dyn SigningKey>, Error> {
    let PrivateKeyDer::Pkcs8(pkcs8) = key else {
        return Err(Error::UnusableKey {
            reason: "only PKCS#8 RSA keys are supported below 2048 bits".into(),
        });
    };
    let key = RsaKey::from_pkcs8(pkcs8.secret_pkcs8_der()).map_err(|e| Error::UnusableKey {
        reason: e.to_string(),
    })?;
    Ok(Arc::new(LegacyRsaSigningKey {
        bits: key.key.size() * 8,
        key: Arc::new(key.key),
        spki: key.spki,
    }))
}

struct LegacyRsaSigningKey {
    bits: usize,
    key: Arc<RsaPrivateKey>,
    spki: Vec<u8>,
}

// Written by hand: the derived form would print the private key.
impl std::fmt::Debug for LegacyRsaSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyRsaSigningKey")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl SigningKey for LegacyRsaSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        [
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ]
        .into_iter()
        .find(|s| offered.contains(s))
        .map(|scheme| {
            Box::new(LegacyRsaSigner {
                key: Arc::clone(&self.key),
                scheme,
            }) as Box<dyn Signer>
        })
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(self.spki.as_slice()))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

struct LegacyRsaSigner {
    key: Arc<RsaPrivateKey>,
    scheme: SignatureScheme,
}

impl std::fmt::Debug for LegacyRsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyRsaSigner")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Signer for LegacyRsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let digest = Sha256::digest(message);
        let signed = match self.scheme {
            // TLS 1.3 requires the PSS salt to be as long as the hash, which `Pss::new` uses.
            SignatureScheme::RSA_PSS_SHA256 => {
                self.key
                    .sign_with_rng(&mut OsRng, Pss::new::<Sha256>(), &digest)
            }
            _ => self.key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest),
        };
        signed.map_err(|e| rustls::Error::General(format!("RSA signing failed: {e}")))
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::SignatureScheme as _;

    #[test]
    fn legacy_signer_makes_pss_and_pkcs1_signatures_that_verify() {
        let key = RsaKey::generate(1024).unwrap();
        let signing = signing_key(&PrivateKeyDer::Pkcs8(key.pkcs8.clone().into())).unwrap();
        let public = key.key.to_public_key();
        let message = b"TLS 1.3, server CertificateVerify";
        let digest = Sha256::digest(message);
        for scheme in [
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            let signer = signing.choose_scheme(&[scheme]).unwrap();
            let sig = signer.sign(message).unwrap();
            let ok = match scheme {
                SignatureScheme::RSA_PSS_SHA256 => {
                    Pss::new::<Sha256>().verify(&public, &digest, &sig)
                }
                _ => Pkcs1v15Sign::new::<Sha256>().verify(&public, &digest, &sig),
            };
            assert!(ok.is_ok(), "{scheme:?}");
        }
        assert!(signing
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .is_none());
        assert!(!format!("{signing:?}").contains("prime"));
    }
}
