//! The simulated accessory as an ESP-IDF device: protocomm over HTTP (`POST /proto-ver`,
//! `/prov-session`, `/prov-scan`, `/prov-config`, `/prov-ctrl`), plain as on a real ESP32's port 80,
//! or inside TLS with the scenario's certificate profile so the client's trust policy applies.
//!
//! The handshake, the ciphers and the messages are `protocol::esp`; this file is the device around
//! them, written after `protocomm_httpd.c`: a session per `session=<u32>` cookie (or per socket when
//! the client sends none), and on any handler error (a wrong proof of possession, a failed SRP proof,
//! a body that does not decrypt) the socket is closed with no HTTP response. The radio answers from
//! the scenario's networks; the faults `wrong-passphrase` and `network-not-found` force the matching
//! ESP-IDF failure reason, and [`EspOptions::stuck_connecting`] keeps the status at "connecting".

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use protocol::esp::wifi::{config, ctrl::CtrlCommand, scan, CommandStatus};
use protocol::esp::wifi::{
    AccessPoint, ConfigRequest, ConnectedInfo, FailReason, ScanRequest, ScanStatus, WifiConfig,
    WifiStatus,
};
use protocol::esp::{
    endpoint, generate_verifier, DeviceSecurity, DeviceSession, ProtoVersion, SecurityScheme,
    SessionCipher,
};
use rand_core::{OsRng, RngCore};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use zeroize::Zeroizing;

use crate::identity::ServedCert;
use crate::tls::{self, TlsOptions};
use crate::{Error, Fault, Scenario, HEADER_READ_TIMEOUT};

/// The largest body protocomm_httpd accepts (`PROTOCOMM_HTTPD_MAX_BODY`-like cap, 4 KiB).
const MAX_BODY: usize = 4096;
/// The longest request head this device reads.
const MAX_HEAD: u64 = 8192;

/// How the device's endpoints are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EspTransport {
    /// Plain HTTP, as ESP-IDF's `protocomm_httpd` on port 80: no certificate at all.
    Http,
    /// HTTPS with the scenario's certificate profile.
    Https,
}

impl EspTransport {
    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            EspTransport::Http => "http",
            EspTransport::Https => "https",
        }
    }
}

impl FromStr for EspTransport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "http" => Ok(EspTransport::Http),
            "https" => Ok(EspTransport::Https),
            other => Err(format!("unknown transport `{other}` (http, https)")),
        }
    }
}

/// The device's proof-of-possession secret, by security scheme. There is no security 0.
#[derive(Debug, Clone)]
pub enum EspAuth {
    /// Security 1: the proof of possession printed on the device (empty: `no_pop`).
    Sec1 {
        /// The PoP code.
        pop: Zeroizing<String>,
    },
    /// Security 2: SRP6a; the device keeps only a salt and verifier made from these.
    Sec2 {
        /// The SRP username.
        username: String,
        /// The SRP password (the device forgets it once the verifier is made).
        password: Zeroizing<String>,
    },
}

impl EspAuth {
    /// Security 1 with `pop` (empty: no PoP).
    pub fn sec1(pop: &str) -> Self {
        EspAuth::Sec1 {
            pop: Zeroizing::new(pop.to_owned()),
        }
    }

    /// Security 2 with `username` and `password`.
    pub fn sec2(username: &str, password: &str) -> Self {
        EspAuth::Sec2 {
            username: username.to_owned(),
            password: Zeroizing::new(password.to_owned()),
        }
    }
}

/// What makes a simulated accessory an ESP-IDF device.
#[derive(Debug, Clone)]
pub struct EspOptions {
    /// Security 1 or 2 and its secret.
    pub auth: EspAuth,
    /// HTTP or HTTPS.
    pub transport: EspTransport,
    /// After `apply`, report "connecting" forever.
    pub stuck_connecting: bool,
}

/// Starts ESP-IDF simulated accessories.
#[derive(Debug)]
pub struct EspSimulator;

/// A running ESP-IDF simulated accessory; stops when dropped or shut down.
#[derive(Debug)]
pub struct RunningEsp {
    addr: SocketAddr,
    scenario: Scenario,
    transport: EspTransport,
    security: u8,
    identity: Option<ServedCert>,
    device: Arc<Mutex<Device>>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl EspSimulator {
    /// Serves `scenario` as an ESP-IDF device on `listen` (port 0 picks a free port). Faults other
    /// than the certificate profile's, `wrong-passphrase` and `network-not-found` are refused: they
    /// belong to the accessory API's server.
    pub async fn start(
        scenario: Scenario,
        listen: SocketAddr,
        options: EspOptions,
    ) -> Result<RunningEsp, Error> {
        scenario.validate()?;
        let mut forced = None;
        for fault in &scenario.faults {
            match fault {
                Fault::Certificate(_) => {}
                Fault::WrongPassphrase => forced = Some(FailReason::AuthError),
                Fault::NetworkNotFound => forced = Some(FailReason::NetworkNotFound),
                other => {
                    return Err(Error::InvalidScenario(format!(
                        "fault `{other}` is not simulated on an ESP-IDF device"
                    )))
                }
            }
        }
        let (security, version) = match &options.auth {
            EspAuth::Sec1 { pop } => {
                let mut version = ProtoVersion::wifi_provisioning(SecurityScheme::Sec1, 0);
                if pop.is_empty() {
                    version.capabilities.insert(0, "no_pop".into());
                }
                let security = DeviceSecurity::Sec1 {
                    pop: pop.as_bytes().to_vec(),
                };
                (security, version)
            }
            EspAuth::Sec2 { username, password } => {
                let verifier =
                    generate_verifier(username.as_bytes(), password.as_bytes(), &mut OsRng)
                        .map_err(|e| Error::InvalidScenario(format!("security 2: {e}")))?;
                let security = DeviceSecurity::Sec2 {
                    verifier,
                    sec_patch_ver: 1,
                };
                (
                    security,
                    ProtoVersion::wifi_provisioning(SecurityScheme::Sec2, 1),
                )
            }
        };
        let identity = match options.transport {
            EspTransport::Http => None,
            EspTransport::Https => Some(ServedCert::generate(
                scenario.effective_profile(),
                &scenario.id,
                false,
                None,
            )?),
        };
        let acceptor = match &identity {
            Some(id) => Some(TlsAcceptor::from(tls::server_config(
                Arc::clone(&id.certified_key),
                &TlsOptions::default(),
            )?)),
            None => None,
        };
        let scheme = security.scheme().sec_ver();
        let device = Arc::new(Mutex::new(Device {
            security,
            version,
            networks: scenario.networks.clone(),
            connect_delay: Duration::from_millis(scenario.timings.connect_delay_ms),
            forced,
            stuck: options.stuck_connecting,
            session: None,
            connections: 0,
            radio: Radio::default(),
            credentials_received: 0,
            closed_with: Vec::new(),
        }));
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|io| Error::Bind { addr: listen, io })?;
        let addr = listener
            .local_addr()
            .map_err(|io| Error::Bind { addr: listen, io })?;
        let (shutdown, mut shutdown_rx) = watch::channel(false);
        let accept_device = Arc::clone(&device);
        let task = tokio::spawn(async move {
            loop {
                let (tcp, _) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(_) => continue,
                    },
                    _ = shutdown_rx.changed() => return,
                };
                let device = Arc::clone(&accept_device);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        None => serve(device, tcp).await,
                        Some(acceptor) => {
                            if let Ok(Ok(tls)) =
                                tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(tcp))
                                    .await
                            {
                                serve(device, tls).await;
                            }
                        }
                    }
                });
            }
        });
        tracing::info!(device = %scenario.id, %addr, transport = options.transport.name(), security = scheme, "ESP-IDF accessory serving");
        Ok(RunningEsp {
            addr,
            scenario,
            transport: options.transport,
            security: scheme,
            identity,
            device,
            shutdown,
            task: Some(task),
        })
    }
}

impl RunningEsp {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The scenario it serves.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// HTTP or HTTPS.
    pub fn transport(&self) -> EspTransport {
        self.transport
    }

    /// 1 or 2.
    pub fn security(&self) -> u8 {
        self.security
    }

    /// The anchors of the served certificate (HTTPS only).
    pub fn anchors_pem(&self) -> Option<String> {
        self.identity.as_ref().map(ServedCert::anchors_pem)
    }

    /// The pin of the served key (HTTPS only).
    pub fn pin(&self) -> Option<trust::Pin> {
        self.identity.as_ref().map(|i| i.pin)
    }

    /// How many `set_config` commands carrying a passphrase the device decrypted.
    pub fn credentials_received(&self) -> usize {
        self.lock().credentials_received
    }

    /// Why the device closed connections without answering (one line per close, oldest first).
    pub fn closed_with(&self) -> Vec<String> {
        self.lock().closed_with.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Device> {
        self.device.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops accepting and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEsp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The radio: the last applied configuration and when it was applied.
#[derive(Debug, Default)]
struct Radio {
    pending: Option<WifiConfig>,
    applied: Option<(WifiConfig, Instant)>,
    outcome: Option<WifiStatus>,
}

#[derive(Debug)]
struct Device {
    security: DeviceSecurity,
    version: ProtoVersion,
    networks: Vec<crate::Network>,
    connect_delay: Duration,
    forced: Option<FailReason>,
    stuck: bool,
    /// The current session, its cookie, and the connection that opened it.
    session: Option<(u32, u64, DeviceSession)>,
    connections: u64,
    radio: Radio,
    credentials_received: usize,
    closed_with: Vec<String>,
}

fn auth_mode(security: protocol::Security) -> i32 {
    // wifi_constants.proto WifiAuthMode: Open 0, WPA2_PSK 3, WPA3_PSK 6, WPA2_WPA3_PSK 7.
    match security {
        protocol::Security::Open => 0,
        protocol::Security::Wpa2Psk => 3,
        protocol::Security::Wpa3Sae => 6,
        protocol::Security::Wpa2Wpa3 => 7,
    }
}

impl Device {
    fn access_points(&self) -> Vec<AccessPoint> {
        self.networks
            .iter()
            .filter(|n| !n.hidden)
            .enumerate()
            .map(|(i, n)| AccessPoint {
                ssid: n.ssid.as_bytes().to_vec(),
                channel: n.channel,
                rssi: n.rssi,
                bssid: vec![0x02, 0, 0, 0, 0, i as u8 + 1],
                auth: auth_mode(n.security),
            })
            .collect()
    }

    fn status(&mut self) -> WifiStatus {
        let Some((applied, at)) = &self.radio.applied else {
            return WifiStatus::Disconnected;
        };
        if let Some(outcome) = &self.radio.outcome {
            return outcome.clone();
        }
        if self.stuck || at.elapsed() < self.connect_delay {
            return WifiStatus::Connecting {
                attempts_remaining: None,
            };
        }
        let network = self
            .networks
            .iter()
            .find(|n| n.ssid.as_bytes() == applied.ssid.as_slice());
        let outcome = match (self.forced, network) {
            (Some(reason), _) => WifiStatus::Failed(reason),
            (None, None) => WifiStatus::Failed(FailReason::NetworkNotFound),
            (None, Some(n))
                if n.passphrase.as_deref().unwrap_or("").as_bytes()
                    != applied.passphrase.as_slice() =>
            {
                WifiStatus::Failed(FailReason::AuthError)
            }
            (None, Some(n)) => WifiStatus::Connected(ConnectedInfo {
                ip: [192, 168, 1, 50].into(),
                ssid: applied.ssid.clone(),
                bssid: vec![0x02, 0, 0, 0, 0, 1],
                channel: n.channel as i32,
                auth_mode: auth_mode(n.security),
            }),
        };
        self.radio.outcome = Some(outcome.clone());
        outcome
    }

    /// One request on an established (or establishing) session; `Err` closes the socket.
    fn dispatch(&mut self, ep: &str, body: &[u8]) -> Result<Vec<u8>, protocol::esp::Error> {
        if ep == endpoint::PROTO_VER {
            return Ok(self.version.to_device_json());
        }
        let aps = self.access_points();
        let Some((_, _, session)) = self.session.as_mut() else {
            return Err(protocol::esp::Error::NoSession);
        };
        if ep == endpoint::SESSION {
            return session.handle_session(body, &mut OsRng);
        }
        let plain = session.decrypt(body)?;
        let out = match ep {
            endpoint::CONFIG => match ConfigRequest::parse(&plain)? {
                ConfigRequest::SetConfig(cmd) => match WifiConfig::from_command(&cmd) {
                    Ok(c) => {
                        if !c.passphrase.is_empty() {
                            self.credentials_received += 1;
                        }
                        self.radio.pending = Some(c);
                        config::set_response(CommandStatus::Success)
                    }
                    Err(_) => config::set_response(CommandStatus::InvalidArgument),
                },
                ConfigRequest::ApplyConfig => match self.radio.pending.take() {
                    Some(c) => {
                        self.radio = Radio {
                            applied: Some((c, Instant::now())),
                            ..Radio::default()
                        };
                        config::apply_response(CommandStatus::Success)
                    }
                    None => config::apply_response(CommandStatus::InternalError),
                },
                ConfigRequest::GetStatus => config::status_response(&self.status()),
                _ => return Err(protocol::esp::Error::OutOfOrder),
            },
            endpoint::SCAN => match ScanRequest::parse(&plain)? {
                ScanRequest::Start(_) => scan::start_response(CommandStatus::Success),
                ScanRequest::Status => scan::status_response(ScanStatus {
                    finished: true,
                    result_count: aps.len() as u32,
                }),
                ScanRequest::Result { start_index, count } => {
                    scan::result_response(&aps, start_index, count)
                }
                _ => return Err(protocol::esp::Error::OutOfOrder),
            },
            _ => {
                let cmd = CtrlCommand::parse_request(&plain)?;
                let ok = match (cmd, &self.radio.outcome) {
                    (CtrlCommand::Reset, Some(WifiStatus::Failed(_)))
                    | (CtrlCommand::Reprov, Some(WifiStatus::Connected(_))) => {
                        self.radio = Radio::default();
                        CommandStatus::Success
                    }
                    _ => CommandStatus::InternalError,
                };
                cmd.response(ok)
            }
        };
        let Some((_, _, session)) = self.session.as_mut() else {
            return Err(protocol::esp::Error::NoSession);
        };
        session.encrypt(&out)
    }

    /// `protocomm_httpd.c:56-113`: the same cookie (or no cookie on the socket that opened the
    /// session) keeps the session; anything else opens a new one. Returns the new cookie.
    fn session_for(&mut self, cookie: Option<&str>, conn: u64) -> Option<u32> {
        let same = match (&self.session, cookie) {
            (Some((id, _, _)), Some(c)) => c == format!("session={id}"),
            (Some((_, opened_on, _)), None) => *opened_on == conn,
            (None, _) => false,
        };
        if same {
            return None;
        }
        let id = OsRng.next_u32();
        self.session = Some((id, conn, DeviceSession::new(&self.security)));
        Some(id)
    }
}

/// A request head: the path, the body length and the cookie.
struct Head {
    path: String,
    len: usize,
    cookie: Option<String>,
}

async fn read_head<S: AsyncRead + Unpin>(reader: &mut BufReader<S>) -> Option<Head> {
    let mut limited = (&mut *reader).take(MAX_HEAD);
    let mut line = String::new();
    if limited.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_owned();
    let (mut len, mut cookie) = (0usize, None);
    loop {
        let mut h = String::new();
        if limited.read_line(&mut h).await.ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            return Some(Head { path, len, cookie });
        }
        let (name, value) = h.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            len = value.trim().parse().ok()?;
        } else if name.eq_ignore_ascii_case("cookie") {
            cookie = Some(value.trim().to_owned());
        }
    }
}

/// Serves one connection until the peer leaves or a handler fails (then: close, no response).
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(device: Arc<Mutex<Device>>, stream: S) {
    let conn = {
        let mut d = device.lock().unwrap_or_else(PoisonError::into_inner);
        d.connections += 1;
        d.connections
    };
    let mut reader = BufReader::new(stream);
    loop {
        let Ok(Some(head)) =
            tokio::time::timeout(HEADER_READ_TIMEOUT, read_head(&mut reader)).await
        else {
            return;
        };
        if head.len > MAX_BODY {
            return;
        }
        let mut body = vec![0u8; head.len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let ep = head.path.trim_start_matches('/');
        let known = [
            endpoint::PROTO_VER,
            endpoint::SESSION,
            endpoint::CONFIG,
            endpoint::SCAN,
            endpoint::CTRL,
        ];
        let response = if !known.contains(&ep) {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
        } else {
            let mut d = device.lock().unwrap_or_else(PoisonError::into_inner);
            let set_cookie = d.session_for(head.cookie.as_deref(), conn);
            let result = if body.is_empty() {
                Err(protocol::esp::Error::InvalidField {
                    field: "body",
                    reason: "must be 1 to 4096 bytes",
                })
            } else {
                d.dispatch(ep, &body)
            };
            match result {
                Ok(out) => {
                    let mut head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n",
                        out.len()
                    );
                    if let Some(id) = set_cookie {
                        head.push_str(&format!("Set-Cookie: session={id}\r\n"));
                    }
                    head.push_str("\r\n");
                    let mut bytes = head.into_bytes();
                    bytes.extend_from_slice(&out);
                    bytes
                }
                Err(e) => {
                    // ESP-IDF: a handler error closes the socket without a response, and the
                    // session it belonged to is gone.
                    tracing::info!(endpoint = ep, error = %e, "ESP-IDF device closes the connection");
                    d.closed_with.push(format!("{ep}: {e}"));
                    d.session = None;
                    return;
                }
            }
        };
        let stream = reader.get_mut();
        if stream.write_all(&response).await.is_err() || stream.flush().await.is_err() {
            return;
        }
    }
}
