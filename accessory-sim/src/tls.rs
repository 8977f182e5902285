//! The rustls server configuration a scenario asks for: its certificate, versions, client auth.

use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::CertificateDer;

use crate::client_auth::StackClientVerifier;
use crate::error::Error;
use crate::fault::ClientCertRefusal;

/// Serves one certified key whatever the client asks for, as an accessory with one identity does.
#[derive(Debug)]
struct OneIdentity(Arc<CertifiedKey>);

impl ResolvesServerCert for OneIdentity {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

/// What the TLS layer of a scenario is.
#[derive(Debug, Default)]
pub(crate) struct TlsOptions {
    /// Speak TLS 1.2 only.
    pub tls12_only: bool,
    /// Require a client certificate chaining to one of these roots.
    pub client_roots: Option<Vec<CertificateDer<'static>>>,
    /// How a client without a valid certificate is refused.
    pub client_refusal: ClientCertRefusal,
    /// Keep the traffic secrets extractable (to seal an alert after the handshake).
    pub secret_extraction: bool,
}

/// Builds the server configuration (aws-lc-rs provider: X25519MLKEM768 is on offer, as on a
/// current server).
pub(crate) fn server_config(
    key: Arc<CertifiedKey>,
    options: &TlsOptions,
) -> Result<Arc<ServerConfig>, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: &[&'static rustls::SupportedProtocolVersion] = if options.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .map_err(|e| Error::Tls(e.to_string()))?;
    let builder = match &options.client_roots {
        None => builder.with_no_client_auth(),
        Some(roots) => {
            let mut store = RootCertStore::empty();
            for root in roots {
                store
                    .add(root.clone())
                    .map_err(|e| Error::Tls(format!("client CA: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| Error::Tls(format!("client verifier: {e}")))?;
            match options.client_refusal {
                ClientCertRefusal::Stock => builder.with_client_cert_verifier(verifier),
                ClientCertRefusal::Mbedtls => builder
                    .with_client_cert_verifier(Arc::new(StackClientVerifier::mbedtls(verifier))),
                ClientCertRefusal::BadCertificate => builder.with_client_cert_verifier(Arc::new(
                    StackClientVerifier::bad_certificate(verifier),
                )),
            }
        }
    };
    let mut config = builder.with_cert_resolver(Arc::new(OneIdentity(key)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.enable_secret_extraction = options.secret_extraction;
    // An accessory talks to one phone at a time: a small resumption cache keeps a fleet of a
    // thousand small in memory (rustls preallocates 256 entries per configuration).
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(32);
    Ok(Arc::new(config))
}
