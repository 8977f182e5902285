//! `AccessoryVerifier`: the [`TrustPolicy`] as a rustls `ServerCertVerifier`.
//!
//! rustls asks two questions. `verify_server_cert`: is this certificate trusted? That is
//! [`TrustPolicy::check`], nothing more and nothing less. `verify_tls1x_signature`: did the peer
//! sign this handshake with the certificate's key? That is always answered with the aws-lc-rs
//! provider's algorithms, in every mode, including first use: a genuine certificate replayed by
//! someone without its key fails here (`tls.bad_handshake_signature`).

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
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
        rustls::crypto::verify_tls12_signature(message, cert, dss, self.policy.algorithms())
            .map_err(bad_signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, self.policy.algorithms())
            .map_err(bad_signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.policy.algorithms().supported_schemes()
    }
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
