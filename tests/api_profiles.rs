//! API profiles (docs/api-profiles.md) end to end: each shipped profile provisioned by `accessory
//! provision --api-profile` against `accessory sim --api-profile` (both the real binary), with the
//! faults that apply; nothing sent to an accessory whose certificate is refused; malformed
//! profiles refused with their code and line; the built-in `/v1` profile doing exactly what the
//! default path does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use accessory_tests::hostile::{openssl_leaf, HostileServer};
use accessory_tests::provision::accessory_bin;
use accessory_tests::sim::Served;
use accessory_tests::skip::require_tool;
use serde_json::Value;

/// The shipped examples, by file name.
const SHIPPED: [&str; 3] = [
    "shelly-gen2-like.toml",
    "setup-cgi-plug.toml",
    "bearer-token.toml",
];

/// A shipped profile copied into `dir` with the bearer token file it may need beside it.
fn profile_in(dir: &Path, name: &str) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profiles")
        .join(name);
    let path = dir.join(name);
    std::fs::copy(&shipped, &path).expect("copying a shipped profile");
    std::fs::write(dir.join("bearer-token.secret"), "factory-token-0042\n").unwrap();
    path
}

/// `accessory sim --api-profile FILE` (plus `extra`) on a free port, killed when dropped.
struct Sim {
    child: Child,
    line: Value,
}

impl Sim {
    fn start(profile: &Path, dir: &Path, extra: &[&str]) -> Sim {
        let mut child = Command::new(accessory_bin())
            .arg("sim")
            .arg("--api-profile")
            .arg(profile)
            .args(["--listen", "127.0.0.1:0", "--json", "--out"])
            .arg(dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("running accessory sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let line = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        Sim { child, line }
    }

    fn get(&self, key: &str) -> String {
        self.line[key].as_str().unwrap().to_owned()
    }

    fn home_passphrase_file(&self) -> String {
        self.line["networks"][0]["passphrase_file"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Ran {
    code: i32,
    json: Value,
    text: String,
}

/// `accessory provision --json --api-profile FILE` against `sim`, pinned, with `--device-id`.
fn provision(profile: &Path, sim: &Sim, ssid: &str, passphrase_file: &str, dir: &Path) -> Ran {
    let out = Command::new(accessory_bin())
        .arg("provision")
        .arg("--api-profile")
        .arg(profile)
        .args(["--json", "--accessory", &sim.get("addr")])
        .args(["--pin", &sim.get("pin"), "--device-id", "SIM-0001"])
        .args(["--network-ssid", ssid, "--network-passphrase-file"])
        .arg(passphrase_file)
        .arg("--ledger")
        .arg(dir.join("ledger.sqlite3"))
        .args(["--deadline", "10"])
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .env_remove("ACCESSORY_LEDGER")
        .stdin(Stdio::null())
        .output()
        .expect("the accessory binary runs");
    ran(out)
}

fn ran(out: std::process::Output) -> Ran {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Ran {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        text: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    }
}

fn attempts(dir: &Path) -> Vec<provision::AttemptRecord> {
    provision::Ledger::open(dir.join("ledger.sqlite3"))
        .expect("the ledger opens")
        .attempts(Some("SIM-0001"))
        .expect("attempts")
}

#[test]
fn each_shipped_api_profile_is_provisioned_by_provision_against_sim_speaking_it() {
    for name in SHIPPED {
        let dir = tempfile::tempdir().unwrap();
        let profile = profile_in(dir.path(), name);
        let sim = Sim::start(&profile, dir.path(), &[]);
        let printed = sim.get("provision");
        assert!(
            printed.ends_with(&format!(" --api-profile {}", profile.display())),
            "{name}: the printed command does not speak the profile: {printed}"
        );
        let ran = provision(
            &profile,
            &sim,
            "Home",
            &sim.home_passphrase_file(),
            dir.path(),
        );
        assert_eq!(ran.code, 0, "{name}: {}", ran.text);
        assert_eq!(ran.json["ssid"], "Home", "{name}: {}", ran.text);
        assert_eq!(ran.json["ip"], "192.168.1.50", "{name}: {}", ran.text);
        assert_eq!(ran.json["device"]["device_id"], "SIM-0001", "{name}");
        let recorded = provision::Ledger::open(dir.path().join("ledger.sqlite3"))
            .unwrap()
            .accessory("SIM-0001")
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: not recorded"));
        assert_eq!(recorded.pin, sim.get("pin"), "{name}");
        let attempts = attempts(dir.path());
        assert_eq!(attempts.len(), 1, "{name}");
        assert_eq!(
            attempts[0].outcome,
            provision::AttemptOutcome::Connected,
            "{name}"
        );
    }
}

#[test]
fn under_each_shipped_api_profile_a_wrong_passphrase_is_diagnosed_auth_failed() {
    for name in SHIPPED {
        let dir = tempfile::tempdir().unwrap();
        let profile = profile_in(dir.path(), name);
        let sim = Sim::start(&profile, dir.path(), &[]);
        let wrong = dir.path().join("wrong.pass");
        std::fs::write(&wrong, "not the passphrase\n").unwrap();
        let ran = provision(&profile, &sim, "Home", wrong.to_str().unwrap(), dir.path());
        assert_eq!(ran.code, 6, "{name}: {}", ran.text);
        assert_eq!(
            ran.json["code"], "accessory.auth_failed",
            "{name}: {}",
            ran.text
        );
        assert_eq!(ran.json["credentials_sent"], true, "{name}");
        let attempts = attempts(dir.path());
        assert_eq!(
            attempts[0].diagnosis.as_deref(),
            Some("accessory.auth_failed"),
            "{name}"
        );
    }
}

#[test]
fn under_each_shipped_api_profile_an_unknown_network_is_diagnosed_network_not_found() {
    for name in SHIPPED {
        let dir = tempfile::tempdir().unwrap();
        let profile = profile_in(dir.path(), name);
        let sim = Sim::start(&profile, dir.path(), &[]);
        let ran = provision(
            &profile,
            &sim,
            "Nowhere",
            &sim.home_passphrase_file(),
            dir.path(),
        );
        assert_eq!(ran.code, 6, "{name}: {}", ran.text);
        assert_eq!(
            ran.json["code"], "accessory.network_not_found",
            "{name}: {}",
            ran.text
        );
    }
}

#[test]
fn under_each_shipped_api_profile_the_wrong_passphrase_fault_answers_the_profiles_failure_state() {
    for name in SHIPPED {
        let dir = tempfile::tempdir().unwrap();
        let profile = profile_in(dir.path(), name);
        let sim = Sim::start(&profile, dir.path(), &["--fault", "wrong-passphrase"]);
        let ran = provision(
            &profile,
            &sim,
            "Home",
            &sim.home_passphrase_file(),
            dir.path(),
        );
        assert_eq!(ran.code, 6, "{name}: {}", ran.text);
        assert_eq!(
            ran.json["code"], "accessory.auth_failed",
            "{name}: {}",
            ran.text
        );
    }
}

#[test]
fn an_accessory_stuck_connecting_under_an_api_profile_ends_at_the_deadline_in_the_status_step() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(dir.path(), "setup-cgi-plug.toml");
    let scenario = dir.path().join("stuck.toml");
    std::fs::write(
        &scenario,
        "id = \"SIM-0001\"\n[timings]\nconnect_delay_ms = 60000\n",
    )
    .unwrap();
    let sim = Sim::start(
        &profile,
        dir.path(),
        &["--scenario", scenario.to_str().unwrap()],
    );
    let out = Command::new(accessory_bin())
        .arg("provision")
        .arg("--api-profile")
        .arg(&profile)
        .args([
            "--json",
            "--accessory",
            &sim.get("addr"),
            "--pin",
            &sim.get("pin"),
        ])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(sim.home_passphrase_file())
        .args(["--deadline", "2"])
        .env_remove("ACCESSORY_LEDGER")
        .output()
        .unwrap();
    let ran = ran(out);
    assert_eq!(ran.code, 7, "{}", ran.text);
    assert_eq!(ran.json["code"], "provision.deadline", "{}", ran.text);
    assert_eq!(ran.json["step"], "status", "{}", ran.text);
}

#[test]
fn a_bearer_token_profile_is_refused_by_the_accessory_when_the_token_differs() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(dir.path(), "bearer-token.toml");
    let sim = Sim::start(&profile, dir.path(), &[]);
    // The installer's copy of the profile, with another token beside it.
    let other = tempfile::tempdir().unwrap();
    let theirs = profile_in(other.path(), "bearer-token.toml");
    std::fs::write(other.path().join("bearer-token.secret"), "stale-token\n").unwrap();
    let ran = provision(
        &theirs,
        &sim,
        "Home",
        &sim.home_passphrase_file(),
        dir.path(),
    );
    assert_ne!(ran.code, 0, "{}", ran.text);
    assert_eq!(ran.code, 6, "{}", ran.text);
    assert_eq!(
        ran.json["code"], "accessory.header_rejected",
        "{}",
        ran.text
    );
    assert!(ran.text.contains("authorization header"), "{}", ran.text);
}

#[test]
fn under_an_api_profile_an_accessory_whose_certificate_is_refused_gets_no_byte_at_all() {
    if !(require_tool("openssl") && require_tool("python3")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(dir.path(), "shelly-gen2-like.toml");
    let served = openssl_leaf(
        dir.path(),
        "served",
        "/CN=SIM-0001",
        "DNS:SIM-0001.accessory.local",
        None,
    );
    let expected = openssl_leaf(
        dir.path(),
        "expected",
        "/CN=SIM-0001",
        "DNS:SIM-0001.accessory.local",
        None,
    );
    let passphrase = "hostile-sentinel-Passphrase-42";
    std::fs::write(dir.path().join("pass"), format!("{passphrase}\n")).unwrap();
    let server = HostileServer::start(&served.cert, &served.key, "SIM-0001", dir.path());
    let out = Command::new(accessory_bin())
        .arg("provision")
        .arg("--api-profile")
        .arg(&profile)
        .args(["--json", "--accessory", &server.addr().to_string()])
        .args(["--pin", &expected.pin(), "--device-id", "SIM-0001"])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(dir.path().join("pass"))
        .args(["--deadline", "10"])
        .env_remove("ACCESSORY_LEDGER")
        .output()
        .unwrap();
    let ran = ran(out);
    assert_eq!(ran.code, 4, "{}", ran.text);
    assert_eq!(ran.json["credentials_sent"], false, "{}", ran.text);
    server.assert_no_application_bytes();
    assert!(!server.received_text().contains(passphrase));
}

/// A profile file with one line replaced (1-based), in `dir`.
fn broken(dir: &Path, line: usize, text: &str) -> PathBuf {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/setup-cgi-plug.toml"),
    )
    .unwrap();
    let mut lines: Vec<&str> = shipped.lines().collect();
    lines[line - 1] = text;
    let path = dir.join(format!("broken-{line}.toml"));
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

/// The line of `needle` in the shipped setup-cgi-plug profile.
fn line_of(needle: &str) -> usize {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/setup-cgi-plug.toml"),
    )
    .unwrap();
    shipped
        .lines()
        .position(|l| l.starts_with(needle))
        .unwrap_or_else(|| panic!("{needle} not in the profile"))
        + 1
}

#[test]
fn a_malformed_api_profile_is_refused_by_provision_and_sim_with_its_code_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let body = line_of("body = ");
    let set_path = line_of("path = \"/setup\"");
    let cases = [
        (line_of("id = "), "id = /sn".to_owned(), "profile.syntax"),
        (
            body,
            "body = \"ssid={ssid}&pass={passphrase}&enc={securty}\"".to_owned(),
            "profile.unknown_placeholder",
        ),
        (
            set_path,
            "path = \"/setup?pass={passphrase}\"".to_owned(),
            "profile.passphrase_outside_body",
        ),
    ];
    for (line, text, code) in cases {
        let path = broken(dir.path(), line, &text);
        let where_ = format!("{}:{line}:", path.display());
        let prov = ran(Command::new(accessory_bin())
            .arg("provision")
            .arg("--api-profile")
            .arg(&path)
            .args(["--accessory", "127.0.0.1:9", "--pin", &"ab".repeat(32)])
            .args(["--network-ssid", "Home", "--network-passphrase-file"])
            .arg(&pass)
            .output()
            .unwrap());
        assert_eq!(prov.code, 3, "{text}: {}", prov.text);
        assert!(
            prov.text.contains(&format!("[{code}]")),
            "{text}: {}",
            prov.text
        );
        assert!(
            prov.text.contains(&where_),
            "{text}: want {where_} in {}",
            prov.text
        );
        let sim = ran(Command::new(accessory_bin())
            .arg("sim")
            .arg("--api-profile")
            .arg(&path)
            .args(["--listen", "127.0.0.1:0"])
            .output()
            .unwrap());
        assert_eq!(sim.code, 3, "{text}: {}", sim.text);
        assert!(
            sim.text.contains(&format!("[{code}]")),
            "{text}: {}",
            sim.text
        );
        assert!(sim.text.contains(&where_), "{text}: {}", sim.text);
    }
}

/// What the accessory saw of one run: (method, path, carried a credential, status) per request.
fn seen(served: &Served) -> Vec<(String, String, bool, u16)> {
    served
        .sim()
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.carried_credential, r.status))
        .collect()
}

#[test]
fn the_built_in_v1_profile_provisions_exactly_as_the_default_path_and_the_sim_speaks_it_too() {
    let v1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/v1.toml");
    let run = |served: &Served, profile: Option<&Path>| {
        let dir = served.dir();
        std::fs::write(dir.join("pass"), "correct horse battery\n").unwrap();
        std::fs::write(dir.join("pop"), "4711\n").unwrap();
        let mut cmd = Command::new(accessory_bin());
        cmd.arg("provision");
        if let Some(p) = profile {
            cmd.arg("--api-profile").arg(p);
        }
        let out = cmd
            .args(["--json", "--accessory", &served.addr().to_string()])
            .arg("--anchors")
            .arg(&served.anchors)
            .args(["--device-id", "SIM-0001", "--network-ssid", "Home"])
            .arg("--network-passphrase-file")
            .arg(dir.join("pass"))
            .arg("--pop-file")
            .arg(dir.join("pop"))
            .env_remove("ACCESSORY_LEDGER")
            .output()
            .unwrap();
        ran(out)
    };
    let scenario = || {
        let mut s = accessory_sim::Scenario::good("SIM-0001").with_connect_delay_ms(50);
        s.pop_code = Some("4711".into());
        s
    };
    let default = Served::start(scenario());
    let by_default = run(&default, None);
    let profiled = Served::start(scenario());
    let by_profile = run(&profiled, Some(&v1));
    assert_eq!(by_default.code, 0, "{}", by_default.text);
    assert_eq!(by_profile.code, 0, "{}", by_profile.text);
    assert_eq!(seen(&default), seen(&profiled));
    assert_eq!(
        seen(&default)
            .iter()
            .map(|r| r.1.as_str())
            .collect::<Vec<_>>(),
        ["/v1/device", "/v1/network", "/v1/status"]
    );
    for key in [
        "device",
        "ssid",
        "ip",
        "round_trips",
        "reconnects",
        "first_use",
    ] {
        assert_eq!(by_default.json[key], by_profile.json[key], "{key}");
    }

    // The simulator answering through the v1 profile is provisioned by the default path.
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&v1, dir.path(), &["--pop-code", "4711"]);
    std::fs::write(dir.path().join("pop"), "4711\n").unwrap();
    let out = Command::new(accessory_bin())
        .args(["provision", "--json", "--accessory", &sim.get("addr")])
        .args(["--pin", &sim.get("pin"), "--device-id", "SIM-0001"])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(sim.home_passphrase_file())
        .arg("--pop-file")
        .arg(dir.path().join("pop"))
        .env_remove("ACCESSORY_LEDGER")
        .output()
        .unwrap();
    let ran = ran(out);
    assert_eq!(ran.code, 0, "{}", ran.text);
    assert_eq!(ran.json["round_trips"], by_default.json["round_trips"]);
}

#[test]
fn under_an_api_profile_an_id_the_certificate_does_not_prove_gets_nothing_secret() {
    if !(require_tool("openssl") && require_tool("python3")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A profile of our own device path, with a form body of its own: the device id it reads must
    // still be one the certificate names.
    let profile = dir.path().join("form.toml");
    std::fs::write(
        &profile,
        r#"format = 1
name = "form-over-v1-device"
[device]
path = "/v1/device"
id = "/device_id"
[set_network]
method = "POST"
path = "/setup"
body_kind = "form"
body = "ssid={ssid}&pass={passphrase}"
[status]
path = "/status"
state = "/s"
connected = ["up"]
connecting = ["joining"]
"#,
    )
    .unwrap();
    // Named SIM-0003 by its certificate; claims SIM-0002.
    let cert = openssl_leaf(
        dir.path(),
        "sim-0003",
        "/CN=SIM-0003",
        "DNS:SIM-0003.accessory.local",
        None,
    );
    let passphrase = "hostile-sentinel-Passphrase-42";
    std::fs::write(dir.path().join("pass"), format!("{passphrase}\n")).unwrap();
    let server = HostileServer::start(&cert.cert, &cert.key, "SIM-0002", dir.path());
    let out = Command::new(accessory_bin())
        .arg("provision")
        .arg("--api-profile")
        .arg(&profile)
        .args(["--json", "--accessory", &server.addr().to_string()])
        .args(["--pin", &cert.pin()])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(dir.path().join("pass"))
        .args(["--deadline", "10"])
        .env_remove("ACCESSORY_LEDGER")
        .output()
        .unwrap();
    let ran = ran(out);
    assert_eq!(ran.code, 4, "{}", ran.text);
    assert_eq!(
        ran.json["code"], "accessory.device_id_mismatch",
        "{}",
        ran.text
    );
    assert_eq!(ran.json["credentials_sent"], false, "{}", ran.text);
    server.assert_nothing_secret(passphrase);
    assert_eq!(server.requests(), ["GET /v1/device"]);
}

#[test]
fn an_api_profile_with_protocol_esp_or_auto_is_refused_as_a_usage_conflict_before_any_contact() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let profile = profile_in(dir.path(), "bearer-token.toml");
    for protocol in ["esp", "auto"] {
        let run = ran(Command::new(accessory_bin())
            .args(["provision", "--protocol", protocol, "--api-profile"])
            .arg(&profile)
            .args(["--accessory", "127.0.0.1:9", "--pin", &"ab".repeat(32)])
            .args(["--network-ssid", "Home", "--network-passphrase-file"])
            .arg(&pass)
            .args(["--pop-file"])
            .arg(&pass)
            .output()
            .unwrap());
        assert_eq!(run.code, 2, "{protocol}: {}", run.text);
        assert!(
            run.text.contains("usage.conflict"),
            "{protocol}: {}",
            run.text
        );
    }
}
