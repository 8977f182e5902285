//! Builders for the provisioning tests: a simulated accessory, a `provision::Request` for it in each
//! trust mode, the `accessory` binary, and the assertion that an accessory never got a credential.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use accessory_sim::{RunningSim, Scenario, Simulator};
use provision::{ExpectedKey, FirstUse, Ledger, Network, Request, Secret, TrustInputs};

/// The home network passphrase the simulator's default `Home` network accepts.
pub const PASSPHRASE: &str = "correct horse battery";

/// How the test trusts the accessory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Its SPKI pin.
    Pin,
    /// Its manufacturer root.
    Anchors,
    /// Both.
    Both,
    /// Trust on first use, confirmed by the expected pin (as from a label).
    Tofu,
}

/// A good accessory that joins quickly.
pub fn good(device_id: &str) -> Scenario {
    Scenario::good(device_id).with_connect_delay_ms(20)
}

/// A good accessory with these faults (`"expired"`, `"reboot-after-apply=1"`...).
pub fn with_faults(device_id: &str, faults: &[&str]) -> Scenario {
    let mut s = good(device_id);
    for f in faults {
        s = s.with_fault(f.parse().expect("a known fault"));
    }
    s
}

/// Starts a simulated accessory on 127.0.0.1 with a free port.
pub async fn start(scenario: Scenario) -> RunningSim {
    Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the simulator starts")
}

/// The home network `Home` with this passphrase.
pub fn home(passphrase: &str) -> Network {
    Network {
        ssid: "Home".into(),
        passphrase: Secret::new(passphrase.into()),
        security: provision::Security::Wpa2Psk,
        hidden: false,
    }
}

/// A request to provision `sim` with `Home`/[`PASSPHRASE`] in `mode`, naming its device id.
pub fn request(sim: &RunningSim, mode: Mode, ledger: Option<Arc<Ledger>>) -> Request {
    let anchors =
        || Some(trust::Anchors::from_pem(sim.anchors_pem().as_bytes()).expect("the sim's anchors"));
    let trust = match mode {
        Mode::Pin => TrustInputs {
            pins: vec![sim.pin()],
            ..Default::default()
        },
        Mode::Anchors => TrustInputs {
            anchors: anchors(),
            ..Default::default()
        },
        Mode::Both => TrustInputs {
            pins: vec![sim.pin()],
            anchors: anchors(),
            ..Default::default()
        },
        Mode::Tofu => TrustInputs {
            tofu: true,
            expect: Some(ExpectedKey::Pin(sim.pin())),
            ..Default::default()
        },
    };
    Request {
        accessory: provision::AccessoryAddress::from_socket_addr(sim.addr()),
        bind_device: None,
        trust,
        device_id: Some(sim.device_id().to_owned()),
        network: home(PASSPHRASE),
        pop: None,
        client_identity: None,
        deadline: Duration::from_secs(20),
        ledger,
        first_use: FirstUse::Refuse,
    }
}

/// A fresh ledger in a temporary directory (keep the directory alive).
pub fn ledger() -> (tempfile::TempDir, Arc<Ledger>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).expect("a new ledger");
    (dir, Arc::new(ledger))
}

/// Asserts, from the accessory's own request record, that it never received a network request.
#[track_caller]
pub fn assert_no_credential_sent(sim: &RunningSim) {
    let requests = sim.requests();
    assert!(
        !requests
            .iter()
            .any(|r| r.carried_credential || (r.method == "PUT" && r.path == "/v1/network")),
        "the accessory received a credential: {requests:?}"
    );
}

/// The built `accessory` binary (`make test` builds it first): `$CARGO_TARGET_DIR/debug/accessory`,
/// else next to this test executable (`target/debug/deps/..` -> `target/debug/accessory`).
pub fn accessory_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let beside = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|debug| debug.join("accessory"));
    let from_env = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| PathBuf::from(dir).join("debug").join("accessory"));
    let found = beside
        .iter()
        .chain(from_env.iter())
        .find(|p| p.is_file())
        .cloned();
    found.unwrap_or_else(|| {
        panic!(
            "the accessory binary is not built: run `cargo build --bin accessory` (make test does)"
        )
    })
}
