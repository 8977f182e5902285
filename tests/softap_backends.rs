//! The real Wi-Fi backends where they can honestly run here (no radio): the wpa_supplicant backend
//! drives a real wpa_supplicant 2.10 over its control socket, with the `wired` driver standing in for
//! the radio on the station end of a namespace SoftAP, then gets its address from the SoftAP's
//! dnsmasq and provisions through it. The `wired` driver ignores the SSID and does no WPA handshake,
//! so this exercises the protocol and the state machine, not association. Root and `wpa_supplicant`
//! are needed (skipped with a printed reason otherwise).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use accessory_sim::SoftApConfig;
use accessory_tests::provision as p;
use accessory_tests::softap::{self as ap, assert_nothing_left, footprint};
use provision::wifi::{ScanResult, WifiBackend, WpaSupplicantBackend};
use provision::Security;

struct Supplicant(Child);

impl Drop for Supplicant {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have_wpa_supplicant() -> bool {
    Command::new("wpa_supplicant")
        .arg("-v")
        .stdout(Stdio::null())
        .status()
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wpa_supplicant_backend_joins_leases_provisions_and_removes_its_network() {
    if !ap::root_or_skip(
        "the_wpa_supplicant_backend_joins_leases_provisions_and_removes_its_network",
    ) {
        return;
    }
    if !have_wpa_supplicant() {
        accessory_tests::skip::skip(
            accessory_tests::skip::Missing::Dependency,
            "wpa_supplicant is not installed (`make deps` installs wpasupplicant)",
        );
        return;
    }
    let ssid = ap::unique_ssid("Wired");
    let (softap, sim) = ap::start(SoftApConfig::open(&ssid), p::good("SIM-WPA-0001")).await;
    let f = footprint(&softap);
    let sta = f.station_interface.clone();
    // Bring the station end here, as the sim backend's join would, and hand it to wpa_supplicant.
    let pid = std::process::id().to_string();
    let ok = |args: &[&str]| {
        assert!(
            Command::new("ip").args(args).status().unwrap().success(),
            "ip {args:?}"
        )
    };
    ok(&[
        "-n",
        &f.namespace,
        "link",
        "set",
        "dev",
        &sta,
        "netns",
        &pid,
    ]);
    ok(&["link", "set", "dev", &sta, "up"]);
    let ctrl = tempfile::tempdir().unwrap();
    let supplicant = Supplicant(
        Command::new("wpa_supplicant")
            .args(["-D", "wired", "-i", &sta, "-C"])
            .arg(ctrl.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("wpa_supplicant starts"),
    );
    let socket = ctrl.path().join(&sta);
    let until = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            Instant::now() < until,
            "wpa_supplicant made no control socket"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let network = ScanResult {
        ssid: ssid.clone(),
        bssid: None,
        signal_dbm: -45,
        security: Some(Security::Open),
        frequency_mhz: None,
        handle: String::new(),
    };
    let sta2 = sta.clone();
    let (backend, lease) = tokio::task::spawn_blocking(move || {
        let mut b =
            WpaSupplicantBackend::with_control_path(&sta2, &socket).expect("the control socket");
        b.join(&network, None)
            .expect("ADD/SET/SELECT_NETWORK reach COMPLETED");
        let status = b.status().unwrap();
        assert_eq!(status.wpa_state, "COMPLETED");
        assert_eq!(status.ssid.as_deref(), Some(network.ssid.as_str()));
        let lease = b.address(Duration::from_secs(15)).expect("a DHCP lease");
        (b, lease)
    })
    .await
    .unwrap();
    assert_eq!(lease.interface, sta);
    assert_eq!(lease.router, Some(std::net::Ipv4Addr::new(192, 168, 4, 1)));

    let mut req = p::request(&sim, p::Mode::Pin, None);
    req.accessory =
        provision::AccessoryAddress::from_socket_addr("192.168.4.1:443".parse().unwrap());
    req.bind_device = Some(lease.interface.clone());
    let outcome = provision::run(req)
        .await
        .expect("provisioning through wpa_supplicant's link");
    assert_eq!(outcome.device.device_id, "SIM-WPA-0001");

    tokio::task::spawn_blocking(move || {
        let mut b = backend;
        provision::wifi::leave(&mut b).expect("REMOVE_NETWORK and restore");
        let listed = b.command("LIST_NETWORKS").unwrap();
        assert_eq!(
            listed.lines().count(),
            1,
            "only the header is left: {listed:?}"
        );
    })
    .await
    .unwrap();
    drop(supplicant);
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}
