//! `accessory provision --protocol esp` against a device we did not write the crypto of:
//! tests/scripts/esp/sim_device.py, an ESP-IDF device in Python written from the ESP-IDF C sources
//! (protocomm_httpd, security1.c, security2.c/esp_srp.c, wifi_provisioning) on Espressif's own
//! Python security classes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use accessory_tests::esp::{python, script};
use accessory_tests::provision::accessory_bin;
use serde_json::Value;

/// Starts sim_device.py with `args` on a free port; returns it and its port.
fn reference_device(args: &[&str]) -> Option<(Child, u16)> {
    let python = python()?;
    let mut child = Command::new(python)
        .arg(script("sim_device.py"))
        .args(["--host", "127.0.0.1", "--port", "0", "--polls", "1"])
        .args(["--network", "Home:correct horse battery"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim_device.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "sim listening on 127.0.0.1:PORT sec=N tls=False"
    let port = line
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Some((child, port))
}

fn provision(port: u16, proof: &[&str], passphrase: &str) -> (bool, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, contents: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p.display().to_string()
    };
    let mut args: Vec<String> = [
        "provision",
        "--protocol",
        "esp",
        "--accessory",
        &format!("127.0.0.1:{port}"),
        "--network-ssid",
        "Home",
        "--network-passphrase-file",
        &file("home", passphrase),
        "--ledger",
        &dir.path().join("l.sqlite3").display().to_string(),
        "--deadline",
        "10",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    match proof {
        ["pop", pop] => args.extend(["--pop-file".into(), file("pop", pop)]),
        ["srp", user, password] => args.extend([
            "--esp-username".into(),
            user.to_string(),
            "--esp-password-file".into(),
            file("srp", password),
        ]),
        _ => unreachable!(),
    }
    let out = Command::new(accessory_bin()).args(&args).output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), json)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn accessory_provision_protocol_esp_provisions_the_reference_device_with_security_1() {
    let Some((device, port)) = reference_device(&["--sec", "1", "--pop", "abcd1234"]) else {
        return;
    };
    let (ok, json) = provision(port, &["pop", "abcd1234"], "correct horse battery");
    stop(device);
    assert!(ok, "{json}");
    assert_eq!(json["ssid"], "Home", "{json}");
}

#[test]
fn accessory_provision_protocol_esp_provisions_the_reference_device_with_security_2() {
    let args = [
        "--sec",
        "2",
        "--username",
        "wifiprov",
        "--password",
        "a long test password",
    ];
    let Some((device, port)) = reference_device(&args) else {
        return;
    };
    let (ok, json) = provision(
        port,
        &["srp", "wifiprov", "a long test password"],
        "correct horse battery",
    );
    stop(device);
    assert!(ok, "{json}");
    assert_eq!(json["ssid"], "Home", "{json}");
}

#[test]
fn the_reference_device_refuses_a_wrong_pop_and_gets_no_passphrase() {
    let Some((device, port)) = reference_device(&["--sec", "1", "--pop", "abcd1234"]) else {
        return;
    };
    let (ok, json) = provision(port, &["pop", "not the pop"], "correct horse battery");
    stop(device);
    assert!(!ok, "{json}");
    assert_eq!(json["code"], "accessory.pop_rejected", "{json}");
    assert_eq!(json["credentials_sent"], false, "{json}");
}

#[test]
fn the_reference_device_reports_auth_error_as_auth_failed() {
    let Some((device, port)) = reference_device(&["--sec", "1", "--pop", "abcd1234"]) else {
        return;
    };
    let (ok, json) = provision(port, &["pop", "abcd1234"], "not the passphrase");
    stop(device);
    assert!(!ok, "{json}");
    assert_eq!(json["code"], "accessory.auth_failed", "{json}");
}
