//! A simulated SoftAP: a network namespace holding the accessory end of a veth pair at 192.168.4.1/24,
//! a real DHCP server (dnsmasq) and the accessory's HTTPS server, advertised in a registry that the
//! `sim` Wi-Fi backend of `provision` scans. There is no radio here (no mac80211_hwsim), so "joining"
//! is moving the station end of the veth pair into the station's namespace, bringing it up, and
//! asking for an address by DHCP.
//!
//! Several SoftAPs at once: every SoftAP has its own namespace and interface names (from a random
//! id), and every one uses 192.168.4.0/24, as real accessories do. Until a station joins, its station
//! end waits inside the SoftAP's namespace, so unjoined SoftAPs add nothing to the station's
//! namespace. Two *joined* station ends in one namespace do share a subnet; that is handled rather
//! than avoided: every connection to an accessory is bound to its interface (`SO_BINDTODEVICE`),
//! and Linux's route lookup for a bound socket only considers routes through that device, so each
//! connection leaves through the SoftAP it joined. This is what a phone faces too (the same
//! 192.168.4.1 on every accessory) and what `provision` has to get right anyway.
//!
//! Everything a SoftAP creates it removes, in [`Drop`] as well as in [`SoftAp::stop`]; a process that
//! was killed leaves a registry entry naming its dead pid, and [`sweep_stale`] (run by every
//! [`SoftAp::start`]) removes what it left: processes in the namespace, the namespace (and with it
//! the veth pair), the entry.

mod dhcp_server;
mod link_fault;
mod netns;
mod registry;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

pub use link_fault::{LinkFault, ParseLinkFaultError};
pub use netns::is_root;
use protocol::softap::{RegistryEntry, FORMAT_VERSION};
pub use registry::registry_dir;

use dhcp_server::DhcpServer;

/// The accessory's address on every SoftAP, as on most real ones.
pub const ACCESSORY_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 168, 4, 1);
/// The port of the accessory's HTTPS API.
pub const ACCESSORY_PORT: u16 = 443;
/// Namespaces made here start with this, so people (and `ip netns list`) can tell them apart.
pub const NAMESPACE_PREFIX: &str = "asap-";

/// What went wrong building or running a SoftAP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Namespaces and veth pairs need root (CAP_NET_ADMIN and CAP_SYS_ADMIN).
    #[error("a SoftAP namespace needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); run as root, or use loopback without --softap")]
    NotRoot,
    /// A program could not be started at all (not installed?).
    #[error(
        "cannot run {program}: {source} (is it installed? scripts/install-deps.sh installs it)"
    )]
    Spawn {
        /// The program (`ip`, `dnsmasq`).
        program: String,
        /// Why it could not start.
        #[source]
        source: std::io::Error,
    },
    /// A command ran and failed.
    #[error("`{command}` failed: {message}")]
    Command {
        /// The command, as a person would type it.
        command: String,
        /// What it said, or how it ended.
        message: String,
    },
    /// The registry directory or an entry could not be written.
    #[error("SoftAP registry {}: {source}", path.display())]
    Registry {
        /// The registry directory, or the entry's file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The SSID is not 1 to 32 bytes, or the WPA2 passphrase is not 8 to 63 characters.
    #[error("invalid SoftAP configuration: {0}")]
    Config(String),
    /// The server inside the namespace failed to start.
    #[error("the accessory server in namespace {namespace} did not start: {message}")]
    Server {
        /// The SoftAP's namespace.
        namespace: String,
        /// Why the server did not start.
        message: String,
    },
}

impl Error {
    /// A stable code for scripts (`softap.not_root`, `softap.config`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotRoot => trust::diagnosis::codes::SOFTAP_NOT_ROOT,
            Error::Config(_) => trust::diagnosis::codes::SOFTAP_CONFIG,
            Error::Spawn { .. } => trust::diagnosis::codes::SOFTAP_MISSING_TOOL,
            Error::Command { .. } | Error::Registry { .. } | Error::Server { .. } => {
                trust::diagnosis::codes::SOFTAP_SETUP
            }
        }
    }

    /// What a caller does about it: fix the configuration given, or the machine (root, a tool).
    pub fn kind(&self) -> trust::ErrorKind {
        match self {
            Error::Config(_) => trust::ErrorKind::BadInput,
            _ => trust::ErrorKind::LocalState,
        }
    }
}

/// How a SoftAP is secured, with its secret: the AP's own configuration (the kind alone is a
/// `protocol::Security`, see [`Auth::kind`]).
#[derive(Clone)]
pub enum Auth {
    /// No security: anyone may join.
    Open,
    /// WPA2-Personal; the passphrase (8–63 characters) is the AP's own configuration.
    Wpa2 {
        /// The passphrase, wiped from memory when dropped.
        passphrase: Zeroizing<String>,
    },
}

impl Auth {
    /// The kind a scan shows and the registry records.
    pub fn kind(&self) -> protocol::Security {
        match self {
            Auth::Open => protocol::Security::Open,
            Auth::Wpa2 { .. } => protocol::Security::Wpa2Psk,
        }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Open => f.write_str("Open"),
            Auth::Wpa2 { .. } => f.write_str("Wpa2 { passphrase: <redacted> }"),
        }
    }
}

/// A SoftAP to build.
#[derive(Debug, Clone)]
pub struct SoftApConfig {
    /// The network name it advertises (1 to 32 bytes).
    pub ssid: String,
    /// How it is secured, with its passphrase.
    pub auth: Auth,
    /// Signal strength stations see, dBm (default -45).
    pub signal_dbm: i32,
    /// Link faults to inject between the station and the accessory (none by default).
    pub faults: Vec<LinkFault>,
    /// Where to advertise it (default: [`registry_dir`]).
    pub registry_dir: Option<PathBuf>,
    /// The port the accessory serves on at 192.168.4.1 (default [`ACCESSORY_PORT`], 443; an
    /// ESP-IDF device serving protocomm over plain HTTP listens on 80).
    pub port: u16,
}

impl SoftApConfig {
    /// An open SoftAP with a strong signal and no faults.
    pub fn open(ssid: impl Into<String>) -> Self {
        SoftApConfig {
            ssid: ssid.into(),
            auth: Auth::Open,
            signal_dbm: -45,
            faults: Vec::new(),
            registry_dir: None,
            port: ACCESSORY_PORT,
        }
    }

    /// A WPA2-Personal SoftAP.
    pub fn wpa2(ssid: impl Into<String>, passphrase: impl Into<String>) -> Self {
        SoftApConfig {
            auth: Auth::Wpa2 {
                passphrase: Zeroizing::new(passphrase.into()),
            },
            ..SoftApConfig::open(ssid)
        }
    }
}

/// A running SoftAP. Dropping it tears everything down.
pub struct SoftAp {
    entry: RegistryEntry,
    entry_path: PathBuf,
    dhcp: Option<DhcpServer>,
    server: Option<(tokio::sync::oneshot::Sender<()>, JoinHandle<()>)>,
    faults_stop: Arc<AtomicBool>,
    fault_thread: Option<JoinHandle<()>>,
    flaps_done: Arc<AtomicU32>,
    dir: Option<tempfile::TempDir>,
    torn_down: bool,
}

impl std::fmt::Debug for SoftAp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftAp")
            .field("ssid", &self.entry.ssid)
            .field("namespace", &self.entry.namespace)
            .finish_non_exhaustive()
    }
}

impl SoftAp {
    /// Builds a SoftAP and runs `serve` inside its namespace. `serve` gets the address to listen on
    /// (192.168.4.1:443, or a private one behind the latency relay) and must return once it is
    /// listening, with a value handed back to the caller (e.g. the running simulator). The server
    /// runs on a current-thread runtime in a thread of its own that entered the namespace; its tasks
    /// end when the SoftAP is dropped.
    ///
    /// Blocks for the few hundred milliseconds the setup takes (process spawns). Needs root.
    pub fn start<T, F, Fut>(config: SoftApConfig, serve: F) -> Result<(SoftAp, T), Error>
    where
        T: Send + 'static,
        F: FnOnce(SocketAddr) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, String>> + 'static,
    {
        if !is_root() {
            return Err(Error::NotRoot);
        }
        validate(&config)?;
        let dir_path = config.registry_dir.clone().unwrap_or_else(registry_dir);
        sweep_stale_in(&dir_path);

        let id = unique_id();
        let entry = RegistryEntry {
            version: FORMAT_VERSION,
            id: id.clone(),
            ssid: config.ssid.clone(),
            security: config.auth.kind(),
            psk: match &config.auth {
                Auth::Open => None,
                Auth::Wpa2 { passphrase } => {
                    Some(protocol::wpa_psk(passphrase, &config.ssid).to_hex())
                }
            },
            signal_dbm: config.signal_dbm,
            channel: 6,
            namespace: format!("{NAMESPACE_PREFIX}{id}"),
            accessory_interface: format!("as{id}a"),
            station_interface: format!("as{id}s"),
            accessory_address: ACCESSORY_ADDRESS.to_string(),
            prefix_len: 24,
            port: config.port,
            owner_pid: std::process::id(),
            owner_start: registry::own_start_time(),
            ready: false,
        };
        // The entry comes first, so a sweep by someone else never finds our namespace unowned.
        let entry_path = registry::write(&dir_path, &entry)?;
        let mut ap = SoftAp {
            entry,
            entry_path,
            dhcp: None,
            server: None,
            faults_stop: Arc::new(AtomicBool::new(false)),
            fault_thread: None,
            flaps_done: Arc::new(AtomicU32::new(0)),
            dir: None,
            torn_down: false,
        };
        // From here on, any error drops `ap`, which removes whatever was made.
        let value = ap.build(&config, serve)?;
        ap.entry.ready = true;
        registry::write(&dir_path, &ap.entry)?;
        tracing::info!(ssid = %ap.entry.ssid, namespace = %ap.entry.namespace, "SoftAP up");
        Ok((ap, value))
    }

    fn build<T, F, Fut>(&mut self, config: &SoftApConfig, serve: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(SocketAddr) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, String>> + 'static,
    {
        let ns = self.entry.namespace.clone();
        let acc = self.entry.accessory_interface.clone();
        let sta = self.entry.station_interface.clone();
        let dir = tempfile::Builder::new()
            .prefix("accessory-softap-")
            .tempdir()
            .map_err(|source| Error::Registry {
                path: std::env::temp_dir(),
                source,
            })?;
        netns::ip(&["netns", "add", &ns])?;
        netns::ip_in(&ns, &["link", "set", "lo", "up"])?;
        netns::ip_in(
            &ns,
            &["link", "add", &sta, "type", "veth", "peer", "name", &acc],
        )?;
        let cidr = format!("{}/{}", ACCESSORY_ADDRESS, self.entry.prefix_len);
        netns::ip_in(&ns, &["addr", "add", &cidr, "dev", &acc])?;
        if config.faults.contains(&LinkFault::NoRoute) {
            netns::sysctl_in(&ns, &format!("net.ipv4.conf.{acc}.arp_ignore"), "8")?;
        }
        netns::ip_in(&ns, &["link", "set", &acc, "up"])?;

        self.dhcp = Some(DhcpServer::start(&ns, &acc, dir.path())?);
        self.dir = Some(dir);

        let latency = config.faults.iter().find_map(|f| match f {
            LinkFault::Latency(d) => Some(*d),
            _ => None,
        });
        let value = self.start_server(latency, serve)?;

        if let Some((down, after)) = config.faults.iter().find_map(|f| match f {
            LinkFault::Flap { down, after } => Some((*down, *after)),
            _ => None,
        }) {
            self.start_flap(down, after);
        }
        Ok(value)
    }

    fn start_server<T, F, Fut>(&mut self, latency: Option<Duration>, serve: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(SocketAddr) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, String>> + 'static,
    {
        let ns = self.entry.namespace.clone();
        let public = SocketAddr::from((ACCESSORY_ADDRESS, self.entry.port));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<T, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_ns = ns.clone();
        let handle = std::thread::Builder::new()
            .name(format!("softap-{}", self.entry.id))
            .spawn(move || {
                if let Err(e) = netns::enter(&thread_ns) {
                    let _ = ready_tx.send(Err(format!("cannot enter the namespace: {e}")));
                    return;
                }
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot start a runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listen = match latency {
                        // The real server hides on the namespace's loopback; the relay takes its place.
                        Some(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, public.port())),
                        None => public,
                    };
                    let value = match serve(listen).await {
                        Ok(v) => v,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    if let Some(delay) = latency {
                        match tokio::net::TcpListener::bind(public).await {
                            Ok(front) => {
                                tokio::spawn(link_fault::latency_relay(front, listen, delay));
                            }
                            Err(e) => {
                                let _ =
                                    ready_tx.send(Err(format!("latency relay on {public}: {e}")));
                                return;
                            }
                        }
                    }
                    let _ = ready_tx.send(Ok(value));
                    let _ = stop_rx.await;
                });
                // Dropping the runtime ends every task and closes every socket it held.
                drop(rt);
            })
            .map_err(|source| Error::Spawn {
                program: "the SoftAP server thread".into(),
                source,
            })?;
        self.server = Some((stop_tx, handle));
        match ready_rx.recv() {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(message)) => Err(Error::Server {
                namespace: ns,
                message,
            }),
            Err(_) => Err(Error::Server {
                namespace: ns,
                message: "the server thread ended early".into(),
            }),
        }
    }

    /// Watches for the first DHCP lease, then takes the accessory end down for `down` after `after`.
    fn start_flap(&mut self, down: Duration, after: Duration) {
        let stop = self.faults_stop.clone();
        let done = self.flaps_done.clone();
        let ns = self.entry.namespace.clone();
        let acc = self.entry.accessory_interface.clone();
        let lease_file = self
            .dhcp
            .as_ref()
            .map(|d| d.lease_file.clone())
            .unwrap_or_default();
        let sleep_unless_stopped = move |stop: &AtomicBool, d: Duration| {
            let until = Instant::now() + d;
            while Instant::now() < until {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            !stop.load(Ordering::Relaxed)
        };
        self.fault_thread = Some(std::thread::spawn(move || {
            while !std::fs::metadata(&lease_file)
                .map(|m| m.len() > 0)
                .unwrap_or(false)
            {
                if !sleep_unless_stopped(&stop, Duration::from_millis(20)) {
                    return;
                }
            }
            if !sleep_unless_stopped(&stop, after) {
                return;
            }
            tracing::info!(namespace = %ns, ?down, "flap: accessory link down");
            let _ = netns::ip_in(&ns, &["link", "set", &acc, "down"]);
            sleep_unless_stopped(&stop, down);
            let _ = netns::ip_in(&ns, &["link", "set", &acc, "up"]);
            done.fetch_add(1, Ordering::SeqCst);
            tracing::info!(namespace = %ns, "flap: accessory link up");
        }));
    }

    /// The advertised entry (SSID, namespace, interfaces).
    pub fn entry(&self) -> &RegistryEntry {
        &self.entry
    }

    /// The network name it advertises.
    pub fn ssid(&self) -> &str {
        &self.entry.ssid
    }

    /// The network namespace it runs in (`asap-…`).
    pub fn namespace(&self) -> &str {
        &self.entry.namespace
    }

    /// The interface a station joins (it lives in the SoftAP's namespace until then).
    pub fn station_interface(&self) -> &str {
        &self.entry.station_interface
    }

    /// Where a station reaches the accessory's API: 192.168.4.1 and the configured port (443 by
    /// default).
    pub fn accessory_addr(&self) -> SocketAddr {
        SocketAddr::from((ACCESSORY_ADDRESS, self.entry.port))
    }

    /// The dnsmasq process id (tests check that it is gone afterwards).
    pub fn dhcp_server_pid(&self) -> Option<u32> {
        self.dhcp.as_ref().map(|d| d.pid())
    }

    /// How many flaps have completed (link down, then up again).
    pub fn flaps_completed(&self) -> u32 {
        self.flaps_done.load(Ordering::SeqCst)
    }

    /// Whether a station has been leased an address.
    pub fn has_lease(&self) -> bool {
        self.dhcp.as_ref().map(|d| d.has_lease()).unwrap_or(false)
    }

    /// Tears everything down now (also done on drop).
    pub fn stop(mut self) {
        self.teardown();
    }

    fn teardown(&mut self) {
        if self.torn_down {
            return;
        }
        self.torn_down = true;
        self.entry.ready = false;
        if let Some(dir) = self.entry_path.parent() {
            let _ = registry::write(dir, &self.entry);
        }
        self.faults_stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.fault_thread.take() {
            let _ = t.join();
        }
        if let Some((stop, thread)) = self.server.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
        if let Some(mut dhcp) = self.dhcp.take() {
            dhcp.stop();
        }
        remove_namespace(&self.entry);
        let _ = std::fs::remove_file(&self.entry_path);
        self.dir.take();
        tracing::info!(namespace = %self.entry.namespace, "SoftAP removed");
    }
}

impl Drop for SoftAp {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// Deletes the veth pair (wherever its station end is now: deleting one end deletes both, at once)
/// and the namespace.
fn remove_namespace(entry: &RegistryEntry) {
    let ns = &entry.namespace;
    if netns::namespace_exists(ns) {
        let _ = netns::ip_in(ns, &["link", "del", &entry.accessory_interface]);
        let _ = netns::ip(&["netns", "del", ns]);
    }
    // A station end that was moved out and whose peer is somehow still alive.
    let _ = netns::ip(&["link", "del", &entry.station_interface]);
}

/// Removes what dead owners left in the default registry: processes in their namespaces (dnsmasq),
/// the namespaces with their veth pairs, and the entries. Returns how many SoftAPs were swept.
pub fn sweep_stale() -> usize {
    sweep_stale_in(&registry_dir())
}

fn sweep_stale_in(dir: &std::path::Path) -> usize {
    let mut swept = 0;
    for (path, entry) in registry::list(dir) {
        if !registry::owner_is_gone(&entry) {
            continue;
        }
        tracing::info!(namespace = %entry.namespace, owner = entry.owner_pid, "sweeping a stale SoftAP");
        if netns::namespace_exists(&entry.namespace) {
            kill_namespace_processes(&entry.namespace);
        }
        remove_namespace(&entry);
        let _ = std::fs::remove_file(&path);
        swept += 1;
    }
    swept
}

/// Ends every process whose network namespace is `namespace` (TERM, then KILL after a moment).
fn kill_namespace_processes(namespace: &str) {
    use rustix::process::{kill_process, Pid, Signal};
    let pids = |signal: Signal| -> usize {
        let Ok(out) = netns::ip(&["netns", "pids", namespace]) else {
            return 0;
        };
        let mut n = 0;
        for pid in out.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = kill_process(pid, signal);
                n += 1;
            }
        }
        n
    };
    if pids(Signal::TERM) == 0 {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        if netns::ip(&["netns", "pids", namespace])
            .map(|o| o.trim().is_empty())
            .unwrap_or(true)
        {
            return;
        }
    }
    pids(Signal::KILL);
}

fn validate(config: &SoftApConfig) -> Result<(), Error> {
    if protocol::validate_ssid(&config.ssid).is_err() {
        return Err(Error::Config(format!(
            "SSID must be 1 to 32 bytes, `{}` is {}",
            config.ssid,
            config.ssid.len()
        )));
    }
    if let Auth::Wpa2 { passphrase } = &config.auth {
        match protocol::validate_passphrase(passphrase) {
            Ok(()) => {}
            Err(protocol::NetworkError::PassphraseLength(len)) => {
                return Err(Error::Config(format!(
                    "a WPA2 passphrase is 8 to 63 characters, this one is {len}"
                )))
            }
            Err(e) => return Err(Error::Config(format!("a WPA2 passphrase: {e}"))),
        }
    }
    Ok(())
}

/// 8 hex digits, different across processes and calls: names namespaces and interfaces (which must
/// fit IFNAMSIZ: `as` + 8 + 1 = 11 characters).
fn unique_id() -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::AtomicU64;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    hex::encode(&h.finalize()[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_fit_interface_names() {
        let a = unique_id();
        let b = unique_id();
        assert_ne!(a, b);
        assert!(format!("as{a}a").len() <= 15);
    }

    #[test]
    fn a_short_passphrase_is_refused_before_anything_is_built() {
        let err = validate(&SoftApConfig::wpa2("Accessory", "short")).unwrap_err();
        assert!(err.to_string().contains("8 to 63"), "{err}");
    }
}
