//! Provisioning an ESP-IDF accessory (protocomm over HTTP: `proto-ver`, `prov-session`,
//! `prov-config`), the codec being `protocol::esp`.
//!
//! What "verified peer" means here. ESP-IDF's SoftAP transport is plain HTTP on port 80: there is
//! no certificate, so the accessory is authenticated by the security scheme's proof instead:
//!
//! * security 1: the X25519 session is keyed with the proof of possession, and the device must
//!   return our public key encrypted under that key (`device_verify_data`); a device that does not
//!   know the PoP cannot produce it, and [`protocol::esp::Sec1ClientVerify::on_response1`] refuses;
//! * security 2: SRP6a; the device must send `H(A, M, K)`, which only a holder of the verifier made
//!   from our username and password can compute ([`protocol::esp::Sec2ClientVerify::on_response1`]).
//!
//! The passphrase is sent only after that proof verified, inside the session's cipher (`prov-config`
//! is the first message that carries it). Security 0 (no proof, plaintext) and security 1 without a
//! PoP (`no_pop`) are refused before anything secret is sent, as an accept-all certificate verifier
//! would be. A device that closes the connection during `prov-session` (ESP-IDF's answer to a wrong
//! PoP or SRP proof) gives `accessory.pop_rejected`. Over HTTPS the certificate is checked first by
//! the trust policy (pins, anchors, the device id it must name), exactly as for every accessory,
//! and the security scheme's proof is still required inside TLS; trust on first use is not offered
//! for ESP-IDF yet (refused as an invalid request).
//!
//! ESP-IDF's failure reasons map onto ours: `AuthError` → `accessory.auth_failed`,
//! `NetworkNotFound` → `accessory.network_not_found`; "connecting" until the deadline →
//! `provision.deadline` at the status step.

use std::time::Duration;

use rand_core::OsRng;
use std::sync::Arc;
use time::OffsetDateTime;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::time::Instant;

use protocol::api::{DeviceInfo, Reason};
use protocol::esp::wifi::{config, FailReason, WifiConfig, WifiStatus};
use protocol::esp::{
    endpoint, Cipher, ProtoVersion, Sec1Client, Sec2Client, SecurityScheme, SessionCipher,
    PROTO_VER_REQUEST,
};

use crate::error::Error;

mod detect;
use crate::ledger::AttemptOutcome;
use crate::outcome::{Failure, Outcome, RoundTrips};
use crate::request::Request;
use crate::secret::Secret;
use crate::step::Step;
pub use detect::{detect, run_detected, Detected};

/// How often the status is asked for while the device is connecting.
const POLL: Duration = Duration::from_millis(200);
/// The largest answer read from a device.
const MAX_ANSWER: usize = 64 * 1024;

/// The proof the accessory must answer: its label's PoP (security 1) or SRP credentials (security 2).
pub enum EspProof {
    /// Security 1's proof of possession.
    Pop(Secret),
    /// Security 2's username and password.
    Srp {
        /// The SRP username.
        username: String,
        /// The SRP password.
        password: Secret,
    },
}

/// How ESP-IDF provisioning reaches the accessory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EspTransport {
    /// Plain HTTP: the peer is authenticated by the security scheme's proof.
    Http,
    /// HTTPS: the certificate is checked by the trust policy, then the security scheme's proof.
    Https,
}

/// Provisions an ESP-IDF accessory: the address, network, deadline and ledger of `request`; the
/// proof of `proof`. The attempt is recorded in the ledger like any other; `shutdown` resolving
/// first ends the run as [`Error::Interrupted`], recorded as `interrupted`.
pub async fn run(
    request: Request,
    transport: EspTransport,
    proof: EspProof,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Outcome, Failure> {
    let t0 = Instant::now();
    let deadline = t0 + request.deadline;
    let mut run = EspRun {
        key: None,
        step: Step::Prepare,
        round_trips: RoundTrips::default(),
        credentials_sent: false,
    };
    let address = request.accessory.authority();
    let attempt = match &request.ledger {
        Some(ledger) => {
            let (id, addr, ssid) = (
                request.device_id.clone(),
                address.clone(),
                request.network.ssid.clone(),
            );
            let started = crate::flow::with_ledger(ledger, move |l| {
                l.start_attempt(id.as_deref(), &addr, &ssid, OffsetDateTime::now_utc())
            })
            .await;
            match started {
                Ok(a) => Some(a),
                Err(e) => return Err(run.failure(&request, e, t0, None)),
            }
        }
        None => None,
    };
    let result = {
        let exchange = tokio::time::timeout_at(
            deadline,
            run.exchange(&request, transport, &proof, deadline),
        );
        tokio::select! {
            r = exchange => Some(r),
            () = shutdown => None,
        }
    };
    let result = match result {
        Some(Ok(r)) => r,
        Some(Err(_)) => Err(Error::Deadline { step: run.step }),
        None => Err(Error::Interrupted { step: run.step }),
    };
    let (outcome, code) = match &result {
        Ok(_) => (AttemptOutcome::Connected, None),
        Err(e @ Error::Interrupted { .. }) => (
            AttemptOutcome::Interrupted,
            Some(crate::diagnosis::of(e).code),
        ),
        Err(e) => (AttemptOutcome::Failed, Some(crate::diagnosis::of(e).code)),
    };
    if let (Some(ledger), Some(a)) = (&request.ledger, attempt) {
        let (device, rt) = (request.device_id.clone(), run.round_trips.total());
        // Over HTTPS the certificate named the device id (the policy's identity): its key is
        // recorded as for any accessory. Plain HTTP has no key to record.
        let seen = match (&result, &run.key, &request.device_id) {
            (Ok(_), Some(key), Some(id)) => {
                let now = OffsetDateTime::now_utc();
                Some(crate::ledger::AccessoryRecord {
                    id: id.clone(),
                    pin: key.pin.to_string(),
                    fingerprint: key.fingerprint.clone(),
                    model: None,
                    firmware: None,
                    first_seen: now,
                    last_seen: now,
                })
            }
            _ => None,
        };
        let finished = crate::flow::with_ledger(ledger, move |l| {
            if let Some(record) = &seen {
                l.saw_accessory(record)?;
            }
            l.finish_attempt(
                a,
                device.as_deref(),
                outcome,
                code,
                Some(rt),
                OffsetDateTime::now_utc(),
            )
        })
        .await;
        if let Err(e) = finished {
            if result.is_ok() {
                run.step = Step::Record;
                return Err(run.failure(&request, e, t0, attempt));
            }
            tracing::warn!(error = %e, "could not record the failed attempt");
        }
    }
    match result {
        Ok((version, ip)) => Ok(Outcome {
            address,
            device: DeviceInfo {
                device_id: request.device_id.clone().unwrap_or_default(),
                model: String::new(),
                firmware: String::new(),
                api: serde_json::json!({ "esp": version.ver, "sec_ver": version.scheme.sec_ver() }),
                capabilities: version.capabilities.clone(),
            },
            ssid: request.network.ssid.clone(),
            ip,
            // Plain HTTP: no certificate, no key (empty); the peer was proven by the security scheme.
            pin: run
                .key
                .as_ref()
                .map(|k| k.pin.to_string())
                .unwrap_or_default(),
            fingerprint: run
                .key
                .as_ref()
                .map(|k| k.fingerprint.clone())
                .unwrap_or_default(),
            first_use: false,
            reconnects: 0,
            round_trips: run.round_trips,
            elapsed_ms: t0.elapsed().as_millis() as u64,
            attempt,
        }),
        Err(e) => Err(run.failure(&request, e, t0, attempt)),
    }
}

/// A failure before any exchange (nothing was sent, nothing recorded).
fn refused(request: &Request, error: Error) -> Failure {
    let run = EspRun {
        key: None,
        step: Step::Prepare,
        round_trips: RoundTrips::default(),
        credentials_sent: false,
    };
    run.failure(request, error, Instant::now(), None)
}

/// A TLS session over `tcp` whose certificate `policy` accepted, and the key it saw.
async fn verified_tls(
    request: &Request,
    policy: trust::TrustPolicy,
    tcp: tokio::net::TcpStream,
    addr: std::net::SocketAddr,
) -> Result<(Box<dyn Io>, crate::trusted::Key), Error> {
    let verifier = trust::AccessoryVerifier::new(policy);
    let config = trust::client_config(verifier.clone());
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = crate::flow::server_name(&request.accessory.host)?;
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|source| Error::Handshake { addr, source })?;
    Ok((Box::new(tls), crate::trusted::observed_key(&verifier)?))
}

/// A plain or TLS stream.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct EspRun {
    /// The key the trust policy accepted (HTTPS).
    key: Option<crate::trusted::Key>,
    step: Step,
    round_trips: RoundTrips,
    credentials_sent: bool,
}

impl EspRun {
    fn failure(
        &self,
        request: &Request,
        error: Error,
        t0: Instant,
        attempt: Option<i64>,
    ) -> Failure {
        Failure {
            diagnosis: crate::diagnosis::of(&error),
            step: self.step,
            address: request.accessory.authority(),
            device_id: request.device_id.clone(),
            observed: self
                .key
                .as_ref()
                .map(|k| (k.pin.to_string(), k.fingerprint.clone())),
            credentials_sent: self.credentials_sent,
            round_trips: self.round_trips,
            elapsed_ms: t0.elapsed().as_millis() as u64,
            attempt,
            error,
        }
    }

    fn esp(&self, source: protocol::esp::Error) -> Error {
        Error::Esp {
            step: self.step,
            source,
        }
    }

    async fn exchange(
        &mut self,
        request: &Request,
        transport: EspTransport,
        proof: &EspProof,
        deadline: Instant,
    ) -> Result<(ProtoVersion, Option<String>), Error> {
        request.network.validate()?;
        let policy = match transport {
            EspTransport::Http => None,
            EspTransport::Https if request.trust.tofu => {
                return Err(Error::InvalidRequest(
                    "trust on first use is not offered for ESP-IDF accessories; give --pin or --anchors".into(),
                ))
            }
            EspTransport::Https => Some(crate::flow::trust_policy(request)?),
        };
        let addr = crate::flow::resolve(request).await?;
        self.step = Step::Connect;
        let tcp = crate::connect::connect(
            addr,
            request.bind_device.as_deref(),
            deadline,
            &mut self.round_trips,
        )
        .await?;
        let stream: Box<dyn Io> = match policy {
            None => Box::new(tcp),
            Some(policy) => {
                self.step = Step::Handshake;
                self.round_trips.tls += 1;
                let (tls, key) = verified_tls(request, policy, tcp, addr).await?;
                self.key = Some(key);
                tls
            }
        };
        let mut conn = Conn::new(stream);

        // The device's version and security scheme; security 0 is refused by the parser.
        self.step = Step::Handshake;
        let answer = self
            .post(&mut conn, endpoint::PROTO_VER, PROTO_VER_REQUEST)
            .await?;
        let version = ProtoVersion::parse(&answer).map_err(|e| self.esp(e))?;
        let mut cipher = match (version.scheme, proof) {
            (SecurityScheme::Sec1, EspProof::Pop(pop)) => {
                if pop.is_empty() || version.has_capability("no_pop") {
                    return Err(self.esp(protocol::esp::Error::SecurityZeroRefused));
                }
                let client = Sec1Client::new(pop.expose().as_bytes(), &mut OsRng);
                let answer = self.session(&mut conn, &client.command0()).await?;
                let (verify, command1) = client.on_response0(&answer).map_err(|e| self.esp(e))?;
                let answer = self.session(&mut conn, &command1).await?;
                Cipher::Sec1(verify.on_response1(&answer).map_err(|e| self.esp(e))?)
            }
            (SecurityScheme::Sec2, EspProof::Srp { username, password }) => {
                let client = Sec2Client::new(
                    username.as_bytes(),
                    password.expose().as_bytes(),
                    version.sec_patch_ver,
                    &mut OsRng,
                )
                .map_err(|e| self.esp(e))?;
                let answer = self.session(&mut conn, &client.command0()).await?;
                let (verify, command1) = client.on_response0(&answer).map_err(|e| self.esp(e))?;
                let answer = self.session(&mut conn, &command1).await?;
                Cipher::Sec2(verify.on_response1(&answer).map_err(|e| self.esp(e))?)
            }
            (scheme, _) => {
                return Err(Error::InvalidRequest(format!(
                    "the accessory speaks ESP-IDF security {}; give {}",
                    scheme.sec_ver(),
                    match scheme {
                        SecurityScheme::Sec1 => "--pop-file",
                        _ => "--esp-username and --esp-password-file",
                    }
                )))
            }
        };

        // The peer proved the PoP/verifier: now, and only now, the passphrase.
        self.step = Step::Network;
        let wifi = WifiConfig::new(
            request.network.ssid.as_bytes(),
            request.network.passphrase.expose().as_bytes(),
        )
        .map_err(|e| self.esp(e))?;
        let body = cipher
            .encrypt(&wifi.request().map_err(|e| self.esp(e))?)
            .map_err(|e| self.esp(e))?;
        self.credentials_sent = true;
        let answer = self.post(&mut conn, endpoint::CONFIG, &body).await?;
        let plain = cipher.decrypt(&answer).map_err(|e| self.esp(e))?;
        config::parse_set_response(&plain).map_err(|e| self.esp(e))?;
        let body = cipher
            .encrypt(&config::apply_request())
            .map_err(|e| self.esp(e))?;
        let answer = self.post(&mut conn, endpoint::CONFIG, &body).await?;
        let plain = cipher.decrypt(&answer).map_err(|e| self.esp(e))?;
        config::parse_apply_response(&plain).map_err(|e| self.esp(e))?;

        self.step = Step::Status;
        loop {
            let body = cipher
                .encrypt(&config::status_request())
                .map_err(|e| self.esp(e))?;
            let answer = self.post(&mut conn, endpoint::CONFIG, &body).await?;
            let plain = cipher.decrypt(&answer).map_err(|e| self.esp(e))?;
            match config::parse_status_response(&plain).map_err(|e| self.esp(e))? {
                WifiStatus::Connected(info) => return Ok((version, Some(info.ip.to_string()))),
                WifiStatus::Failed(reason) => {
                    return Err(Error::JoinFailed {
                        ssid: request.network.ssid.clone(),
                        reason: match reason {
                            FailReason::AuthError => Reason::AuthFailed,
                            FailReason::NetworkNotFound => Reason::NetworkNotFound,
                            other => Reason::Other(format!("esp-idf {other:?}")),
                        },
                    })
                }
                _ => {
                    if Instant::now() + POLL >= deadline {
                        return Err(Error::Deadline { step: Step::Status });
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }

    /// A `prov-session` exchange: a device that closes the connection refused our proof.
    async fn session(&mut self, conn: &mut Conn, body: &[u8]) -> Result<Vec<u8>, Error> {
        self.round_trips.http += 1;
        match conn.post(endpoint::SESSION, body).await {
            Ok(answer) => Ok(answer),
            Err(Answer::Closed) => Err(Error::PopRejected {
                sent: true,
                status: 0,
                message: "the device closed the connection during the security handshake \
                          (ESP-IDF's answer to a wrong proof of possession or SRP password)"
                    .into(),
            }),
            Err(other) => Err(other.into_error(self.step)),
        }
    }

    async fn post(&mut self, conn: &mut Conn, ep: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
        self.round_trips.http += 1;
        conn.post(ep, body)
            .await
            .map_err(|a| a.into_error(self.step))
    }
}

/// Why a request got no answer.
enum Answer {
    /// The device closed the connection before answering (ESP-IDF's handler error).
    Closed,
    /// A socket error.
    Io(std::io::Error),
    /// An HTTP status other than 200, or an unreadable answer.
    Http(u16, String),
}

impl Answer {
    fn into_error(self, step: Step) -> Error {
        match self {
            Answer::Closed => Error::ConnectionLost {
                step,
                source: "the device closed the connection without answering".into(),
            },
            Answer::Io(e) => Error::ConnectionLost {
                step,
                source: Box::new(e),
            },
            Answer::Http(status, message) => Error::AccessoryHttp {
                step,
                status,
                code: String::new(),
                message,
            },
        }
    }
}

/// One HTTP/1.1 connection to a protocomm device, keeping its `session` cookie.
struct Conn {
    stream: BufReader<Box<dyn Io>>,
    cookie: Option<String>,
}

impl Conn {
    fn new(stream: Box<dyn Io>) -> Self {
        Conn {
            stream: BufReader::new(stream),
            cookie: None,
        }
    }

    async fn post(&mut self, ep: &str, body: &[u8]) -> Result<Vec<u8>, Answer> {
        let mut head = format!(
            "POST /{ep} HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(c) = &self.cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = zeroize::Zeroizing::new(head.into_bytes());
        bytes.extend_from_slice(body);
        let tcp = self.stream.get_mut();
        tcp.write_all(&bytes).await.map_err(Answer::Io)?;
        tcp.flush().await.map_err(Answer::Io)?;
        let mut line = String::new();
        match self.stream.read_line(&mut line).await {
            Ok(0) => return Err(Answer::Closed),
            Ok(_) => {}
            // A reset, or over TLS a close without close_notify: closed all the same.
            Err(e)
                if crate::connect::is_transient(&e)
                    || e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                return Err(Answer::Closed)
            }
            Err(e) => return Err(Answer::Io(e)),
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                Answer::Http(0, format!("not an HTTP status line: {:?}", line.trim_end()))
            })?;
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if self.stream.read_line(&mut h).await.map_err(Answer::Io)? == 0 {
                return Err(Answer::Closed);
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let Some((name, value)) = h.split_once(':') else {
                continue;
            };
            if name.eq_ignore_ascii_case("content-length") {
                len = value
                    .trim()
                    .parse()
                    .map_err(|_| Answer::Http(status, "bad Content-Length".into()))?;
            } else if name.eq_ignore_ascii_case("set-cookie") {
                let cookie = value.trim().split(';').next().unwrap_or_default();
                self.cookie = Some(cookie.to_owned());
            }
        }
        if len > MAX_ANSWER {
            return Err(Answer::Http(status, format!("an answer of {len} bytes")));
        }
        let mut answer = vec![0u8; len];
        self.stream
            .read_exact(&mut answer)
            .await
            .map_err(Answer::Io)?;
        if status != 200 {
            return Err(Answer::Http(
                status,
                String::from_utf8_lossy(&answer).into_owned(),
            ));
        }
        Ok(answer)
    }
}
