//! Every `--json` command speaks JSON when it fails too: one object on stdout with the stable code
//! (issue 13 item 6), and clap's own usage errors carry a `usage.*` code.

use std::process::{Command, Output, Stdio};

use accessory_tests::provision::accessory_bin;

fn run(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_LEDGER")
        .env_remove("ACCESSORY_LOG")
        .env_remove("ACCESSORY_PROBE_PROFILES")
        .stdin(Stdio::null())
        .output()
        .expect("the accessory binary runs")
}

/// The failure on stdout as JSON, with its code, and the same code at the end of stderr's line.
#[track_caller]
fn assert_json_failure(args: &[&str], code: &str, status: i32) -> serde_json::Value {
    let out = run(args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(status),
        "{args:?}: {stdout}{stderr}"
    );
    let value: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {stdout:?} {stderr}"));
    assert_eq!(value["code"], code, "{args:?}: {value}");
    assert_eq!(value["status"], status, "{args:?}: {value}");
    assert!(
        value["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{value}"
    );
    assert!(stderr.contains(&format!("[{code}]")), "{args:?}: {stderr}");
    value
}

#[test]
fn every_json_command_prints_its_failure_as_json_with_its_code_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).display().to_string();
    let (ledger, store) = (d("ledger.sqlite3"), d("store"));
    let zero_pin = "0".repeat(64);
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap().to_string();
    drop(closed);

    assert_json_failure(&["probe", &closed_addr, "--json"], "net.refused", 5);
    assert_json_failure(
        &["trust", "lint", "/nonexistent.pem", "--json"],
        "input.not_found",
        3,
    );
    assert_json_failure(
        &["trust", "show", "nolabel", "--store", &store, "--json"],
        "store.not_found",
        3,
    );
    assert_json_failure(
        &[
            "trust",
            "verify",
            "/nonexistent.pem",
            "--pin",
            &zero_pin,
            "--json",
        ],
        "input.not_found",
        3,
    );
    assert_json_failure(
        &["trust", "fetch", &closed_addr, "--json"],
        "net.refused",
        5,
    );
    assert_json_failure(
        &["ledger", "show", "SIM-9999", "--ledger", &ledger, "--json"],
        "ledger.not_found",
        8,
    );
    assert_json_failure(&["sim", "--listen", "192.0.2.1:1", "--json"], "sim.bind", 8);
    assert_json_failure(
        &["sim", "--fault", "expird", "--json"],
        "sim.unknown_fault",
        3,
    );
    let mint = assert_json_failure(
        &[
            "certs",
            "mint",
            "--ca",
            &d("no-ca"),
            "--device-id",
            "SIM-0001",
            "--json",
        ],
        "certs.no_ca",
        3,
    );
    assert!(mint["fix"].is_string(), "{mint}");
}

#[test]
fn a_provisioning_failure_prints_one_json_document_not_two() {
    let out = run(&[
        "provision",
        "--accessory",
        "127.0.0.1:1",
        "--pin",
        &"0".repeat(64),
        "--network-ssid",
        "Home",
        "--network-security",
        "open",
        "--ledger",
        &tempfile::tempdir()
            .unwrap()
            .path()
            .join("l.db")
            .display()
            .to_string(),
        "--deadline",
        "1",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failure: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("one JSON document ({e}): {stdout}"));
    assert!(failure["code"].is_string(), "{failure}");
    assert!(failure["diagnosis"].is_object(), "{failure}");
}

#[test]
fn clap_usage_errors_carry_a_usage_code_on_stderr_and_as_json() {
    let out = run(&["provision", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[usage.unknown_argument]"), "{stderr}");
    assert!(out.stdout.is_empty());

    let value = assert_json_failure(
        &["provision", "--bogus", "--json"],
        "usage.unknown_argument",
        2,
    );
    assert!(
        value["error"].as_str().unwrap().contains("--bogus"),
        "{value}"
    );
    let value = assert_json_failure(&["certs", "mint", "--json"], "usage.missing_argument", 2);
    assert!(
        value["error"].as_str().unwrap().contains("--device-id"),
        "{value}"
    );
    assert_json_failure(
        &["probe", "x:1", "--timeout", "soon", "--json"],
        "usage.invalid_value",
        2,
    );
    assert_json_failure(&["nosuchcommand", "--json"], "usage.unknown_command", 2);
    // Help is not an error.
    let help = run(&["provision", "--help"]);
    assert_eq!(help.status.code(), Some(0));
}

#[test]
fn sim_list_faults_json_is_a_json_list_of_faults_with_their_descriptions() {
    let out = run(&["sim", "--list-faults", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON document");
    let faults = v["faults"].as_array().expect("a list of faults");
    let stall = faults
        .iter()
        .find(|f| f["fault"] == "stall")
        .expect("stall is listed");
    assert!(
        stall["description"].as_str().is_some_and(|s| !s.is_empty()),
        "{stall}"
    );
    assert!(faults.iter().any(|f| f["fault"] == "expired"));
}
