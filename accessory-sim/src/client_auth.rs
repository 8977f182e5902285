//! Mutual TLS for the `require-client-cert` fault: the client CA the accessory trusts, and, when
//! the scenario names none, a client CA and certificate minted here so a tester can present one;
//! and the verifier that refuses the way a small embedded stack does (`bad_certificate`).

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Serialize;

use crate::error::Error;

/// A client CA and one client certificate it issued, as PEM, for `curl --cert/--key` or
/// `openssl s_client -cert/-key`.
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct ClientCredentials {
    /// The CA the accessory trusts for client certificates.
    pub ca_pem: String,
    /// A client certificate issued by it.
    pub cert_pem: String,
    /// Its private key (PKCS#8). A test credential, minted for this run.
    pub key_pem: String,
    #[serde(skip)]
    pub(crate) ca_der: CertificateDer<'static>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").finish_non_exhaustive()
    }
}

/// Mints a client CA and a client certificate (ECDSA P-256, EKU clientAuth).
pub(crate) fn mint() -> Result<ClientCredentials, Error> {
    let err = |e: rcgen::Error| Error::Tls(format!("minting the client CA: {e}"));
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "Accessory Sim Client CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "provisioning client");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).map_err(err)?;
    Ok(ClientCredentials {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        ca_der: ca_cert.der().clone(),
    })
}

/// Reads the client CA certificates a scenario names.
pub(crate) fn load_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bad = |m: String| Error::InvalidScenario(format!("client_ca {}: {m}", path.display()));
    let roots: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if roots.is_empty() {
        return Err(bad("no CERTIFICATE in the file".to_owned()));
    }
    Ok(roots)
}

/// The client verifier of an embedded stack: the chain is verified by rustls's WebPKI verifier,
/// and a refusal goes out with the alert that stack sends (`refusal` maps rustls's error to the
/// error rustls answers with that alert). A client that sends no certificate is let through the
/// handshake so that the server refuses it right after as the stack does (see
/// `server::connection`), instead of rustls's `certificate_required` (116).
///
/// It refuses nothing the inner verifier accepts and accepts nothing it refuses: the only change
/// is the alert. The handshake signature is checked by the inner verifier.
#[derive(Debug)]
pub(crate) struct StackClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    refusal: fn(rustls::Error) -> rustls::Error,
}

impl StackClientVerifier {
    /// Any refusal as `bad_certificate` (42), as small embedded stacks answer.
    pub(crate) fn bad_certificate(inner: Arc<dyn ClientCertVerifier>) -> Self {
        Self {
            inner,
            refusal: bad_certificate,
        }
    }

    /// A refusal with the alert mbedTLS picks (`crate::personality`).
    pub(crate) fn mbedtls(inner: Arc<dyn ClientCertVerifier>) -> Self {
        Self {
            inner,
            refusal: crate::personality::mbedtls_refusal,
        }
    }
}

/// `InvalidCertificate(BadEncoding)` is the error rustls answers with `bad_certificate`.
fn bad_certificate(error: rustls::Error) -> rustls::Error {
    tracing::info!("client certificate refused with bad_certificate: {error}");
    rustls::Error::InvalidCertificate(CertificateError::BadEncoding)
}

impl ClientCertVerifier for StackClientVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    /// Not mandatory for rustls, which would send `certificate_required`: the server refuses a
    /// connection without a peer certificate itself, before reading any request.
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.inner
            .verify_client_cert(end_entity, intermediates, now)
            .map_err(self.refusal)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }
}
