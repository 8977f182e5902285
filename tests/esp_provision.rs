//! `accessory provision --protocol esp` (the real binary) against the simulated ESP-IDF accessory
//! over plain HTTP: provisioned with security 1 and 2, the attempt in the ledger, each device
//! failure diagnosed, and nothing secret sent when the session is refused.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Output;

use accessory_sim::{EspAuth, EspOptions, EspTransport, Scenario};
use accessory_tests::esp::EspServed;
use accessory_tests::provision::accessory_bin;
use provision::{AttemptOutcome, Ledger};
use serde_json::Value;

const POP: &str = "abcd1234";
const USER: &str = "wifiprov";
const PASSWORD: &str = "a long test password";
const HOME_PASSPHRASE: &str = "correct horse battery";

fn served(auth: EspAuth, stuck: bool, faults: &[&str]) -> EspServed {
    served_over(EspTransport::Http, auth, stuck, faults)
}

fn served_over(transport: EspTransport, auth: EspAuth, stuck: bool, faults: &[&str]) -> EspServed {
    let mut scenario = Scenario::good("ESP-0001").with_connect_delay_ms(50);
    for f in faults {
        scenario = scenario.with_fault(f.parse().expect("a known fault"));
    }
    EspServed::start_with(
        scenario,
        EspOptions {
            auth,
            transport,
            stuck_connecting: stuck,
        },
    )
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("writing a test file");
    path.display().to_string()
}

/// Runs `accessory provision --protocol esp --json` against `served`; `proof` is the PoP (security
/// 1) or the SRP password (security 2).
fn provision(
    served: &EspServed,
    sec2: bool,
    proof: &str,
    ssid: &str,
    passphrase: &str,
    extra: &[&str],
) -> (Output, Value) {
    provision_as("esp", served, sec2, proof, ssid, passphrase, extra)
}

/// As [`provision`], with `--protocol protocol` (`auto` gives no `--esp-transport`).
fn provision_as(
    protocol: &str,
    served: &EspServed,
    sec2: bool,
    proof: &str,
    ssid: &str,
    passphrase: &str,
    extra: &[&str],
) -> (Output, Value) {
    let dir = served.dir.path();
    let mut args: Vec<String> = vec![
        "provision".into(),
        "--protocol".into(),
        protocol.into(),
        "--accessory".into(),
        served.addr().to_string(),
        "--device-id".into(),
        "ESP-0001".into(),
        "--network-ssid".into(),
        ssid.into(),
        "--network-passphrase-file".into(),
        write(dir, "home.passphrase", passphrase),
        "--ledger".into(),
        dir.join("ledger.sqlite3").display().to_string(),
        "--deadline".into(),
        "3".into(),
        "--json".into(),
    ];
    if sec2 {
        args.extend([
            "--esp-username".into(),
            USER.into(),
            "--esp-password-file".into(),
            write(dir, "srp.txt", proof),
        ]);
    } else {
        args.extend(["--pop-file".into(), write(dir, "pop.txt", proof)]);
    }
    if served.sim().transport() == EspTransport::Https {
        if protocol == "esp" {
            args.extend(["--esp-transport".into(), "https".into()]);
        }
        args.extend(["--anchors".into(), served.anchors().display().to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = std::process::Command::new(accessory_bin())
        .args(&args)
        .output()
        .expect("run accessory");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON on stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

fn attempts(served: &EspServed) -> Vec<provision::AttemptRecord> {
    Ledger::open(served.dir.path().join("ledger.sqlite3"))
        .expect("the ledger opens")
        .attempts(Some("ESP-0001"))
        .expect("attempts")
}

fn provisions(auth: EspAuth, sec2: bool, proof: &str) {
    let served = served(auth, false, &[]);
    let (out, json) = provision(&served, sec2, proof, "Home", HOME_PASSPHRASE, &[]);
    assert!(
        out.status.success(),
        "{json}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json["ssid"], "Home", "{json}");
    assert_eq!(json["ip"], "192.168.1.50", "{json}");
    assert_eq!(served.sim().credentials_received(), 1);
    let attempts = attempts(&served);
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].outcome, AttemptOutcome::Connected);
    assert_eq!(attempts[0].ssid, "Home");
}

#[test]
fn accessory_provision_protocol_esp_provisions_the_simulated_esp_accessory_with_security_1() {
    provisions(EspAuth::sec1(POP), false, POP);
}

#[test]
fn accessory_provision_protocol_esp_provisions_the_simulated_esp_accessory_with_security_2() {
    provisions(EspAuth::sec2(USER, PASSWORD), true, PASSWORD);
}

#[test]
fn accessory_provision_protocol_esp_over_https_checks_the_certificate_and_records_the_key() {
    let served = served_over(
        EspTransport::Https,
        EspAuth::sec2(USER, PASSWORD),
        false,
        &[],
    );
    let (out, json) = provision(&served, true, PASSWORD, "Home", HOME_PASSPHRASE, &[]);
    assert!(
        out.status.success(),
        "{json}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pin = served.sim().pin().expect("HTTPS has a key").to_string();
    assert_eq!(json["pin"], pin.as_str(), "{json}");
    let record = Ledger::open(served.dir.path().join("ledger.sqlite3"))
        .unwrap()
        .accessory("ESP-0001")
        .unwrap()
        .expect("the key is recorded");
    assert_eq!(record.pin, pin);
    assert_eq!(served.sim().credentials_received(), 1);
}

#[test]
fn an_esp_accessory_with_an_expired_certificate_over_https_is_refused_before_the_session() {
    let served = served_over(EspTransport::Https, EspAuth::sec1(POP), false, &["expired"]);
    let json = fails_with(&served, false, POP, "Home", HOME_PASSPHRASE, "cert.expired");
    assert_eq!(json["credentials_sent"], false, "{json}");
    assert_eq!(json["step"], "handshake", "{json}");
    assert_eq!(served.sim().credentials_received(), 0);
}

#[test]
fn an_esp_accessory_over_https_for_another_device_id_is_refused_before_the_session() {
    // The certificate names ESP-0002; the label (--device-id) says ESP-0001.
    let served = EspServed::start_with(
        Scenario::good("ESP-0002"),
        EspOptions {
            auth: EspAuth::sec1(POP),
            transport: EspTransport::Https,
            stuck_connecting: false,
        },
    );
    let (out, json) = provision(&served, false, POP, "Home", HOME_PASSPHRASE, &[]);
    assert!(!out.status.success(), "{json}");
    assert_eq!(json["step"], "handshake", "{json}");
    assert_eq!(json["credentials_sent"], false, "{json}");
    assert_eq!(served.sim().credentials_received(), 0);
    assert!(served.sim().closed_with().is_empty());
}

/// A failure: the exit status is not success, the diagnosis code is `code`, the ledger has the
/// failed attempt with that code.
fn fails_with(
    served: &EspServed,
    sec2: bool,
    proof: &str,
    ssid: &str,
    passphrase: &str,
    code: &str,
) -> Value {
    let (out, json) = provision(served, sec2, proof, ssid, passphrase, &[]);
    assert!(!out.status.success(), "{json}");
    assert_eq!(json["code"], code, "{json}");
    let attempts = attempts(served);
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].outcome, AttemptOutcome::Failed);
    assert_eq!(attempts[0].diagnosis.as_deref(), Some(code));
    json
}

#[test]
fn a_wrong_pop_is_refused_by_the_esp_accessory_and_no_passphrase_is_sent() {
    let served = served(EspAuth::sec1(POP), false, &[]);
    let json = fails_with(
        &served,
        false,
        "not the pop",
        "Home",
        HOME_PASSPHRASE,
        "accessory.pop_rejected",
    );
    assert_eq!(json["credentials_sent"], false, "{json}");
    assert_eq!(served.sim().credentials_received(), 0);
    assert_eq!(served.sim().closed_with().len(), 1);
}

#[test]
fn a_wrong_srp_password_is_refused_by_the_esp_accessory_and_no_passphrase_is_sent() {
    let served = served(EspAuth::sec2(USER, PASSWORD), false, &[]);
    let json = fails_with(
        &served,
        true,
        "not the password",
        "Home",
        HOME_PASSPHRASE,
        "accessory.pop_rejected",
    );
    assert_eq!(json["credentials_sent"], false, "{json}");
    assert_eq!(served.sim().credentials_received(), 0);
}

#[test]
fn a_wrong_pop_over_https_is_refused_by_the_esp_accessory_and_no_passphrase_is_sent() {
    let served = served_over(EspTransport::Https, EspAuth::sec1(POP), false, &[]);
    let json = fails_with(
        &served,
        false,
        "not the pop",
        "Home",
        HOME_PASSPHRASE,
        "accessory.pop_rejected",
    );
    assert_eq!(json["credentials_sent"], false, "{json}");
    assert_eq!(served.sim().credentials_received(), 0);
}

#[test]
fn an_esp_accessory_reporting_auth_error_is_diagnosed_auth_failed() {
    let served = served(EspAuth::sec1(POP), false, &[]);
    let json = fails_with(
        &served,
        false,
        POP,
        "Home",
        "not the passphrase",
        "accessory.auth_failed",
    );
    assert_eq!(json["credentials_sent"], true, "{json}");
}

#[test]
fn an_esp_accessory_reporting_network_not_found_is_diagnosed_network_not_found() {
    let served = served(EspAuth::sec2(USER, PASSWORD), false, &["network-not-found"]);
    fails_with(
        &served,
        true,
        PASSWORD,
        "Home",
        HOME_PASSPHRASE,
        "accessory.network_not_found",
    );
}

#[test]
fn an_esp_accessory_stuck_connecting_ends_at_the_deadline_in_the_status_step() {
    let served = served(EspAuth::sec1(POP), true, &[]);
    let json = fails_with(
        &served,
        false,
        POP,
        "Home",
        HOME_PASSPHRASE,
        "provision.deadline",
    );
    assert_eq!(json["step"], "status", "{json}");
}

/// A device that offers security 0 (no proof, plaintext) gets nothing: refused after `proto-ver`,
/// like a certificate verifier that would accept anything. The fake device logs every byte.
#[test]
fn an_esp_accessory_offering_security_0_is_refused_before_anything_secret_is_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let device = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let n = tcp.read(&mut buf).unwrap_or(0);
        seen.extend_from_slice(&buf[..n]);
        let body = br#"{"prov":{"ver":"v1.1","sec_ver":0,"cap":["wifi_scan"]}}"#;
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        tcp.write_all(head.as_bytes()).unwrap();
        tcp.write_all(body).unwrap();
        while let Ok(n) = tcp.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    });
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(accessory_bin())
        .args([
            "provision",
            "--protocol",
            "esp",
            "--accessory",
            &addr.to_string(),
            "--network-ssid",
            "Home",
            "--network-passphrase-file",
            &write(dir.path(), "p", HOME_PASSPHRASE),
            "--pop-file",
            &write(dir.path(), "pop", POP),
            "--ledger",
            &dir.path().join("l.sqlite3").display().to_string(),
            "--deadline",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON failure");
    assert!(!out.status.success());
    assert_eq!(json["code"], "accessory.pop_required", "{json}");
    assert_eq!(json["credentials_sent"], false, "{json}");
    let seen = String::from_utf8_lossy(&device.join().unwrap()).into_owned();
    assert!(seen.starts_with("POST /proto-ver "), "{seen}");
    assert!(
        !seen.contains("prov-session") && !seen.contains("prov-config"),
        "{seen}"
    );
    assert!(
        !seen.contains(HOME_PASSPHRASE) && !seen.contains(POP),
        "{seen}"
    );
}

/// `accessory sim --protocol esp --json` prints a `provision` command; run as printed (plus a
/// ledger and --json), it provisions the accessory.
fn the_printed_command_provisions(sim_args: &[&str]) {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("handout").display().to_string();
    let mut child = std::process::Command::new(accessory_bin())
        .args([
            "sim",
            "--protocol",
            "esp",
            "--listen",
            "127.0.0.1:0",
            "--json",
            "--out",
            &out,
        ])
        .args(sim_args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("accessory sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let startup: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let command = startup["provision"].as_str().unwrap().to_owned();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(
        &words[..4],
        ["accessory", "provision", "--protocol", "esp"],
        "{command}"
    );
    let ledger = dir.path().join("ledger.sqlite3").display().to_string();
    let run = std::process::Command::new(accessory_bin())
        .args(&words[1..])
        .args(["--ledger", &ledger, "--deadline", "10", "--json"])
        .output()
        .unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let json: Value = serde_json::from_slice(&run.stdout).expect("JSON outcome");
    assert!(run.status.success(), "{command}\n{json}");
    assert_eq!(json["ssid"], "Home", "{json}");
}

#[test]
fn the_command_accessory_sim_protocol_esp_prints_provisions_it_with_security_1_over_http() {
    the_printed_command_provisions(&["--esp-security", "1", "--pop-code", "label-1234"]);
}

#[test]
fn the_command_accessory_sim_protocol_esp_prints_provisions_it_with_security_2_over_https() {
    the_printed_command_provisions(&["--esp-security", "2", "--esp-transport", "https"]);
}

/// `--protocol auto` against `served`: provisioned as ESP-IDF, one network sent, one attempt.
fn auto_detects_and_provisions(served: EspServed, sec2: bool, proof: &str) {
    let (out, json) = provision_as("auto", &served, sec2, proof, "Home", HOME_PASSPHRASE, &[]);
    assert!(
        out.status.success(),
        "{json}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json["device"]["api"]["esp"].is_string(), "{json}");
    assert_eq!(served.sim().credentials_received(), 1);
    let attempts = attempts(&served);
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].outcome, AttemptOutcome::Connected);
}

#[test]
fn protocol_auto_detects_an_esp_device_over_http_with_security_1_and_provisions_it() {
    auto_detects_and_provisions(served(EspAuth::sec1(POP), false, &[]), false, POP);
}

#[test]
fn protocol_auto_detects_an_esp_device_over_https_with_security_2_and_provisions_it() {
    let served = served_over(
        EspTransport::Https,
        EspAuth::sec2(USER, PASSWORD),
        false,
        &[],
    );
    auto_detects_and_provisions(served, true, PASSWORD);
}

#[test]
fn protocol_auto_sends_nothing_to_an_esp_device_over_https_whose_certificate_is_refused() {
    // The certificate names ESP-0002; the label says ESP-0001: detection's TLS session is refused,
    // so neither proto-ver nor the session nor the network reach the device.
    let served = EspServed::start_with(
        Scenario::good("ESP-0002"),
        EspOptions {
            auth: EspAuth::sec1(POP),
            transport: EspTransport::Https,
            stuck_connecting: false,
        },
    );
    let (out, json) = provision_as("auto", &served, false, POP, "Home", HOME_PASSPHRASE, &[]);
    assert!(!out.status.success(), "{json}");
    assert_eq!(json["step"], "handshake", "{json}");
    assert_eq!(json["credentials_sent"], false, "{json}");
    assert_eq!(served.sim().credentials_received(), 0);
    assert!(served.sim().closed_with().is_empty());
}

#[test]
fn protocol_auto_asks_for_the_proof_when_it_finds_an_esp_device_and_none_was_given() {
    let served = served(EspAuth::sec2(USER, PASSWORD), false, &[]);
    let dir = served.dir.path();
    let out = std::process::Command::new(accessory_bin())
        .args(["provision", "--protocol", "auto", "--accessory"])
        .arg(served.addr().to_string())
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(write(dir, "home.passphrase", HOME_PASSPHRASE))
        .args(["--deadline", "3", "--json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).expect("a JSON failure");
    assert!(!out.status.success(), "{json}");
    assert_eq!(json["code"], "provision.invalid_request", "{json}");
    let text = json.to_string();
    assert!(
        text.contains("security 2") && text.contains("--esp-password-file"),
        "{json}"
    );
    assert_eq!(served.sim().credentials_received(), 0);
}
