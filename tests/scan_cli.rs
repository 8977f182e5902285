//! `accessory scan` as the real binary, without root: the sim backend reads the SoftAP registry
//! (here one of our own, as `accessory sim softap` writes it); the table and the JSON say the same.
//! With a running namespace SoftAP (root) it is in softap_cli.

use std::process::Command;

use accessory_tests::provision::accessory_bin;

fn entry(id: &str, ssid: &str, signal: i32, ready: bool) -> String {
    let e = protocol::softap::RegistryEntry {
        version: protocol::softap::FORMAT_VERSION,
        id: id.into(),
        ssid: ssid.into(),
        security: protocol::Security::Open,
        psk: None,
        signal_dbm: signal,
        channel: 6,
        namespace: format!("asap-{id}"),
        accessory_interface: format!("as{id}a"),
        station_interface: format!("as{id}s"),
        accessory_address: "192.168.4.1".into(),
        prefix_len: 24,
        port: 443,
        owner_pid: std::process::id(),
        owner_start: 0,
        ready,
    };
    e.to_json()
}

fn scan(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(accessory_bin())
        .args(["scan", "--wifi", "sim"])
        .args(extra)
        .env(protocol::softap::DIR_ENV, dir)
        .output()
        .expect("accessory scan runs")
}

#[test]
fn scan_lists_the_registrys_ready_softaps_strongest_first_as_accessories() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a1.json"),
        entry("a1", "Accessory-0001", -70, true),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a2.json"),
        entry("a2", "Acme-3F2A", -40, true),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a3.json"),
        entry("a3", "Accessory-0003", -30, false),
    )
    .unwrap();
    let out = scan(dir.path(), &["--json"]);
    assert!(out.status.success(), "{out:?}");
    let seen: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ssids: Vec<&str> = seen.iter().map(|n| n["ssid"].as_str().unwrap()).collect();
    // The half-built a3 is not advertised yet.
    assert_eq!(ssids, ["Acme-3F2A", "Accessory-0001"]);
    assert!(seen.iter().all(|n| n["accessory"] == true), "{seen:?}");
    assert_eq!(seen[0]["signal_dbm"], -40);
    assert_eq!(seen[0]["security"], "open");
    let text = String::from_utf8(scan(dir.path(), &[]).stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows[0].starts_with("SSID") && rows[0].ends_with("ACCESSORY"),
        "{text}"
    );
    assert!(
        rows[1].starts_with("Acme-3F2A") && rows[1].contains("-40 dBm"),
        "{text}"
    );
    assert!(rows[1].ends_with("yes"), "{text}");
}

#[test]
fn scan_of_an_empty_registry_says_so_and_none_is_not_a_scanning_backend() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(dir.path(), &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no networks seen"
    );
    assert_eq!(
        String::from_utf8_lossy(&scan(dir.path(), &["--json"]).stdout).trim(),
        "[]"
    );
    let out = Command::new(accessory_bin())
        .args(["scan", "--wifi", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn scan_with_an_unreachable_backend_fails_as_json_with_wifi_backend() {
    let out = Command::new(accessory_bin())
        .args([
            "scan",
            "--wifi",
            "wpa_supplicant",
            "--interface",
            "nosuch0",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "wifi.backend", "{v}");
    assert!(v["error"].as_str().unwrap().contains("nosuch0"), "{v}");
}
