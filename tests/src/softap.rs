//! SoftAP test helpers: root checks, a simulated accessory inside a namespace SoftAP, joining it
//! through the `sim` backend, and the check that nothing was left behind.

use std::process::Command;
use std::time::Duration;

use accessory_sim::{RunningSim, Scenario, Simulator, SoftAp, SoftApConfig};
use provision::wifi::{self, Joined, SimBackend, Wanted};

/// True when running as root; otherwise records a visible skip (a failure under CI, which runs as root).
pub fn root_or_skip(_test: &str) -> bool {
    crate::skip::require_root()
}

/// An SSID no other test uses (tests run in parallel and share the registry).
pub fn unique_ssid(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts `scenario` as the accessory of a new SoftAP (blocking setup, run on a blocking thread).
pub async fn start(config: SoftApConfig, scenario: Scenario) -> (SoftAp, RunningSim) {
    tokio::task::spawn_blocking(move || {
        SoftAp::start(config, move |listen| async move {
            Simulator::start(scenario, listen)
                .await
                .map_err(|e| e.to_string())
        })
    })
    .await
    .expect("the SoftAP setup thread")
    .expect("the SoftAP starts")
}

/// What a SoftAP was made of, to check it is all gone afterwards.
#[derive(Debug, Clone)]
pub struct Footprint {
    /// The network namespace (`asap-…`).
    pub namespace: String,
    /// The veth end inside the namespace, the accessory's.
    pub accessory_interface: String,
    /// The veth end a station joins with.
    pub station_interface: String,
    /// dnsmasq's process id, while it runs.
    pub dnsmasq_pid: Option<u32>,
    /// The SoftAP's registry file.
    pub registry_entry: std::path::PathBuf,
}

/// What `ap` is made of now.
pub fn footprint(ap: &SoftAp) -> Footprint {
    let e = ap.entry();
    Footprint {
        namespace: e.namespace.clone(),
        accessory_interface: e.accessory_interface.clone(),
        station_interface: e.station_interface.clone(),
        dnsmasq_pid: ap.dhcp_server_pid(),
        registry_entry: e.path_in(&accessory_sim::softap_registry_dir()),
    }
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .expect("run a system tool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts, with `ip netns list`, `ip link` and `pgrep dnsmasq`, that the SoftAP left nothing.
#[track_caller]
pub fn assert_nothing_left(f: &Footprint) {
    let namespaces = run("ip", &["netns", "list"]);
    assert!(
        !namespaces.contains(&f.namespace),
        "namespace {} is left: {namespaces}",
        f.namespace
    );
    let links = run("ip", &["-o", "link"]);
    for name in [&f.accessory_interface, &f.station_interface] {
        assert!(
            !links.contains(name.as_str()),
            "interface {name} is left: {links}"
        );
    }
    let dnsmasq = run("pgrep", &["-a", "dnsmasq"]);
    if let Some(pid) = f.dnsmasq_pid {
        assert!(
            !dnsmasq
                .lines()
                .any(|l| l.split_whitespace().next() == Some(&pid.to_string())),
            "dnsmasq {pid} is still running: {dnsmasq}"
        );
    }
    assert!(
        !dnsmasq.contains(&f.accessory_interface),
        "a dnsmasq for {} is still running: {dnsmasq}",
        f.accessory_interface
    );
    assert!(
        !f.registry_entry.exists(),
        "registry entry {} is left",
        f.registry_entry.display()
    );
}

/// Joins `ssid` through the `sim` backend (on a blocking thread); returns the backend to leave with.
pub async fn join(
    ssid: &str,
    passphrase: Option<&str>,
) -> (Box<SimBackend>, Result<Joined, wifi::WifiError>) {
    let ssid = ssid.to_owned();
    let pass = passphrase.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut backend = Box::new(SimBackend::new());
        let r = wifi::join(
            backend.as_mut(),
            Some(&Wanted::Ssid(ssid)),
            None,
            pass.as_deref(),
            Duration::from_secs(20),
        );
        (backend, r)
    })
    .await
    .expect("the join thread")
}

/// Leaves and restores (on a blocking thread).
pub async fn leave(mut backend: Box<SimBackend>) {
    tokio::task::spawn_blocking(move || wifi::leave(backend.as_mut()).expect("leave and restore"))
        .await
        .expect("the leave thread");
}

/// Whether an interface exists in this (the station's) namespace.
pub fn interface_here(name: &str) -> bool {
    std::path::Path::new("/sys/class/net").join(name).exists()
}

/// `accessory sim softap --ssid SSID --device-id ID --json --out OUT` plus `extra`, as a process:
/// the child (stop it with SIGTERM, [`stop_process`]) and its startup JSON.
pub fn spawn_sim_softap(
    ssid: &str,
    device_id: &str,
    out: &std::path::Path,
    extra: &[&std::ffi::OsStr],
) -> (std::process::Child, serde_json::Value) {
    use std::io::BufRead as _;
    let mut child = Command::new(crate::provision::accessory_bin())
        .args(["sim", "softap", "--ssid", ssid, "--device-id", device_id])
        .args(["--json", "--out"])
        .arg(out)
        .args(extra)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("accessory sim softap starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the startup line");
    let info =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("startup JSON ({e}): {line:?}"));
    (child, info)
}

/// Ends a `sim softap` process with SIGTERM (it removes its SoftAP) and waits for it.
pub fn stop_process(child: &mut std::process::Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().expect("waiting for sim softap")
}
