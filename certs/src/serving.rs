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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate_with_ca, ManufacturerCa, Options, DEFAULT_ORGANIZATION};
    use rustls::client::WebPkiServerVerifier;
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

    #[derive(Debug)]
    struct Fixed(Arc<CertifiedKey>);

    impl rustls::server::ResolvesServerCert for Fixed {
        fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
            Some(self.0.clone())
        }
    }

    /// A TLS 1.3 (or 1.2) handshake in memory between a rustls server serving `key` and a rustls
    /// client that validates the chain against `material`'s anchors with aws-lc-rs.
    fn handshake(
        material: &Material,
        key: Arc<CertifiedKey>,
        version: &'static rustls::SupportedProtocolVersion,
    ) -> Result<(), rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        for anchor in &material.anchors {
            roots.add(anchor.clone()).unwrap();
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let client_config = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_webpki_verifier(verifier)
            .with_no_client_auth();
        let server_config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(key)));
        let name = rustls_pki_types::ServerName::try_from(format!(
            "{}.{}",
            material.device_id,
            crate::DNS_SUFFIX
        ))
        .unwrap();
        let mut client = ClientConnection::new(Arc::new(client_config), name).unwrap();
        let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
        for _ in 0..10 {
            let mut buf = Vec::new();
            client.write_tls(&mut buf).unwrap();
            server.read_tls(&mut buf.as_slice()).unwrap();
            if let Err(e) = server.process_new_packets() {
                // Let the client read the server's alert, then report the client's view.
                let mut alert = Vec::new();
                let _ = server.write_tls(&mut alert);
                return Err(e);
            }
            let mut buf = Vec::new();
            server.write_tls(&mut buf).unwrap();
            client.read_tls(&mut buf.as_slice()).unwrap();
            client.process_new_packets()?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("handshake did not finish");
    }

    #[test]
    fn served_keys_complete_a_verified_handshake_and_wrong_or_weak_keys_do_not() {
        let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION).unwrap();
        let options = Options::new("SIM-0001");
        let good = generate_with_ca("good-chain", &options, &ca).unwrap();
        let weak = generate_with_ca("rsa-1024", &options, &ca).unwrap();
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            handshake(&good, certified_key(&good).unwrap(), version).unwrap();
            let wrong = handshake(&good, with_other_key(&good), version).unwrap_err();
            assert!(
                matches!(
                    wrong,
                    rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
                ),
                "wrong key, {version:?}: {wrong:?}"
            );
            // The RSA-1024 leaf validates as a chain, and its key really signs the handshake
            // (the legacy signer works), but the client refuses a 1024-bit signature.
            let refused = handshake(&weak, certified_key(&weak).unwrap(), version).unwrap_err();
            assert!(
                matches!(refused, rustls::Error::InvalidCertificate(_)),
                "rsa-1024, {version:?}: {refused:?}"
            );
        }
    }
}
