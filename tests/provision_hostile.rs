//! `accessory provision` (the real binary) against a hostile accessory that is not our simulator
//! (`tests/scripts/hostile_server.py`, Python's ssl) serving certificates made by OpenSSL, and
//! recording every decrypted byte it receives. Issue 10, items 2, 8 and 11: an accessory is
//! believed only about the device id its certificate proves, a device id is named only in the
//! documented forms, and a pin alone names the key, not an address.

use std::path::Path;
use std::process::{Command, Stdio};

use accessory_tests::hostile::{openssl_leaf, openssl_root, HostileServer, OpensslCert};
use accessory_tests::provision::accessory_bin;
use accessory_tests::skip::require_tool;

/// The home passphrase: any appearance in the hostile server's log is a leak.
const PASSPHRASE: &str = "hostile-sentinel-Passphrase-42";
/// The label code: sent only as a proof of possession (an `Authorization: PoP` header).
const POP: &str = "LABEL-CODE-0042";

struct Ran {
    code: i32,
    json: serde_json::Value,
    text: String,
}

/// A scratch directory with the passphrase and label files, and a ledger.
struct Bench {
    dir: tempfile::TempDir,
}

impl Bench {
    fn new() -> Option<Self> {
        if !(require_tool("openssl") && require_tool("python3")) {
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("pass"), format!("{PASSPHRASE}\n")).unwrap();
        std::fs::write(dir.path().join("pop"), format!("{POP}\n")).unwrap();
        Some(Bench { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn ledger(&self) -> provision::Ledger {
        provision::Ledger::open(self.path().join("ledger.sqlite3")).expect("the ledger")
    }

    /// `accessory provision --json` against `server` with `trust` (and `extra`) flags.
    fn provision(&self, server: &HostileServer, trust: &[&str]) -> Ran {
        let dir = self.path();
        let out = Command::new(accessory_bin())
            .args([
                "provision",
                "--json",
                "--accessory",
                &server.addr().to_string(),
            ])
            .args(["--network-ssid", "Home", "--deadline", "20"])
            .arg("--network-passphrase-file")
            .arg(dir.join("pass"))
            .arg("--pop-file")
            .arg(dir.join("pop"))
            .arg("--ledger")
            .arg(dir.join("ledger.sqlite3"))
            .args(trust)
            .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
            .env_remove("ACCESSORY_LEDGER")
            .stdin(Stdio::null())
            .output()
            .expect("the accessory binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        Ran {
            code: out.status.code().unwrap_or(-1),
            json: serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
            text: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
        }
    }
}

/// `accessory trust verify --json FLAGS CERT`, the offline verdict: (exit status, JSON).
fn verify_offline(flags: &[&str], cert: &Path) -> (i32, serde_json::Value) {
    let out = Command::new(accessory_bin())
        .args(["trust", "verify", "--json"])
        .args(flags)
        .arg(cert)
        .output()
        .expect("the accessory binary runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

#[track_caller]
fn assert_refused(ran: &Ran, code: &str) {
    assert_eq!(ran.code, 4, "exit status: {}", ran.text);
    assert_eq!(ran.json["code"], code, "{}", ran.text);
    assert_eq!(ran.json["credentials_sent"], false, "{}", ran.text);
}

#[track_caller]
fn assert_provisioned(ran: &Ran) {
    assert_eq!(ran.code, 0, "{}", ran.text);
    assert_eq!(ran.json["ssid"], "Home", "{}", ran.text);
}

/// An impostor's certificate, issued by the maker's root: it names SIM-0003 (and 127.0.0.1, so
/// anchors mode without an identity gets past the name check). Served claiming to be SIM-0002.
fn impostor(bench: &Bench, root: &OpensslCert) -> OpensslCert {
    openssl_leaf(
        bench.path(),
        "sim-0003",
        "/CN=SIM-0003",
        "DNS:SIM-0003.accessory.local,IP:127.0.0.1",
        Some(root),
    )
}

#[test]
fn an_accessory_claiming_an_id_its_certificate_does_not_name_gets_nothing_secret_in_any_mode() {
    let Some(bench) = Bench::new() else { return };
    let root = openssl_root(bench.path(), "Maker-Root");
    let anchors = root.cert.display().to_string();
    let cert = impostor(&bench, &root);
    let pin = cert.pin();
    let modes: [(&str, Vec<&str>); 6] = [
        ("pin", vec!["--pin", &pin]),
        (
            "pin, --device-id",
            vec!["--pin", &pin, "--device-id", "SIM-0003"],
        ),
        ("anchors", vec!["--anchors", &anchors]),
        (
            "anchors, --device-id",
            vec!["--anchors", &anchors, "--device-id", "SIM-0003"],
        ),
        ("tofu", vec!["--tofu", "--expect-fingerprint", &pin]),
        (
            "tofu, --device-id",
            vec![
                "--tofu",
                "--expect-fingerprint",
                &pin,
                "--device-id",
                "SIM-0003",
            ],
        ),
    ];
    for (mode, flags) in modes {
        // A fresh server per mode: its log is exactly this run's bytes.
        let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0002", bench.path());
        let ran = bench.provision(&server, &flags);
        assert_refused(&ran, "accessory.device_id_mismatch");
        server.assert_nothing_secret(PASSPHRASE);
        assert_eq!(server.requests(), ["GET /v1/device"], "{mode}");
        assert_eq!(
            bench.ledger().accessory("SIM-0002").unwrap(),
            None,
            "{mode}"
        );
        assert_eq!(
            bench.ledger().accessory("SIM-0003").unwrap(),
            None,
            "{mode}"
        );
    }
    // Asking for the id it claims fails at the handshake: not one application byte.
    let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0002", bench.path());
    let ran = bench.provision(&server, &["--pin", &pin, "--device-id", "SIM-0002"]);
    assert_refused(&ran, "cert.wrong_name");
    server.assert_no_application_bytes();
}

#[test]
fn an_impostor_cannot_take_over_a_recorded_accessorys_ledger_entry_and_first_use_still_knows_the_genuine_key(
) {
    let Some(bench) = Bench::new() else { return };
    let root = openssl_root(bench.path(), "Maker-Root");
    let genuine = openssl_leaf(
        bench.path(),
        "sim-0002",
        "/CN=SIM-0002",
        "DNS:SIM-0002.accessory.local",
        Some(&root),
    );
    let server = HostileServer::start(&genuine.cert, &genuine.key, "SIM-0002", bench.path());
    assert_provisioned(&bench.provision(&server, &["--pin", &genuine.pin()]));
    drop(server);

    // The reproduction of issue 10 item 2: provisioned by pin without --device-id, then --tofu.
    let cert = impostor(&bench, &root);
    let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0002", bench.path());
    let ran = bench.provision(&server, &["--pin", &cert.pin()]);
    assert_refused(&ran, "accessory.device_id_mismatch");
    server.assert_nothing_secret(PASSPHRASE);
    let ran = bench.provision(&server, &["--tofu"]);
    assert_refused(&ran, "accessory.device_id_mismatch");
    server.assert_nothing_secret(PASSPHRASE);
    let record = bench
        .ledger()
        .accessory("SIM-0002")
        .unwrap()
        .expect("recorded");
    assert_eq!(record.pin, genuine.pin());

    // The genuine SIM-0002 is still recognised by first use, without a confirmation.
    let server = HostileServer::start(&genuine.cert, &genuine.key, "SIM-0002", bench.path());
    assert_provisioned(&bench.provision(&server, &["--tofu"]));
}

#[test]
fn the_genuine_accessory_is_provisioned_and_recorded_under_the_id_its_certificate_proves() {
    let Some(bench) = Bench::new() else { return };
    let cert = openssl_leaf(
        bench.path(),
        "sim-0002",
        "/CN=SIM-0002",
        "DNS:SIM-0002.accessory.local",
        None,
    );
    let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0002", bench.path());
    let ran = bench.provision(&server, &["--pin", &cert.pin()]);
    assert_provisioned(&ran);
    assert_eq!(ran.json["device"]["device_id"], "SIM-0002");
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.split('?').next().unwrap_or(r).to_owned())
        .collect();
    assert_eq!(
        paths,
        ["GET /v1/device", "PUT /v1/network", "GET /v1/status"]
    );
    // The harness sees what a credential looks like: the same checks would catch a leak.
    let text = server.received_text();
    assert!(text.contains(PASSPHRASE), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("authorization: pop "),
        "{text}"
    );
    // The proof of possession is not on the device request.
    let device_request = text.split("PUT /v1/network").next().unwrap();
    assert!(
        !device_request
            .to_ascii_lowercase()
            .contains("authorization"),
        "{device_request}"
    );
    let record = bench
        .ledger()
        .accessory("SIM-0002")
        .unwrap()
        .expect("recorded");
    assert_eq!(record.pin, cert.pin());
}

#[test]
fn a_certificate_naming_no_device_id_cannot_be_provisioned_and_nothing_secret_is_sent() {
    let Some(bench) = Bench::new() else { return };
    let cert = openssl_leaf(bench.path(), "ip-only", "/O=Acme", "IP:127.0.0.1", None);
    let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0002", bench.path());
    let ran = bench.provision(&server, &["--pin", &cert.pin()]);
    assert_refused(&ran, "accessory.device_id_unproven");
    server.assert_nothing_secret(PASSPHRASE);
    assert_eq!(bench.ledger().accessories().unwrap(), []);
}

#[test]
fn a_pin_alone_accepts_a_certificate_that_does_not_name_the_loopback_address_and_an_ip_asked_for_is_checked(
) {
    let Some(bench) = Bench::new() else { return };
    let cert = openssl_leaf(
        bench.path(),
        "dns-only",
        "/O=Acme",
        "DNS:SIM-0001.accessory.local",
        None,
    );
    let pin = cert.pin();
    let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0001", bench.path());
    assert_provisioned(&bench.provision(&server, &["--pin", &pin]));

    for (flags, why) in [
        (vec!["--pin", &pin, "--ip", "127.0.0.1"], "an IP asked for"),
        (
            vec!["--anchors", cert.cert.to_str().unwrap()],
            "anchors check the connection's name",
        ),
    ] {
        let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0001", bench.path());
        let ran = bench.provision(&server, &flags);
        assert_refused(&ran, "cert.wrong_name");
        server.assert_no_application_bytes();
        assert!(ran.text.contains("127.0.0.1"), "{why}: {}", ran.text);
    }
}

#[test]
fn a_device_id_is_not_named_by_a_dns_name_outside_the_accessory_domain() {
    let Some(bench) = Bench::new() else { return };
    for (name, san) in [
        ("evil", "DNS:sim-0001.evil.example"),
        ("bare", "DNS:sim-0001"),
    ] {
        let cert = openssl_leaf(bench.path(), name, "/O=Evil", san, None);
        let server = HostileServer::start(&cert.cert, &cert.key, "sim-0001", bench.path());
        let ran = bench.provision(&server, &["--pin", &cert.pin(), "--device-id", "sim-0001"]);
        assert_refused(&ran, "cert.wrong_name");
        server.assert_no_application_bytes();
        // The offline verdict is the live one.
        let pin = cert.pin();
        let (status, json) =
            verify_offline(&["--pin", &pin, "--device-id", "sim-0001"], &cert.cert);
        assert_eq!(
            (status, &json["diagnosis"]["code"]),
            (1, &serde_json::json!("cert.wrong_name")),
            "{json}"
        );
        // Without --device-id, the id it reports is not proven either.
        let ran = bench.provision(&server, &["--pin", &cert.pin()]);
        assert_refused(&ran, "accessory.device_id_unproven");
        server.assert_nothing_secret(PASSPHRASE);
    }
}

#[test]
fn a_device_id_in_another_case_is_the_same_device_in_the_certificate_the_report_and_the_ledger() {
    let Some(bench) = Bench::new() else { return };
    let cert = openssl_leaf(
        bench.path(),
        "lower",
        "/O=Acme",
        "DNS:sim-0001.accessory.local",
        None,
    );
    let server = HostileServer::start(&cert.cert, &cert.key, "sim-0001", bench.path());
    let ran = bench.provision(&server, &["--pin", &cert.pin(), "--device-id", "SIM-0001"]);
    assert_provisioned(&ran);
    let pin = cert.pin();
    let (status, json) = verify_offline(&["--pin", &pin, "--device-id", "SIM-0001"], &cert.cert);
    assert_eq!(
        (status, &json["verdict"]),
        (0, &serde_json::json!("accept")),
        "{json}"
    );
    let record = bench
        .ledger()
        .accessory("SIM-0001")
        .unwrap()
        .expect("recorded");
    assert_eq!((record.id.as_str(), record.pin), ("sim-0001", cert.pin()));
    // First use keyed by either spelling finds the one record: no confirmation is asked for.
    assert_provisioned(&bench.provision(&server, &["--tofu", "--device-id", "Sim-0001"]));
    assert_eq!(bench.ledger().accessories().unwrap().len(), 1);
}
