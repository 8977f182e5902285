//! `AccessoryVerifier`: the [`TrustPolicy`] as a rustls `ServerCertVerifier`.
//!
//! rustls asks two questions. `verify_server_cert`: is this certificate trusted? That is
//! [`TrustPolicy::check`], nothing more and nothing less. `verify_tls1x_signature`: did the peer
//! sign this handshake with the certificate's key? That is always answered with the aws-lc-rs
//! provider's algorithms, in every mode, including first use: a genuine certificate replayed by
//! someone without its key fails here (`tls.bad_handshake_signature`).

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::diagnosis::codes;
use crate::error::Refusal;
use crate::policy::{Observed, TrustPolicy};

/// Verifies an accessory's certificate and handshake under a [`TrustPolicy`].
///
/// **Trust on first use.** With `tofu(None)`, there is no record to compare against: the verifier
/// accepts any certificate that parses, has a strong enough key and names the identity, and whose
/// key signed the handshake. That proves the peer holds *a* key, not *the* key: before sending any
/// credential the application must confirm [`Observed::pin`] from [`AccessoryVerifier::observed`]
/// (against a fingerprint from the device label or QR code, or by asking a person), then record it.
#[derive(Debug)]
pub struct AccessoryVerifier {
    policy: TrustPolicy,
    observed: Mutex<Option<Observed>>,
}

impl AccessoryVerifier {
    /// A verifier for `policy`.
    pub fn new(policy: TrustPolicy) -> Arc<Self> {
        Arc::new(Self {
            policy,
            observed: Mutex::new(None),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }

    /// The last peer this verifier accepted (its pin, fingerprint, chain and notes), for the ledger
    /// and for first-use confirmation.
    pub fn observed(&self) -> Option<Observed> {
        self.observed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The offline verdict at `now`: the same check a connection runs, without a handshake.
    pub fn verify_offline(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<Observed, Refusal> {
        let (leaf, intermediates) = chain
            .split_first()
            .ok_or_else(|| Refusal::new(codes::NONE_PRESENTED, "no certificate given"))?;
        self.policy.check(leaf, intermediates, now, None)
    }
}

impl ServerCertVerifier for AccessoryVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let observed = self
            .policy
            .check(end_entity, intermediates, now, Some(server_name))
            .map_err(Refusal::into_rustls)?;
        *self.observed.lock().unwrap_or_else(PoisonError::into_inner) = Some(observed);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12(message, cert, dss, self.policy.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13(message, cert, dss, self.policy.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.policy.algorithms().supported_schemes()
    }
}

/// Verifies a TLS 1.2 handshake signature with the provider's algorithms.
///
/// rustls's `verify_tls12_signature` reads the key through webpki's certificate parser, which
/// refuses (rightly, for path validation) a certificate with an unknown critical extension. Pin
/// and first-use modes may accept such a certificate, and its key must still sign the handshake:
/// for those, the key is taken from the SubjectPublicKeyInfo and checked with the same provider
/// algorithms through webpki's raw-public-key entity, trying each candidate as rustls does.
pub(crate) fn verify_tls12(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    if webpki::EndEntityCert::try_from(cert).is_ok() {
        return rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
            .map_err(bad_signature);
    }
    let spki = spki_of(cert)?;
    let key = webpki::RawPublicKeyEntity::try_from(&spki).map_err(|e| bad_signature_webpki(&e))?;
    let candidates = algorithms
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == dss.scheme)
        .map(|(_, algs)| *algs)
        .unwrap_or_default();
    let mut last = None;
    for alg in candidates {
        match key.verify_signature(*alg, message, dss.signature()) {
            Ok(()) => return Ok(HandshakeSignatureValid::assertion()),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => bad_signature_webpki(&e),
        None => bad_signature(rustls::Error::General(
            "no algorithm for this scheme".into(),
        )),
    })
}

/// Verifies a TLS 1.3 handshake signature with the provider's algorithms (from the SPKI when
/// webpki cannot parse the certificate; see [`verify_tls12`]).
pub(crate) fn verify_tls13(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    if webpki::EndEntityCert::try_from(cert).is_ok() {
        return rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
            .map_err(bad_signature);
    }
    let spki = spki_of(cert)?;
    rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, algorithms)
        .map_err(bad_signature)
}

fn spki_of(cert: &CertificateDer<'_>) -> Result<SubjectPublicKeyInfoDer<'static>, rustls::Error> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| {
        Refusal::new(
            codes::BAD_ENCODING,
            format!("cannot parse the certificate: {e}"),
        )
        .into_rustls()
    })?;
    Ok(SubjectPublicKeyInfoDer::from(
        parsed.public_key().raw.to_vec(),
    ))
}

fn bad_signature_webpki(e: &webpki::Error) -> rustls::Error {
    bad_signature(rustls::Error::General(format!("webpki: {e}")))
}

/// A handshake signature that fails to verify is the peer failing to prove it holds the key.
pub(crate) fn bad_signature(e: rustls::Error) -> rustls::Error {
    Refusal::new(
        codes::BAD_HANDSHAKE_SIGNATURE,
        format!("the handshake signature does not verify with the certificate's key ({e})"),
    )
    .into_rustls()
}

/// A client configuration that verifies with `verifier`: aws-lc-rs provider (with
/// X25519MLKEM768), TLS 1.2 and 1.3 only, no client certificate.
pub fn client_config(verifier: Arc<AccessoryVerifier>) -> rustls::ClientConfig {
    builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// The provider and versions every client in this toolkit uses.
pub(crate) fn builder() -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier> {
    rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .expect("aws-lc-rs supports TLS 1.2 and 1.3")
}
