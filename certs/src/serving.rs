//! What a rustls server serves for a profile, including what aws-lc-rs will not load (an RSA-1024
//! key, signed with RustCrypto `rsa`) and the `wrong-key` fault (a genuine chain with another key).

use std::sync::Arc;

use rustls::sign::{CertifiedKey, SigningKey};
use rustls_pki_types::PrivateKeyDer;

use crate::{ca::ecdsa_key, pem, rsa_legacy, Error, Material};

/// The chain and key of `material`, ready for `rustls::server::ResolvesServerCert` or
/// `ServerConfig::with_cert_resolver`. Refuses a key that does not belong to the leaf.
pub fn certified_key(material: &Material) -> Result<Arc<CertifiedKey>, Error> {
    let key = signing_key(&material.key)?;
    // Compared by hand: `CertifiedKey::keys_match` parses the leaf with webpki, which refuses some
    // of the faulty profiles (an unknown critical extension) before it looks at the key.
    let leaf_spki = pem::spki_of(material.leaf())?;
    if key.public_key().as_deref() != Some(leaf_spki.as_slice()) {
        return Err(Error::UnusableKey {
            reason: "the key does not belong to the leaf certificate".into(),
        });
    }
    Ok(Arc::new(CertifiedKey::new(material.chain.clone(), key)))
}

/// The `wrong-key` fault: `material`'s genuine chain served with a freshly made key of the same
/// kind, as a man in the middle who copied the certificate would. A client that verifies the
/// handshake signature refuses it.
///
/// # Panics
///
/// If the platform's random source fails while making the key (the process cannot do TLS then).
pub fn with_other_key(material: &Material) -> Arc<CertifiedKey> {
    let other = other_key(material).expect("making a fresh key for the wrong-key fault");
    // `CertifiedKey::new` does not check that key and leaf match, which is the point here.
    Arc::new(CertifiedKey::new(material.chain.clone(), other))
}

/// A rustls signing key for any key this crate makes: aws-lc-rs for ECDSA and RSA >= 2048, RustCrypto
/// for smaller RSA keys.
pub fn signing_key(key: &PrivateKeyDer<'_>) -> Result<Arc<dyn SigningKey>, Error> {
    match rustls::crypto::aws_lc_rs::sign::any_supported_type(key) {
        Ok(key) => Ok(key),
        Err(modern) => rsa_legacy::signing_key(key).map_err(|legacy| Error::UnusableKey {
            reason: format!("{modern}; as a legacy RSA key: {legacy}"),
        }),
    }
}

fn other_key(material: &Material) -> Result<Arc<dyn SigningKey>, Error> {
    let served = signing_key(&material.key)?;
    let fresh: PrivateKeyDer<'static> = match served.algorithm() {
        rustls::SignatureAlgorithm::RSA => {
            let bits = rsa_bits(material).unwrap_or(2048);
            if bits < 2048 {
                PrivateKeyDer::Pkcs8(rsa_legacy::RsaKey::generate(bits)?.pkcs8.into())
            } else {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                    .map_err(|e| Error::generate("an RSA-2048 key", e))?
                    .into()
            }
        }
        _ => ecdsa_key()?.into(),
    };
    signing_key(&fresh)
}

fn rsa_bits(material: &Material) -> Option<usize> {
    let (_, cert) = x509_parser::parse_x509_certificate(material.leaf()).ok()?;
    match cert.public_key().parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(rsa) => Some(rsa.key_size()),
        _ => None,
    }
}
