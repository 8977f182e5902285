//! One handshake with the accessory, driven by hand so that nothing it shows is lost.
//!
//! `tokio_rustls::TlsConnector` would be shorter, but it drops the connection state on failure, and a
//! failure is exactly what a probe must describe: which version and group had been agreed when the
//! accessory sent its alert, and which bytes the ClientHello took on the wire. So this module moves
//! bytes between a `TcpStream` and a `rustls::ClientConnection` itself and records as it goes.
//!
//! A handshake is judged complete only once the accessory has had its say. In TLS 1.3 the client
//! finishes first: an accessory that rejects the client's (empty) certificate says so with an alert
//! *after* the client considers itself done. So after the handshake the probe sends `close_notify`
//! (never application data) and reads until the accessory closes, alerts, or stays quiet for
//! [`SETTLE`].

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, ClientConnection, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::route::Route;
use crate::{Alert, ClientHelloSize, Version};

/// How long the accessory has, after the handshake, to object before silence counts as consent.
const SETTLE: Duration = Duration::from_secs(2);

/// Everything one handshake showed.
#[derive(Debug, Default)]
pub(crate) struct Handshake {
    /// The first record the client put on the wire.
    pub clienthello: Option<ClientHelloSize>,
    /// Its exact bytes (the first write), for `--report DIR`.
    pub clienthello_bytes: Vec<u8>,
    /// Both sides finished and the accessory did not object afterwards.
    pub completed: bool,
    pub version: Option<Version>,
    /// The key-exchange group, IANA name (`X25519MLKEM768`).
    pub group: Option<String>,
    /// The cipher suite, IANA name.
    pub suite: Option<String>,
    /// The fatal alert the accessory sent.
    pub alert_received: Option<Alert>,
    /// The fatal alert this client sent (as rustls maps its error to an alert).
    pub alert_sent: Option<Alert>,
    /// Why it did not complete.
    pub failure: Option<Failure>,
}

/// Why a handshake did not complete.
#[derive(Debug)]
pub(crate) enum Failure {
    /// TCP did not connect.
    Connect(io::Error),
    /// The socket failed (reset, ...) after connecting.
    Io(io::Error),
    /// The accessory closed the connection without an alert before the handshake ended.
    Closed,
    /// rustls refused (our verifier's refusal, a peer alert, a protocol error).
    Tls(rustls::Error),
    /// Nothing happened for the whole time allowed.
    Timeout(Duration),
}

impl Handshake {
    /// Connects to `addr` and runs one handshake with `config`, never sending application data.
    pub(crate) async fn run(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        route: &Route,
        timeout: Duration,
    ) -> Self {
        let mut hs = Handshake::default();
        match tokio::time::timeout(timeout, hs.drive(config, server_name, route)).await {
            Ok(Ok(())) => hs.completed = true,
            Ok(Err(failure)) => hs.failure = Some(failure),
            Err(_) => hs.failure = Some(Failure::Timeout(timeout)),
        }
        hs
    }

    async fn drive(
        &mut self,
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        route: &Route,
    ) -> Result<(), Failure> {
        let mut tcp = route.connect().await.map_err(Failure::Connect)?;
        let _ = tcp.set_nodelay(true);
        let mut conn = ClientConnection::new(config, server_name).map_err(Failure::Tls)?;
        let mut buf = vec![0u8; 32 * 1024];

        while conn.is_handshaking() {
            if let Err(failure) = self.flush(&mut conn, &mut tcp).await {
                return Err(self
                    .last_words(&mut conn, &mut tcp, &mut buf, failure)
                    .await);
            }
            if !conn.is_handshaking() {
                break;
            }
            let n = tcp.read(&mut buf).await.map_err(Failure::Io)?;
            if n == 0 {
                return Err(Failure::Closed);
            }
            self.feed(&mut conn, &mut tcp, &buf[..n]).await?;
        }
        self.flush(&mut conn, &mut tcp).await?;

        conn.send_close_notify();
        self.flush(&mut conn, &mut tcp).await?;
        loop {
            let n = match tokio::time::timeout(SETTLE, tcp.read(&mut buf)).await {
                Err(_) => return Ok(()),
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(Failure::Io(e)),
            };
            if self.feed(&mut conn, &mut tcp, &buf[..n]).await? {
                return Ok(());
            }
        }
    }

    /// A write failed (the accessory reset or closed): it may still have said why before it went,
    /// as a stack that alerts as soon as it accepts does. Reads what is left, briefly; the alert,
    /// if there is one, is the better explanation.
    async fn last_words(
        &mut self,
        conn: &mut ClientConnection,
        tcp: &mut TcpStream,
        buf: &mut [u8],
        failure: Failure,
    ) -> Failure {
        match tokio::time::timeout(SETTLE, tcp.read(buf)).await {
            Ok(Ok(n)) if n > 0 => match self.feed(conn, tcp, &buf[..n]).await {
                Err(alert @ Failure::Tls(_)) => alert,
                _ => failure,
            },
            _ => failure,
        }
    }

    /// Writes what rustls has queued; the first write is the ClientHello, measured here.
    async fn flush(
        &mut self,
        conn: &mut ClientConnection,
        tcp: &mut TcpStream,
    ) -> Result<(), Failure> {
        while conn.wants_write() {
            let mut out = Vec::new();
            conn.write_tls(&mut out).map_err(Failure::Io)?;
            if self.clienthello.is_none() {
                self.clienthello = ClientHelloSize::parse(&out);
                self.clienthello_bytes = out.clone();
            }
            tcp.write_all(&out).await.map_err(Failure::Io)?;
        }
        self.note_negotiated(conn);
        Ok(())
    }

    /// Hands `data` to rustls. Returns whether the peer has closed cleanly.
    async fn feed(
        &mut self,
        conn: &mut ClientConnection,
        tcp: &mut TcpStream,
        mut data: &[u8],
    ) -> Result<bool, Failure> {
        while !data.is_empty() {
            conn.read_tls(&mut data).map_err(Failure::Io)?;
            match conn.process_new_packets() {
                Ok(state) => {
                    // Nothing is expected after the handshake, but drain it so rustls never stalls.
                    let pending = state.plaintext_bytes_to_read();
                    if pending > 0 {
                        let mut sink = vec![0u8; pending];
                        let _ = io::Read::read(&mut conn.reader(), &mut sink);
                    }
                    self.note_negotiated(conn);
                    if state.peer_has_closed() {
                        return Ok(true);
                    }
                }
                Err(err) => {
                    self.note_negotiated(conn);
                    match &err {
                        rustls::Error::AlertReceived(d) => {
                            self.alert_received = Some(Alert::from(*d))
                        }
                        other => self.alert_sent = alert_sent_for(other).map(Alert::from),
                    }
                    // Let the accessory see our alert, as a phone's would; it may be gone already.
                    let _ = self.flush(conn, tcp).await;
                    return Err(Failure::Tls(err));
                }
            }
        }
        Ok(false)
    }

    fn note_negotiated(&mut self, conn: &ClientConnection) {
        if let Some(v) = conn.protocol_version() {
            self.version = match v {
                ProtocolVersion::TLSv1_2 => Some(Version::Tls12),
                ProtocolVersion::TLSv1_3 => Some(Version::Tls13),
                _ => None,
            };
        }
        if let Some(g) = conn.negotiated_key_exchange_group() {
            self.group = Some(format!("{:?}", g.name()));
        }
        if let Some(s) = conn.negotiated_cipher_suite() {
            self.suite = Some(format!("{:?}", s.suite()));
        }
    }
}

/// The alert rustls sends for an error it raised itself, where that is fixed by the error alone
/// (`CommonState::send_cert_verify_error_alert` and the message decoder). Elsewhere rustls picks the
/// alert at the call site, and we do not guess.
fn alert_sent_for(err: &rustls::Error) -> Option<AlertDescription> {
    match err {
        rustls::Error::InvalidCertificate(e) => Some(e.clone().into()),
        rustls::Error::InvalidMessage(e) => Some((*e).into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::CertificateError;

    #[test]
    fn a_refused_certificate_is_answered_with_the_alert_rustls_maps_it_to() {
        let refused = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(alert_sent_for(&refused), Some(AlertDescription::UnknownCA));
        let expired = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert_eq!(
            alert_sent_for(&expired),
            Some(AlertDescription::CertificateExpired)
        );
        assert_eq!(alert_sent_for(&rustls::Error::HandshakeNotComplete), None);
    }
}
