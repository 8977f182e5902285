//! `accessory provision` without `--network-ssid`: on a terminal (a pty driven by python3's `pty`
//! module) it lists the networks the verified accessory sees (through an API profile's networks
//! list under `--api-profile`) and sends the one chosen; without a terminal, or with --json, under
//! a profile without a networks list, or with `--protocol esp`, it is `usage.no_network` and
//! nothing is asked of the accessory. After a SoftAP join: `network_choice_softap.rs`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use accessory_tests::provision::accessory_bin;
use serde_json::Value;

/// `accessory sim --json` on a free port: the process and its startup JSON.
fn sim(out: &std::path::Path) -> (Child, Value) {
    sim_with(out, &[])
}

/// `accessory sim --json` with `extra` flags on a free port.
fn sim_with(out: &std::path::Path, extra: &[&std::ffi::OsStr]) -> (Child, Value) {
    let mut child = Command::new(accessory_bin())
        .args(["sim", "--listen", "127.0.0.1:0", "--json", "--out"])
        .arg(out)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

/// Runs `argv` on a pty; answers `answer` once `prompt` shows. Prints what the pty showed, and
/// exits with the program's status.
pub(crate) const PTY: &str = r#"
import os, pty, select, sys, time
prompt, answer, argv = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, sent, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    if fd in select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not sent and prompt in out:
            os.write(fd, answer)
            sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;

#[test]
fn on_a_terminal_provision_lists_the_accessorys_networks_and_sends_the_one_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, info) = sim(&dir.path().join("sim"));
    let passphrase = std::fs::read_to_string(dir.path().join("sim/Home.passphrase")).unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let out = Command::new("python3")
        .args(["-c", PTY, "Home network [", "1\n"])
        .arg(accessory_bin())
        .args(["provision", "--accessory", info["addr"].as_str().unwrap()])
        .args([
            "--pin",
            info["pin"].as_str().unwrap(),
            "--device-id",
            "SIM-0001",
        ])
        .arg("--ledger")
        .arg(&ledger)
        .env("ACCESSORY_NETWORK_PASSPHRASE", passphrase.trim())
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}\n{shown}");
    // The simulator's networks, strongest first; the first chosen, and joined.
    let home = shown
        .find("  1  Home ")
        .unwrap_or_else(|| panic!("{shown}"));
    let cafe = shown
        .find("  3  Cafe ")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(home < cafe, "{shown}");
    assert!(shown.contains("joined Home as"), "{shown}");
}

#[test]
fn without_a_terminal_or_with_json_a_missing_network_ssid_is_usage_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, info) = sim(&dir.path().join("sim"));
    let out = Command::new(accessory_bin())
        .args(["provision", "--accessory", info["addr"].as_str().unwrap()])
        .args(["--pin", info["pin"].as_str().unwrap(), "--json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "usage.no_network", "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("--network-ssid"),
        "{v}"
    );
}

/// A shipped profile (`profiles/NAME`).
fn shipped_profile(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profiles")
        .join(name)
}

#[test]
fn under_an_api_profile_with_a_networks_list_the_choice_comes_from_the_profiles_list() {
    let dir = tempfile::tempdir().unwrap();
    let profile = shipped_profile("shelly-gen2-like.toml");
    let (mut child, info) = sim_with(
        &dir.path().join("sim"),
        &["--api-profile".as_ref(), profile.as_os_str()],
    );
    let passphrase = std::fs::read_to_string(dir.path().join("sim/Home.passphrase")).unwrap();
    let out = Command::new("python3")
        .args(["-c", PTY, "Home network [", "1\n"])
        .arg(accessory_bin())
        .args(["provision", "--accessory", info["addr"].as_str().unwrap()])
        .args([
            "--pin",
            info["pin"].as_str().unwrap(),
            "--device-id",
            "SIM-0001",
        ])
        .arg("--api-profile")
        .arg(&profile)
        .arg("--ledger")
        .arg(dir.path().join("ledger.sqlite3"))
        .env("ACCESSORY_NETWORK_PASSPHRASE", passphrase.trim())
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}\n{shown}");
    // The simulator under this profile answers only the profile's paths (404 for
    // /v1/networks): the list came from POST /rpc/WiFi.Scan, read through its members.
    let home = shown
        .find("  1  Home ")
        .unwrap_or_else(|| panic!("{shown}"));
    let cafe = shown
        .find("  3  Cafe ")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(home < cafe, "{shown}");
    assert!(shown.contains("joined Home as"), "{shown}");
}

#[test]
fn under_an_api_profile_without_a_networks_list_a_missing_network_ssid_is_usage_no_network_saying_so(
) {
    // Nothing listens on port 9: the refusal comes before any contact.
    let out = Command::new(accessory_bin())
        .args(["provision", "--accessory", "127.0.0.1:9"])
        .args(["--pin", &"0".repeat(64), "--json"])
        .arg("--api-profile")
        .arg(shipped_profile("setup-cgi-plug.toml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "usage.no_network", "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("has no networks list"), "{v}");
    assert!(error.contains("--network-ssid"), "{v}");
}

#[test]
fn with_protocol_esp_a_missing_network_ssid_is_usage_no_network_naming_prov_scan() {
    let out = Command::new(accessory_bin())
        .args([
            "provision",
            "--accessory",
            "127.0.0.1:9",
            "--protocol",
            "esp",
        ])
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "usage.no_network", "{v}");
    assert!(v["error"].as_str().unwrap().contains("prov-scan"), "{v}");
}

#[test]
fn under_a_static_header_profile_the_networks_list_is_asked_with_the_header_and_read_by_its_members(
) {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("bearer-token.toml");
    std::fs::copy(shipped_profile("bearer-token.toml"), &profile).unwrap();
    std::fs::write(
        dir.path().join("bearer-token.secret"),
        "factory-token-0042\n",
    )
    .unwrap();
    let (mut child, info) = sim_with(
        &dir.path().join("sim"),
        &["--api-profile".as_ref(), profile.as_os_str()],
    );
    let passphrase = std::fs::read_to_string(dir.path().join("sim/Home.passphrase")).unwrap();
    let run = |token: &str| {
        std::fs::write(dir.path().join("bearer-token.secret"), token).unwrap();
        Command::new("python3")
            .args(["-c", PTY, "Home network [", "1\n"])
            .arg(accessory_bin())
            .args(["provision", "--accessory", info["addr"].as_str().unwrap()])
            .args([
                "--pin",
                info["pin"].as_str().unwrap(),
                "--device-id",
                "SIM-0001",
            ])
            .arg("--api-profile")
            .arg(&profile)
            .arg("--ledger")
            .arg(dir.path().join("ledger.sqlite3"))
            .env("ACCESSORY_NETWORK_PASSPHRASE", passphrase.trim())
            .output()
            .unwrap()
    };
    // The simulator checks the header on the networks request (401 without it).
    let wrong = run("not-the-token\n");
    let out = run("factory-token-0042\n");
    let _ = child.kill();
    let _ = child.wait();
    let refused = String::from_utf8_lossy(&wrong.stdout);
    assert_eq!(wrong.status.code(), Some(6), "{refused}");
    assert!(refused.contains("accessory.header_rejected"), "{refused}");
    assert!(
        !refused.contains("Networks the accessory sees"),
        "{refused}"
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}\n{shown}");
    // Signal and security read through the profile's `signal` and `security` members.
    let home = shown
        .find("  1  Home ")
        .unwrap_or_else(|| panic!("{shown}"));
    let line = &shown[home..shown[home..].find('\n').map_or(shown.len(), |e| home + e)];
    assert!(line.contains("dBm  wpa2-psk"), "{line}");
    assert!(!line.contains(" 0 dBm"), "{line}");
    assert!(shown.contains("joined Home as"), "{shown}");
}
