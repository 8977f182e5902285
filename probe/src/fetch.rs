//! Learning the chain an accessory presents, without trusting it (`accessory trust fetch`).
//!
//! One handshake with `trust::ChainCapture`, which records the chain and then refuses it, so the
//! session never completes and nothing is sent over it but the ClientHello. `trust` does no network
//! I/O; the socket is here, beside the probe's other handshakes.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use trust::{ChainCapture, Diagnosis};

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
            Ok(()) => Diagnosis::for_code("tls.other", "the handshake ended without a certificate"),
        };
        Error::NoChain {
            addr,
            diagnosis: Box::new(diagnosis),
        }
    })
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
