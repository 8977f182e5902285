//! The simulated accessory as a running server: accept, apply the TLS faults, hand the session to
//! the API.
//!
//! Each TCP connection goes through the faults that act below TLS first (stall, an alert at accept,
//! the ClientHello limit, an alert instead of the ServerHello), then, byte-dripped if asked, through
//! rustls, then through hyper's HTTP/1.1 with a bounded header read time. A supervisor task owns
//! the listener so that `reboot-after-apply` can drop it and every connection, and bind again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::admission::{Admission, RepeatedLog};
use crate::alert::Alert;
use crate::api::{self, Api, ChannelBinding};
use crate::client_auth::{self, ClientCredentials};
use crate::clienthello::{read_first_record, Replay};
use crate::device::{Device, Forced};
use crate::drip::Drip;
use crate::error::Error;
use crate::fault::{AlertPoint, ClientCertRefusal, Fault, FaultKind, LimitAnswer};
use crate::identity::ServedCert;
use crate::in_content::{InContentLimit, Overhead};
use crate::record::RequestRecord;
use crate::scenario::Scenario;
use crate::tls::{self, TlsOptions};

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most hyper buffers for one connection's reads (its minimum is 8 KiB).
const MAX_READ_BUFFER: usize = 16 * 1024;
/// How long a rebooting accessory lets the answer that asked for the reboot go out.
const REBOOT_GRACE: Duration = Duration::from_millis(150);

/// Starts simulated accessories.
#[derive(Debug)]
pub struct Simulator;

/// The faults that act on the connection below HTTP, resolved once per accessory.
#[derive(Debug, Default, Clone)]
struct Wire {
    stall: bool,
    alert_at_accept: Option<Alert>,
    alert_at_hello: Option<Alert>,
    alert_after_handshake: Option<Alert>,
    /// `require-client-cert`: a handshake that ends without a client certificate is refused with
    /// an encrypted `bad_certificate` before any request is read.
    refuse_without_client_cert: bool,
    /// `require-client-cert=mbedtls`: a handshake without a client certificate is answered as
    /// mbedTLS does (TLS 1.2: closed, no alert; TLS 1.3: `no_certificate`).
    mbedtls_without_client_cert: bool,
    limit: Option<(usize, LimitAnswer)>,
    /// `single-read`: the ClientHello is read with one read() of this many bytes, and a record
    /// that read did not complete is answered with a reset.
    single_read: Option<usize>,
    /// `in-content-len`: a record with more plaintext than this ends the connection, no alert.
    in_content_len: Option<usize>,
    drip: Duration,
}

struct Inner {
    scenario: Scenario,
    identity: ServedCert,
    client: Option<ClientCredentials>,
    wire: Wire,
    acceptor: TlsAcceptor,
    api: Arc<Api>,
    admission: Arc<Admission>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("device", &self.scenario.id)
            .field("profile", &self.identity.profile)
            .finish_non_exhaustive()
    }
}

/// A simulated accessory, serving until [`RunningSim::shutdown`] (or drop).
#[derive(Debug)]
pub struct RunningSim {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Mints the scenario's certificate and serves it on `listen` (port 0 picks a free port).
    pub async fn start(scenario: Scenario, listen: SocketAddr) -> Result<RunningSim, Error> {
        scenario.validate()?;
        let identity = ServedCert::generate(
            scenario.effective_profile(),
            &scenario.id,
            scenario.has(FaultKind::WrongKey),
            None,
        )?;
        Self::start_with_identity(scenario, listen, identity).await
    }

    /// Serves the certificate and key `certs mint` wrote into `dir` instead of a profile's: a unit
    /// off the manufacturing line, whose label names that key.
    pub async fn start_minted(
        scenario: Scenario,
        listen: SocketAddr,
        dir: &std::path::Path,
    ) -> Result<RunningSim, Error> {
        scenario.validate()?;
        Self::start_with_identity(scenario, listen, ServedCert::minted(dir)?).await
    }

    pub(crate) async fn start_with_identity(
        scenario: Scenario,
        listen: SocketAddr,
        identity: ServedCert,
    ) -> Result<RunningSim, Error> {
        let mut wire = Wire::default();
        let mut forced = Forced::default();
        let mut options = TlsOptions::default();
        let mut client = None;
        let (mut http_500, mut malformed_json) = (false, false);
        let (mut slow_status, mut reboot_after_apply) = (None, None);
        for fault in &scenario.faults {
            match fault {
                Fault::Certificate(_) | Fault::WrongKey => {} // in the identity
                Fault::Tls12Only => options.tls12_only = true,
                Fault::ClientHelloLimit { max, answer } => wire.limit = Some((*max, *answer)),
                Fault::SingleRead { buffer } => wire.single_read = Some(*buffer),
                Fault::InContentLen { max } => wire.in_content_len = Some(*max),
                Fault::Alert { alert, point } => match point {
                    AlertPoint::Accept => wire.alert_at_accept = Some(*alert),
                    AlertPoint::Hello => wire.alert_at_hello = Some(*alert),
                    AlertPoint::Handshake => {
                        wire.alert_after_handshake = Some(*alert);
                        options.secret_extraction = true;
                    }
                },
                Fault::RequireClientCert { refusal } => {
                    let roots = match &scenario.client_ca {
                        Some(path) => client_auth::load_roots(path)?,
                        None => {
                            let minted = client_auth::mint()?;
                            let roots = vec![minted.ca_der.clone()];
                            client = Some(minted);
                            roots
                        }
                    };
                    options.client_roots = Some(roots);
                    options.client_refusal = *refusal;
                    if *refusal == ClientCertRefusal::Mbedtls {
                        wire.mbedtls_without_client_cert = true;
                        options.secret_extraction = true;
                    }
                    if *refusal == ClientCertRefusal::BadCertificate {
                        wire.refuse_without_client_cert = true;
                        options.secret_extraction = true;
                    }
                }
                Fault::Stall => wire.stall = true,
                Fault::Drip { per_byte } => wire.drip = *per_byte,
                Fault::WrongPassphrase => forced.wrong_passphrase = true,
                Fault::NetworkNotFound => forced.network_not_found = true,
                Fault::RebootAfterApply { down } => reboot_after_apply = Some(*down),
                Fault::Http500 => http_500 = true,
                Fault::MalformedJson => malformed_json = true,
                Fault::SlowStatus { delay } => slow_status = Some(*delay),
            }
        }
        let config = tls::server_config(Arc::clone(&identity.certified_key), &options)?;
        let device = Arc::new(Device::new(
            scenario.networks.clone(),
            Duration::from_millis(scenario.timings.connect_delay_ms),
            forced,
        ));
        let (reboot_tx, reboot_rx) = mpsc::unbounded_channel();
        let api = Arc::new(Api {
            device_id: scenario.id.clone(),
            model: scenario.model.clone(),
            firmware: scenario.firmware.clone(),
            pop_code: scenario.pop_code.clone(),
            device,
            log: Default::default(),
            http_500,
            malformed_json,
            slow_status,
            reboot_after_apply,
            reboot: reboot_tx,
            profile: scenario
                .api_profile
                .clone()
                .map(|p| p as Arc<dyn crate::api::ProfileRoutes>),
        });
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|io| Error::Bind { addr: listen, io })?;
        let addr = listener
            .local_addr()
            .map_err(|io| Error::Bind { addr: listen, io })?;
        let scenario_max_connections = scenario.max_connections;
        let inner = Arc::new(Inner {
            scenario,
            identity,
            client,
            wire,
            acceptor: TlsAcceptor::from(config),
            api,
            admission: Admission::new(
                scenario_max_connections.unwrap_or_else(crate::admission::default_max_connections),
            ),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(supervise(
            Arc::clone(&inner),
            listener,
            addr,
            shutdown_rx,
            reboot_rx,
        ));
        tracing::info!(device = %inner.scenario.id, %addr, profile = %inner.identity.profile, "accessory serving");
        Ok(RunningSim {
            inner,
            addr,
            shutdown,
            task: Some(task),
        })
    }
}

impl RunningSim {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The device id (label, certificate).
    pub fn device_id(&self) -> &str {
        &self.inner.scenario.id
    }

    /// The scenario it serves.
    pub fn scenario(&self) -> &Scenario {
        &self.inner.scenario
    }

    /// The certificate profile served.
    pub fn profile(&self) -> &str {
        &self.inner.identity.profile
    }

    /// The SPKI pin an administrator recorded for this accessory (for `key-rotated`, the old
    /// key's pin).
    pub fn pin(&self) -> trust::Pin {
        self.inner.identity.pin
    }

    /// The trust anchors an administrator distributes for it (the manufacturer root, or the
    /// self-signed leaf), as PEM.
    pub fn anchors_pem(&self) -> String {
        self.inner.identity.anchors_pem()
    }

    /// The chain it serves, leaf first, as PEM.
    pub fn chain_pem(&self) -> String {
        self.inner.identity.chain_pem()
    }

    /// The served private key as PEM (test material, for serving the same identity from another
    /// server in a benchmark); `None` for `wrong-key`.
    pub fn key_pem(&self) -> Option<&str> {
        self.inner.identity.key_pem.as_deref()
    }

    /// For `require-client-cert` without a configured CA: the client CA and a certificate a
    /// tester can present.
    pub fn client_credentials(&self) -> Option<&ClientCredentials> {
        self.inner.client.as_ref()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.api.log.snapshot()
    }

    /// Whether any request so far carried a Wi-Fi credential.
    pub fn received_credential(&self) -> bool {
        self.requests().iter().any(|r| r.carried_credential)
    }

    /// The accessory's Wi-Fi state now.
    pub fn status(&self) -> protocol::api::Status {
        self.inner.api.device.status()
    }

    /// Stops accepting, drops every connection, and waits until the listener is closed.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn supervise(
    inner: Arc<Inner>,
    mut listener: TcpListener,
    addr: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
    mut reboots: mpsc::UnboundedReceiver<Duration>,
) {
    let (mut full_log, mut accept_log) = (RepeatedLog::new(), RepeatedLog::new());
    loop {
        // Connections hold a receiver; dropping `alive` ends them all (a reboot).
        let (alive, _) = watch::channel(());
        let down = loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                Some(down) = reboots.recv() => break down,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let Some(ticket) = inner.admission.admit() else {
                            if let Some(more) = full_log.tick(Instant::now()) {
                                tracing::warn!(%addr, %peer, "connection limit reached and every connection has been served: closing the new one ({more} more since the last line)");
                            }
                            drop(tcp);
                            continue;
                        };
                        let inner = Arc::clone(&inner);
                        let mut alive = alive.subscribe();
                        let mut shutdown = shutdown.clone();
                        tokio::spawn(async move {
                            let served = ticket.served_flag();
                            tokio::select! {
                                _ = connection(inner, tcp, peer, served) => {}
                                _ = ticket.shed() => {
                                    tracing::debug!(%peer, "shed: no request yet and the accessory is full");
                                }
                                _ = alive.changed() => {}
                                _ = shutdown.changed() => {}
                            }
                        });
                    }
                    Err(e) => {
                        // Out of descriptors or similar: free one idle connection's, or back off
                        // rather than spin.
                        let shed = inner.admission.shed_one();
                        if let Some(more) = accept_log.tick(Instant::now()) {
                            tracing::warn!(%addr, "accept failed: {e} ({more} more since the last line; shedding an idle connection: {shed})");
                        }
                        let pause = if shed { 2 } else { 50 };
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                    }
                },
            }
        };
        tokio::time::sleep(REBOOT_GRACE).await;
        drop(listener);
        drop(alive);
        while reboots.try_recv().is_ok() {}
        tracing::info!(device = %inner.scenario.id, "rebooting: down for {down:?}");
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(down) => {}
        }
        listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(e) => {
                    tracing::warn!(%addr, "rebinding after reboot failed: {e}");
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        };
        tracing::info!(device = %inner.scenario.id, %addr, "back after reboot");
    }
}

async fn connection(
    inner: Arc<Inner>,
    mut tcp: TcpStream,
    peer: SocketAddr,
    served: Arc<AtomicBool>,
) {
    let wire = &inner.wire;
    let _ = tcp.set_nodelay(true);
    if wire.stall {
        tracing::debug!(%peer, "stall: holding the connection without answering");
        return hold(tcp).await;
    }
    if let Some(alert) = wire.alert_at_accept {
        return refuse_with_alert(tcp, alert).await;
    }
    let mut prefix = Vec::new();
    if let Some(buffer) = wire.single_read {
        let mut first = vec![0u8; buffer];
        let n = match tokio::time::timeout(HANDSHAKE_TIMEOUT, tcp.read(&mut first)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        first.truncate(n);
        let complete = first.len() >= 5
            && (first[0] != 22
                || first.len() >= 5 + usize::from(u16::from_be_bytes([first[3], first[4]]))
                    && 5 + usize::from(u16::from_be_bytes([first[3], first[4]])) <= buffer);
        if !complete {
            tracing::info!(%peer, read = n, "single-read: the first read did not hold the whole ClientHello");
            return reset(tcp);
        }
        prefix = first;
    }
    if wire.limit.is_some() || wire.alert_at_hello.is_some() {
        // After a single read the whole record is already in `prefix`.
        let read = async {
            if prefix.is_empty() {
                read_first_record(&mut tcp).await
            } else {
                read_first_record(&mut &prefix[..]).await
            }
        };
        let record = match tokio::time::timeout(HANDSHAKE_TIMEOUT, read).await {
            Ok(Ok(record)) => record,
            _ => return,
        };
        if let Some((max, answer)) = wire.limit {
            if record.len() > max {
                tracing::info!(%peer, size = record.len(), max, "ClientHello over the limit");
                return match answer {
                    LimitAnswer::Alert(alert) => refuse_with_alert(tcp, alert).await,
                    LimitAnswer::Reset => reset(tcp),
                    LimitAnswer::Close => send_and_close(tcp, &[]).await,
                };
            }
        }
        if let Some(alert) = wire.alert_at_hello {
            return refuse_with_alert(tcp, alert).await;
        }
        if prefix.is_empty() {
            prefix = record;
        }
    }
    // `require-client-cert=mbedtls` in TLS 1.2: closed before Finished when the client's
    // Certificate is empty, as mbedTLS does (`personality::NoCertTripwire`).
    let io = crate::personality::NoCertTripwire::new(
        Replay::new(prefix, Drip::new(tcp, wire.drip)),
        wire.mbedtls_without_client_cert,
    );
    let overhead = Overhead::new();
    let io = InContentLimit::new(io, wire.in_content_len, overhead.clone());
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, inner.acceptor.accept(io)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::info!(%peer, "TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake timed out");
            return;
        }
    };
    overhead.learn(tls.get_ref().1);
    let no_client_cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .is_none_or(|chain| chain.is_empty());
    let alert = match wire.alert_after_handshake {
        Some(alert) => Some(alert),
        None if wire.mbedtls_without_client_cert && no_client_cert => {
            tracing::info!(%peer, "no client certificate: no_certificate (mbedTLS, TLS 1.3)");
            Some(Alert::NO_CERTIFICATE)
        }
        None if wire.refuse_without_client_cert
            && tls
                .get_ref()
                .1
                .peer_certificates()
                .is_none_or(|chain| chain.is_empty()) =>
        {
            tracing::info!(%peer, "no client certificate: refused with bad_certificate");
            Some(Alert::BAD_CERTIFICATE)
        }
        None => None,
    };
    if let Some(alert) = alert {
        let (io, conn) = tls.into_inner();
        let version = conn.protocol_version();
        return match (version, conn.dangerous_extract_secrets()) {
            (Some(version), Ok(secrets)) => {
                let (seq, keys) = &secrets.tx;
                match crate::alert::sealed_record(version, *seq, keys, alert) {
                    Some(record) => send_and_close(io, &record).await,
                    None => tracing::warn!(%peer, "cannot seal an alert for this cipher suite"),
                }
            }
            _ => tracing::warn!(%peer, "the traffic secrets are not extractable"),
        };
    }
    let exporter = tls
        .get_ref()
        .1
        .export_keying_material(
            [0u8; protocol::pop::EXPORTER_LEN],
            protocol::pop::EXPORTER_LABEL,
            None,
        )
        .ok();
    let session = Arc::new(ChannelBinding { exporter });
    let api = Arc::clone(&inner.api);
    let service = service_fn(move |req| {
        // A request arrived: no longer the first to be shed.
        served.store(true, Ordering::Relaxed);
        api::handle(Arc::clone(&api), Arc::clone(&session), req)
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(
            inner.scenario.timings.header_read_timeout_ms,
        ))
        .keep_alive(true)
        // Per-connection memory is bounded: requests are small (headers and a JSON body of at
        // most MAX_BODY, streamed through this buffer), so hyper's read buffer stays at 16 KiB
        // (hyper's own default allows ~400 KiB).
        .max_buf_size(MAX_READ_BUFFER);
    if let Err(e) = http.serve_connection(TokioIo::new(tls), service).await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// Reads and discards until the client gives up; never writes.
async fn hold(mut tcp: TcpStream) {
    let mut sink = [0u8; 4096];
    while let Ok(n) = tcp.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// Sends a plaintext fatal alert and closes, the way a small stack refuses a handshake.
async fn refuse_with_alert(tcp: TcpStream, alert: Alert) {
    send_and_close(tcp, &alert.plaintext_record()).await
}

/// Sends `bytes`, closes the sending side, and drains what the client still sends.
async fn send_and_close<S: AsyncRead + AsyncWrite + Unpin>(mut tcp: S, bytes: &[u8]) {
    let _ = tcp.write_all(bytes).await;
    let _ = tcp.flush().await;
    let _ = tcp.shutdown().await;
    // Drain what the client still sends: closing with unread data would turn into a reset that
    // can overtake the alert on the client's side.
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(n) = tcp.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// Closes with a TCP reset (SO_LINGER 0).
fn reset(tcp: TcpStream) {
    let _ = tcp.set_zero_linger();
    drop(tcp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    /// A plain rustls client trusting the accessory's anchors; one request per connection.
    async fn request(sim: &RunningSim, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(sim.anchors_pem().as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(sim.addr()).await.unwrap();
        let name = ServerName::try_from(format!("{}.accessory.local", sim.device_id())).unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        tls.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text[9..12].parse().unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
    }

    /// One `GET /v1/device` with a rustls client of the given version, presenting `client` (PEM
    /// chain and key) if any; the body, or the TLS error the client saw.
    async fn get_device_with_client_cert(
        sim: &RunningSim,
        version: &'static rustls::SupportedProtocolVersion,
        client: Option<&ClientCredentials>,
    ) -> Result<String, rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(sim.anchors_pem().as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots);
        let config = match client {
            None => builder.with_no_client_auth(),
            Some(c) => {
                let chain = CertificateDer::pem_slice_iter(c.cert_pem.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap();
                let key =
                    rustls_pki_types::PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).unwrap();
                builder.with_client_auth_cert(chain, key).unwrap()
            }
        };
        let as_tls = |e: std::io::Error| match e.get_ref().and_then(|i| i.downcast_ref()) {
            Some(tls) => rustls::Error::clone(tls),
            None => panic!("not a TLS error: {e}"),
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(sim.addr()).await.unwrap();
        let name = ServerName::try_from(format!("{}.accessory.local", sim.device_id())).unwrap();
        let mut tls = connector.connect(name, tcp).await.map_err(as_tls)?;
        let req = "GET /v1/device HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
        tls.write_all(req.as_bytes()).await.map_err(as_tls)?;
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await.map_err(as_tls)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    #[tokio::test]
    async fn require_client_cert_answers_a_missing_or_unknown_certificate_with_bad_certificate() {
        let sim = Simulator::start(
            Scenario::good("SIM-MTLS").with_fault("require-client-cert".parse().unwrap()),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let valid = sim.client_credentials().unwrap().clone();
        let stranger = client_auth::mint().unwrap();
        let bad_certificate =
            rustls::Error::AlertReceived(rustls::AlertDescription::BadCertificate);
        for (served_before, version) in [&rustls::version::TLS13, &rustls::version::TLS12]
            .into_iter()
            .enumerate()
        {
            let missing = get_device_with_client_cert(&sim, version, None).await;
            assert_eq!(missing.unwrap_err(), bad_certificate, "{version:?}");
            let unknown = get_device_with_client_cert(&sim, version, Some(&stranger)).await;
            assert_eq!(unknown.unwrap_err(), bad_certificate, "{version:?}");
            assert_eq!(
                sim.requests().len(),
                served_before,
                "served without a valid certificate"
            );
            let served = get_device_with_client_cert(&sim, version, Some(&valid)).await;
            assert!(served.unwrap().contains("SIM-MTLS"), "{version:?}");
        }
        assert_eq!(sim.requests().len(), 2);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn require_client_cert_stock_keeps_the_alerts_rustls_chooses() {
        let sim = Simulator::start(
            Scenario::good("SIM-MTLS").with_fault("require-client-cert=stock".parse().unwrap()),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let missing = get_device_with_client_cert(&sim, &rustls::version::TLS13, None).await;
        assert_eq!(
            missing.unwrap_err(),
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired)
        );
        let stranger = client_auth::mint().unwrap();
        let unknown =
            get_device_with_client_cert(&sim, &rustls::version::TLS13, Some(&stranger)).await;
        assert_ne!(
            unknown.unwrap_err(),
            rustls::Error::AlertReceived(rustls::AlertDescription::BadCertificate)
        );
        assert!(sim.requests().is_empty());
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn a_good_accessory_joins_the_home_network_with_the_right_passphrase() {
        let sim = Simulator::start(
            Scenario::good("SIM-1").with_connect_delay_ms(50),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let (s, b) = request(&sim, "GET", "/v1/device", "").await;
        assert_eq!(s, 200);
        assert!(b.contains("\"device_id\":\"SIM-1\""), "{b}");
        let (s, _) = request(
            &sim,
            "PUT",
            "/v1/network",
            r#"{"ssid":"Home","passphrase":"correct horse battery","apply":true}"#,
        )
        .await;
        assert_eq!(s, 204);
        let (s, b) = request(&sim, "GET", "/v1/status?wait=5", "").await;
        assert_eq!(s, 200);
        assert!(b.contains("\"state\":\"connected\""), "{b}");
        assert!(sim.received_credential());
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn a_wrong_passphrase_fails_with_auth_failed() {
        let sim = Simulator::start(
            Scenario::good("SIM-2").with_connect_delay_ms(10),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let (s, _) = request(
            &sim,
            "PUT",
            "/v1/network",
            r#"{"ssid":"Home","passphrase":"wrong horse battery","apply":true}"#,
        )
        .await;
        assert_eq!(s, 204);
        let (_, b) = request(&sim, "GET", "/v1/status?wait=5", "").await;
        assert!(b.contains("\"reason\":\"auth_failed\""), "{b}");
        let (s, b) = request(&sim, "GET", "/v1/nope", "").await;
        assert_eq!(s, 404, "{b}");
        let (s, b) = request(&sim, "POST", "/v1/device", "").await;
        assert_eq!(s, 405, "{b}");
        let (s, b) = request(&sim, "PUT", "/v1/network", "{").await;
        assert_eq!(s, 400, "{b}");
        assert!(b.contains("invalid_json"), "{b}");
        let big = "x".repeat(protocol::api::MAX_BODY + 1);
        let (s, _) = request(&sim, "PUT", "/v1/network", &big).await;
        assert_eq!(s, 413);
        sim.shutdown().await;
    }
}
