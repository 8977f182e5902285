//! `ChainCapture`: learn what a peer presents without trusting it.
//!
//! `accessory trust fetch` and `probe` need the chain an accessory serves before anyone has
//! decided to trust it. This verifier records the chain and then **always refuses**
//! (`capture.refused`), so a handshake made with it can never carry anything. To talk to the
//! accessory afterwards, pin the captured key with an [`crate::AccessoryVerifier`]: the peer then
//! still has to prove possession of that key.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::diagnosis::codes;
use crate::error::Refusal;
use crate::verifier::{verify_tls12, verify_tls13};

/// Records the presented chain, then refuses it.
#[derive(Debug)]
pub struct ChainCapture {
    chain: Mutex<Option<Vec<CertificateDer<'static>>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ChainCapture {
    /// A fresh capture.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            chain: Mutex::new(None),
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        })
    }

    /// The chain presented by the last peer, leaf first.
    pub fn captured(&self) -> Option<Vec<CertificateDer<'static>>> {
        self.chain
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A client configuration whose handshakes capture the chain and then fail with
    /// `capture.refused` (same provider and versions as [`crate::client_config`]).
    pub fn client_config(self: &Arc<Self>) -> rustls::ClientConfig {
        crate::verifier::builder()
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth()
    }
}

impl ServerCertVerifier for ChainCapture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        *self.chain.lock().unwrap_or_else(PoisonError::into_inner) = Some(chain);
        Err(Refusal::new(
            codes::CAPTURED,
            "the chain was captured; a capturing verifier never trusts",
        )
        .into_rustls())
    }

    // Never reached (the certificate is always refused first), and still verified honestly.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
