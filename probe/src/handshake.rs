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
//!
//! The one exception is [`Handshake::run_sending`], for the record-size check: after a pinned
//! handshake it sends one application record (a plain HTTP request with no credential in it) and
//! records the accessory's [`Reply`].

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, ClientConnection, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::reply::Reply;
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
    /// The first application data the accessory sent (at most 256 bytes).
    plaintext: Vec<u8>,
}

/// One application record sent after the handshake, and what came back.
#[derive(Debug)]
pub(crate) struct Sent {
    /// The records the request took on the wire, header included, in bytes.
    pub records: Vec<usize>,
    /// The accessory's reply.
    pub reply: Reply,
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

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(e) => write!(f, "no TCP connection: {e}"),
            Failure::Io(e) => write!(f, "{e}"),
            Failure::Closed => f.write_str("closed during the handshake, without an alert"),
            Failure::Tls(e) => write!(f, "{e}"),
            Failure::Timeout(t) => write!(f, "no handshake within {} s", t.as_secs()),
        }
    }
}

impl Handshake {
    /// Connects to `addr` and runs one handshake with `config`, never sending application data.
    pub(crate) async fn run(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        route: &Route,
        timeout: Duration,
    ) -> Self {
        Self::run_sending(config, server_name, route, timeout, None)
            .await
            .0
    }

    /// [`run`](Self::run), and when the handshake completes and `request` is given, sends it as
    /// application data (one record when it is at most 16,384 bytes) and waits up to `timeout`
    /// for the reply, before `close_notify`.
    pub(crate) async fn run_sending(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        route: &Route,
        timeout: Duration,
        request: Option<&[u8]>,
    ) -> (Self, Option<Sent>) {
        let mut hs = Handshake::default();
        let mut sent = None;
        let drive = hs.drive(config, server_name, route, request, timeout, &mut sent);
        // The handshake and, when there is a request, the wait for its reply.
        let allowed = if request.is_some() {
            timeout * 2
        } else {
            timeout
        };
        match tokio::time::timeout(allowed, drive).await {
            Ok(Ok(())) => hs.completed = true,
            Ok(Err(failure)) => hs.failure = Some(failure),
            Err(_) => hs.failure = Some(Failure::Timeout(timeout)),
        }
        (hs, sent)
    }

    async fn drive(
        &mut self,
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        route: &Route,
        request: Option<&[u8]>,
        reply_wait: Duration,
        sent: &mut Option<Sent>,
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
        if let Some(request) = request {
            let s = self
                .exchange(&mut conn, &mut tcp, &mut buf, request, reply_wait)
                .await;
            let answered = s.reply.read();
            *sent = Some(s);
            if !answered {
                // The accessory is gone or silent: nothing more to learn from this connection.
                return Ok(());
            }
        }

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

    /// Sends `request` as application data and reads until application data, an alert, a close,
    /// a reset, or `wait` of silence.
    async fn exchange(
        &mut self,
        conn: &mut ClientConnection,
        tcp: &mut TcpStream,
        buf: &mut [u8],
        request: &[u8],
        wait: Duration,
    ) -> Sent {
        let failed = |what: String| Sent {
            records: Vec::new(),
            reply: Reply::Failed { what },
        };
        if let Err(e) = io::Write::write_all(&mut conn.writer(), request) {
            return failed(e.to_string());
        }
        let mut out = Vec::new();
        while conn.wants_write() {
            if let Err(e) = conn.write_tls(&mut out) {
                return failed(e.to_string());
            }
        }
        let records = record_lengths(&out);
        let written = tcp.write_all(&out).await;
        let reply = loop {
            let n = match tokio::time::timeout(wait, tcp.read(buf)).await {
                Err(_) => {
                    break match &written {
                        Err(e) => io_reply(e),
                        Ok(()) => Reply::Silent {
                            seconds: wait.as_secs(),
                        },
                    }
                }
                Ok(Ok(0)) => break Reply::Closed,
                Ok(Ok(n)) => n,
                Ok(Err(e)) => break io_reply(&e),
            };
            match self.feed(conn, tcp, &buf[..n]).await {
                Err(Failure::Tls(rustls::Error::AlertReceived(d))) => {
                    break Reply::Alert {
                        alert: Alert::from(d),
                    }
                }
                Err(Failure::Tls(e)) => {
                    break Reply::Failed {
                        what: e.to_string(),
                    }
                }
                Err(Failure::Io(e)) => break io_reply(&e),
                Err(_) => break Reply::Closed,
                Ok(closed) => {
                    if !self.plaintext.is_empty() {
                        let text = String::from_utf8_lossy(&self.plaintext);
                        let line = text.lines().next().unwrap_or_default();
                        break Reply::Answered {
                            first_line: line.chars().take(80).collect(),
                        };
                    }
                    if closed {
                        break Reply::Closed;
                    }
                }
            }
        };
        Sent { records, reply }
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
                    // Application data is expected only in reply to a request; drain it always so
                    // rustls never stalls, and keep its start.
                    let pending = state.plaintext_bytes_to_read();
                    if pending > 0 {
                        let mut data = vec![0u8; pending];
                        let n = io::Read::read(&mut conn.reader(), &mut data).unwrap_or(0);
                        let room = 256usize.saturating_sub(self.plaintext.len());
                        self.plaintext.extend_from_slice(&data[..n.min(room)]);
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

/// The lengths of the TLS records in `bytes`, header included.
fn record_lengths(mut bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let n = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(n);
        bytes = &bytes[n.min(bytes.len())..];
    }
    out
}

/// A socket error as a reply: a reset, a close, or something else.
fn io_reply(e: &io::Error) -> Reply {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => Reply::Reset,
        io::ErrorKind::UnexpectedEof => Reply::Closed,
        _ => Reply::Failed {
            what: e.to_string(),
        },
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
