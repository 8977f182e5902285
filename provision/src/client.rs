//! One verified TLS session to the accessory, and HTTP/1.1 exchanges over it.
//!
//! The whole exchange (device, network, status) runs on one connection kept alive: every new
//! connection costs a TCP and a TLS round trip, and every new TLS session is another chance for a
//! man in the middle to be asked for a proof of possession. A session is opened again only when the
//! accessory drops it (it rebooted to apply the network).
//!
//! The proof-of-possession exporter is taken from the session right after the handshake, before the
//! stream is handed to hyper.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::{HandshakeKind, ProtocolVersion};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use zeroize::{Zeroize, Zeroizing};

use crate::connect;
use crate::error::Error;
use crate::event::{Event, Observer};
use crate::outcome::RoundTrips;
use crate::secret::Secret;
use protocol::pop;

/// Answers are small JSON documents; anything larger is not an accessory speaking our API.
const MAX_BODY: usize = 64 * 1024;
/// How long a failed request waits for the connection task to report why the connection ended.
/// The task ends as the connection does, so this only bounds a request error that did not end it.
const CONNECTION_END_GRACE: Duration = Duration::from_millis(500);

/// Where and how to open a session.
pub(crate) struct Endpoint {
    pub addr: SocketAddr,
    /// What goes in the `Host` header.
    pub authority: String,
    pub server_name: ServerName<'static>,
    pub bind_device: Option<String>,
    pub config: Arc<rustls::ClientConfig>,
}

/// Bytes that hold a secret (the `PUT /v1/network` JSON with the passphrase, the `Authorization:
/// PoP` value), handed to hyper without a copy: the `Bytes` owns the zeroizing buffer and wipes it
/// when hyper drops the last reference, after writing it.
///
/// What remains in libraries we do not control, exactly (hyper 1.x, rustls 0.23):
/// - the body: none in plaintext. hyper queues the `Bytes` as it is (`WriteStrategy::Queue` in
///   `proto/h1/io.rs`, chosen because a tokio-rustls stream writes vectored; the `Flatten`
///   strategy that copies is for streams that do not), and rustls copies each chunk into the
///   record it encrypts in place (`PrefixedPayload`, sealed by the AEAD), so that copy is
///   ciphertext once written.
/// - the proof-of-possession header: hyper encodes the request head into its own write buffer
///   (`WriteBuf::headers`, a `Vec<u8>` it clears but does not wipe), so the proof stays there
///   until a later request head overwrites it or the connection's memory is freed. The proof is
///   bound to this TLS session's exporter: it proves nothing on any other session.
pub(crate) fn secret_bytes<Z>(body: Zeroizing<Z>) -> Bytes
where
    Z: Zeroize + AsRef<[u8]> + Send + 'static,
{
    Bytes::from_owner(body)
}

/// An answer: status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// One TLS session to the accessory, kept alive for the whole exchange.
pub(crate) struct Session {
    sender: http1::SendRequest<Full<Bytes>>,
    exporter: Zeroizing<pop::Exporter>,
    authority: String,
    /// The HTTP/1.1 connection task. Its result is why the connection ended (a TLS alert, a reset):
    /// a request that finds the connection closed only learns "channel closed". `None` once
    /// its result was taken.
    connection: Option<JoinHandle<Result<(), hyper::Error>>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(connection) = &self.connection {
            connection.abort();
        }
    }
}

impl Session {
    /// Connects (retrying transient errors until `deadline`), performs the TLS handshake with the
    /// endpoint's verifier, and starts HTTP/1.1 on the session.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        deadline: Instant,
        round_trips: &mut RoundTrips,
        observer: &Observer,
    ) -> Result<Session, Error> {
        let tcp = connect::connect(
            endpoint.addr,
            endpoint.bind_device.as_deref(),
            deadline,
            round_trips,
        )
        .await?;
        observer.emit(Event::Tls);
        let connector = TlsConnector::from(endpoint.config.clone());
        let handshake = connector.connect(endpoint.server_name.clone(), tcp);
        let tls = match tokio::time::timeout_at(deadline, handshake).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(source)) => {
                // A refused handshake still took its round trip.
                round_trips.tls += 1;
                return Err(Error::Handshake {
                    addr: endpoint.addr,
                    source,
                });
            }
            Err(_) => {
                round_trips.tls += 1;
                return Err(Error::Deadline {
                    step: crate::step::Step::Handshake,
                });
            }
        };
        let conn = tls.get_ref().1;
        round_trips.tls += handshake_round_trips(conn.protocol_version(), conn.handshake_kind());
        tracing::debug!(
            version = ?conn.protocol_version(),
            kind = ?conn.handshake_kind(),
            suite = ?conn.negotiated_cipher_suite().map(|s| s.suite()),
            "TLS session established"
        );
        let exporter = conn
            .export_keying_material(
                Zeroizing::new([0u8; pop::EXPORTER_LEN]),
                pop::EXPORTER_LABEL,
                None,
            )
            .map_err(|e| Error::Handshake {
                addr: endpoint.addr,
                source: std::io::Error::other(e),
            })?;
        let (sender, connection) =
            http1::handshake(TokioIo::new(tls))
                .await
                .map_err(|e| Error::ConnectionLost {
                    step: crate::step::Step::Handshake,
                    source: Box::new(e),
                })?;
        let connection = tokio::spawn(async move {
            let ended = connection.await;
            if let Err(e) = &ended {
                tracing::debug!(error = %e, "connection to the accessory ended");
            }
            ended
        });
        Ok(Session {
            sender,
            exporter,
            authority: endpoint.authority.clone(),
            connection: Some(connection),
        })
    }

    /// One request and its answer. `pop` is the label code when the peer has been accepted and a
    /// proof should be attached. A connection that died is `Error::ConnectionLost`, whose source is
    /// why the connection ended when the connection task knows it (see [`Session::lost`]).
    pub(crate) async fn exchange(
        &mut self,
        step: crate::Step,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        pop: Option<&Secret>,
        round_trips: &mut RoundTrips,
    ) -> Result<Answer, Error> {
        let body = body.map(|b| (b, "application/json"));
        let credential = pop.map_or(Credential::None, Credential::Pop);
        self.exchange_as(step, method, path, body, credential, round_trips)
            .await
    }

    /// [`Session::exchange`] with the body's content type and the credential an API profile
    /// names (`profile.rs`): a proof of possession, or a static header.
    pub(crate) async fn exchange_as(
        &mut self,
        step: crate::Step,
        method: Method,
        path: &str,
        body: Option<(Bytes, &'static str)>,
        credential: Credential<'_>,
        round_trips: &mut RoundTrips,
    ) -> Result<Answer, Error> {
        match self
            .request(step, method, path, body, credential, round_trips)
            .await
        {
            Err(Failed::Connection(e)) => Err(self.lost(step, e).await),
            Err(Failed::Other(e)) => Err(e),
            Ok(answer) => Ok(answer),
        }
    }

    /// The error for a request that failed on the connection. The request's own error is often
    /// only "channel closed" or "connection closed": the connection task read the real cause
    /// first (a TLS 1.3 server's alert after the client finished its handshake arrives on the
    /// first read, before any request went out). Prefer the connection's error when it has one.
    async fn lost(&mut self, step: crate::Step, request: hyper::Error) -> Error {
        let mut ended = None;
        if let Some(mut connection) = self.connection.take() {
            match tokio::time::timeout(CONNECTION_END_GRACE, &mut connection).await {
                Ok(joined) => ended = Some(joined),
                // Still running (aborted when the session is dropped).
                Err(_) => self.connection = Some(connection),
            }
        }
        let source: Box<dyn std::error::Error + Send + Sync> = match ended {
            Some(Ok(Err(connection))) => {
                tracing::debug!(request = %request, "the request failed as the connection ended");
                Box::new(connection)
            }
            // Ended cleanly, panicked, still running, or already asked: the request's error is
            // all there is.
            _ => Box::new(request),
        };
        Error::ConnectionLost { step, source }
    }

    async fn request(
        &mut self,
        step: crate::Step,
        method: Method,
        path: &str,
        body: Option<(Bytes, &'static str)>,
        credential: Credential<'_>,
        round_trips: &mut RoundTrips,
    ) -> Result<Answer, Failed> {
        let lost = Failed::Connection;
        self.sender.ready().await.map_err(lost)?;
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(HOST, &self.authority)
            .header(ACCEPT, "application/json");
        if let Some((_, content_type)) = &body {
            request = request.header(CONTENT_TYPE, *content_type);
        }
        match credential {
            Credential::None => {}
            Credential::Pop(code) => {
                let proof = pop::authorization(code.expose(), &self.exporter);
                let mut value = HeaderValue::from_maybe_shared(secret_bytes(proof))
                    .expect("base64 is a valid header value");
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            Credential::Header(name, secret) => {
                let bytes = Zeroizing::new(secret.expose().as_bytes().to_vec());
                let mut value =
                    HeaderValue::from_maybe_shared(secret_bytes(bytes)).map_err(|_| {
                        Failed::Other(Error::InvalidRequest(format!(
                            "the {name} header's value is not a valid header value"
                        )))
                    })?;
                value.set_sensitive(true);
                request = request.header(name.clone(), value);
            }
        }
        let request = request
            .body(Full::new(body.map(|(b, _)| b).unwrap_or_default()))
            .map_err(|e| {
                Failed::Other(Error::Malformed {
                    step,
                    detail: format!("cannot build the request: {e}"),
                })
            })?;
        round_trips.http += 1;
        let response = self.sender.send_request(request).await.map_err(lost)?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| match e.downcast::<hyper::Error>() {
                Ok(e) => lost(*e),
                Err(e) => Failed::Other(Error::Malformed {
                    step,
                    detail: format!("answer body: {e}"),
                }),
            })?
            .to_bytes();
        tracing::debug!(%method, path, status, "accessory answered");
        Ok(Answer { status, body })
    }
}

/// What authenticates a request: nothing, our proof of possession for a label code, or a static
/// header (an API profile's bearer token). Only a trusted session's requests carry one.
#[derive(Clone, Copy)]
pub(crate) enum Credential<'a> {
    None,
    Pop(&'a Secret),
    Header(&'a hyper::header::HeaderName, &'a Secret),
}

/// How a request failed: on the connection (the cause is looked for in the connection task's
/// result), or otherwise.
enum Failed {
    Connection(hyper::Error),
    Other(Error),
}

/// Round trips a handshake took: one for a TLS 1.3 handshake or any resumption, two for a TLS 1.3
/// handshake that needed a HelloRetryRequest or a full TLS 1.2 handshake.
fn handshake_round_trips(version: Option<ProtocolVersion>, kind: Option<HandshakeKind>) -> u32 {
    match (version, kind) {
        (_, Some(HandshakeKind::Resumed)) => 1,
        (_, Some(HandshakeKind::FullWithHelloRetryRequest)) => 2,
        (Some(ProtocolVersion::TLSv1_2), _) => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A buffer that reports when it is zeroized (and what it held then).
    struct Probe {
        bytes: Vec<u8>,
        wiped: Arc<AtomicBool>,
    }

    impl AsRef<[u8]> for Probe {
        fn as_ref(&self) -> &[u8] {
            &self.bytes
        }
    }

    impl Zeroize for Probe {
        fn zeroize(&mut self) {
            self.bytes.zeroize();
            self.wiped.store(true, Ordering::SeqCst);
        }
    }

    fn probe(text: &str) -> (Zeroizing<Probe>, Arc<AtomicBool>) {
        let wiped = Arc::new(AtomicBool::new(false));
        let probe = Probe {
            bytes: text.as_bytes().to_vec(),
            wiped: Arc::clone(&wiped),
        };
        (Zeroizing::new(probe), wiped)
    }

    #[test]
    fn secret_bytes_is_wiped_when_its_last_reference_is_dropped_and_not_before() {
        let (owner, wiped) = probe(r#"{"passphrase":"correct horse"}"#);
        let body = secret_bytes(owner);
        let clone = body.clone();
        assert_eq!(&body[..], br#"{"passphrase":"correct horse"}"#);
        drop(body);
        assert!(
            !wiped.load(Ordering::SeqCst),
            "wiped while a clone still reads it"
        );
        assert_eq!(&clone[..], br#"{"passphrase":"correct horse"}"#);
        drop(clone);
        assert!(
            wiped.load(Ordering::SeqCst),
            "the last reference dropped without a wipe"
        );
    }

    #[tokio::test]
    async fn secret_bytes_sent_through_hyper_arrives_whole_and_is_wiped_once_the_answer_is_read() {
        let body_text = r#"{"ssid":"home","passphrase":"correct horse battery"}"#;
        let (owner, wiped) = probe(body_text);
        let (client_io, mut server_io) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.ends_with(body_text.as_bytes()) {
                let n = server_io.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client closed before the body arrived");
                got.extend_from_slice(&buf[..n]);
            }
            server_io
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            got
        });
        let (mut sender, connection) = http1::handshake::<_, Full<Bytes>>(TokioIo::new(client_io))
            .await
            .unwrap();
        let connection = tokio::spawn(connection);
        let request = Request::builder()
            .method(Method::PUT)
            .uri("/v1/network")
            .header(HOST, "accessory")
            .body(Full::new(secret_bytes(owner)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status().as_u16(), 204);
        let got = server.await.unwrap();
        assert!(got.ends_with(body_text.as_bytes()));
        assert!(
            wiped.load(Ordering::SeqCst),
            "hyper still holds the passphrase after the answer came back"
        );
        connection.abort();
    }
}
