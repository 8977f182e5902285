//! Learning the chain an accessory presents, without trusting it (`accessory trust fetch`).
//!
//! One handshake with `trust::ChainCapture`, which records the chain and then refuses it, so the
//! session never completes and nothing is sent over it but the ClientHello. `trust` does no network
//! I/O; the socket is here, beside the probe's other handshakes.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use trust::lint::{LintOptions, LintReport, RuleBook};
use trust::{ChainCapture, Diagnosis, Inspection};

use crate::Error;

/// Connects to `addr`, sends a ClientHello naming `server_name` (SNI when it is a DNS name), and
/// returns the chain the accessory presented, leaf first. Nothing is trusted and nothing is sent
/// after the hello: the capturing verifier refuses the chain once it has recorded it.
///
/// `timeout` bounds the connection and every read and write of the handshake. When no certificate
/// arrives (refused, reset, an alert, a timeout), the error is [`Error::NoChain`] with the
/// diagnosis of what happened instead.
pub async fn fetch_chain(
    addr: SocketAddr,
    server_name: ServerName<'static>,
    timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let capture = ChainCapture::new();
    let cap = capture.clone();
    let outcome = tokio::task::spawn_blocking(move || handshake(addr, server_name, timeout, &cap))
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)));
    capture.captured().ok_or_else(|| {
        let diagnosis = match outcome {
            Err(e) => Diagnosis::from_io(&e),
            Ok(()) => Diagnosis::new(
                trust::diagnosis::codes::TLS_OTHER,
                "the handshake ended without a certificate",
            ),
        };
        Error::NoChain {
            addr,
            diagnosis: Box::new(diagnosis),
        }
    })
}

/// What `accessory trust fetch` shows about a captured chain: each certificate's subject,
/// fingerprint and pin, the leaf's pin, and the Apple lint. `trusted` is always false: nothing about
/// a fetched chain is trusted until a person compares it with what the manufacturer published.
#[derive(Debug, Serialize)]
pub struct Fetched {
    /// `HOST:PORT` as given.
    pub target: String,
    /// The address connected to.
    pub address: String,
    /// Always false.
    pub trusted: bool,
    /// The chain, leaf first.
    pub chain: Vec<Link>,
    /// The leaf's pin.
    pub pin: String,
    /// The chain against Apple's rules.
    pub lint: LintReport,
    /// Where the chain was saved, for the text (the JSON does not carry it).
    #[serde(skip)]
    pub saved: Option<PathBuf>,
}

/// One certificate of a fetched chain.
#[derive(Debug, Serialize)]
pub struct Link {
    /// Its place, 0 for the leaf.
    pub index: usize,
    /// Its subject.
    pub subject: String,
    /// The SHA-256 fingerprint of the certificate.
    pub sha256: String,
    /// The pin of its key.
    pub pin: String,
}

impl Fetched {
    /// Inspects and lints `chain` (as [`fetch_chain`] returned it, never empty) from `target`.
    pub fn of(
        target: &str,
        address: SocketAddr,
        chain: &[CertificateDer<'static>],
    ) -> Result<Self, Error> {
        let mut links = Vec::new();
        for (index, cert) in chain.iter().enumerate() {
            let i = Inspection::of(cert)
                .map_err(|source| Error::PresentedCertificate { index, source })?;
            links.push(Link {
                index,
                subject: i.subject,
                sha256: i.fingerprint_sha256,
                pin: i.pin.to_string(),
            });
        }
        let lint = trust::lint::lint(chain, &LintOptions::new(RuleBook::Apple))
            .map_err(Error::PresentedChain)?;
        Ok(Self {
            target: target.to_owned(),
            address: address.to_string(),
            trusted: false,
            pin: links.first().map(|l| l.pin.clone()).unwrap_or_default(),
            chain: links,
            lint,
            saved: None,
        })
    }
}

/// What `accessory trust fetch` prints for people.
impl fmt::Display for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}) presented {} certificate(s):",
            self.target,
            self.address,
            self.chain.len()
        )?;
        for l in &self.chain {
            writeln!(f, "  #{} {}", l.index, l.subject)?;
            writeln!(f, "     SHA-256 {}", l.sha256)?;
            writeln!(f, "     pin     {}", l.pin)?;
        }
        writeln!(f, "leaf pin: {}", self.pin)?;
        if let Some(path) = &self.saved {
            writeln!(f, "saved the chain to {}", path.display())?;
        }
        writeln!(f)?;
        f.write_str(&self.lint.text("of the presented chain"))?;
        writeln!(f)?;
        writeln!(
            f,
            "NOTHING WAS TRUSTED: the chain was recorded and the handshake refused; nothing was sent to {}.",
            self.target
        )?;
        writeln!(
            f,
            "Compare the fingerprints with the manufacturer's before `accessory trust add` or pinning."
        )
    }
}

/// A blocking handshake with the capturing verifier. It always ends in an error once a certificate
/// arrived (the capture refuses); the caller looks at what was captured.
fn handshake(
    addr: SocketAddr,
    name: ServerName<'static>,
    timeout: Duration,
    capture: &Arc<ChainCapture>,
) -> io::Result<()> {
    let mut tcp = TcpStream::connect_timeout(&addr, timeout)?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let config = Arc::new(capture.client_config());
    let mut conn = rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_port_yields_no_chain_and_the_refusal_diagnosed() {
        // Bind then drop: the port is (almost certainly) closed for the next connect.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let name = ServerName::IpAddress(addr.ip().into());
        let err = fetch_chain(addr, name, Duration::from_secs(2))
            .await
            .unwrap_err();
        let Error::NoChain { diagnosis, .. } = err else {
            panic!("expected NoChain, got {err:?}");
        };
        assert_eq!(diagnosis.code, "net.refused");
    }

    #[tokio::test]
    async fn a_peer_that_never_answers_the_hello_times_out_without_a_chain() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let name = ServerName::IpAddress(addr.ip().into());
        let err = fetch_chain(addr, name, Duration::from_secs(1))
            .await
            .unwrap_err();
        let Error::NoChain { diagnosis, .. } = err else {
            panic!("expected NoChain, got {err:?}");
        };
        assert!(
            diagnosis.code.starts_with("net.timeout"),
            "{}",
            diagnosis.code
        );
        drop(listener);
    }
}
