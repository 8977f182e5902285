//! `accessory certs` as a manufacturing line and a script use it: the real binary, real files, and
//! openssl checking what it minted.

use std::path::Path;

use accessory_tests::provision::accessory_bin;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_CA_DIR")
        .output()
        .expect("accessory runs")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

#[track_caller]
fn assert_status(out: &Output, status: i32, code: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "stderr: {stderr}");
    if !code.is_empty() {
        assert!(stderr.contains(&format!("[{code}]")), "stderr: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[cfg(unix)]
#[track_caller]
fn assert_owner_only(p: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", p.display());
}

#[test]
fn ca_init_writes_owner_only_keys_and_refuses_to_overwrite_them_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("factory-ca");
    let out = run(&[
        "certs",
        "ca",
        "init",
        "--ca",
        path(&ca),
        "--organization",
        "Acme Plugs",
        "--json",
    ]);
    assert_status(&out, 0, "");
    let summary = json(&out);
    assert_eq!(summary["organization"], "Acme Plugs");
    assert!(summary["root_pin"].as_str().unwrap().starts_with("sha256/"));
    #[cfg(unix)]
    {
        assert_owner_only(&ca.join("root-key.pem"));
        assert_owner_only(&ca.join("intermediate-key.pem"));
    }
    let key_before = std::fs::read(ca.join("intermediate-key.pem")).unwrap();

    let again = run(&["certs", "ca", "init", "--ca", path(&ca)]);
    assert_status(&again, 8, "certs.exists");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read(ca.join("intermediate-key.pem")).unwrap(),
        key_before
    );

    let forced = run(&["certs", "ca", "init", "--ca", path(&ca), "--force"]);
    assert_status(&forced, 0, "");
    assert_ne!(
        std::fs::read(ca.join("intermediate-key.pem")).unwrap(),
        key_before
    );
}

#[test]
fn minted_device_certificate_verifies_with_openssl_against_the_manufacturer_root() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca");
    assert_status(&run(&["certs", "ca", "init", "--ca", path(&ca)]), 0, "");
    let unit = dir.path().join("PLUG-0042");
    let out = run(&[
        "certs",
        "mint",
        "--ca",
        path(&ca),
        "--device-id",
        "PLUG-0042",
        "--out",
        path(&unit),
        "--json",
    ]);
    assert_status(&out, 0, "");
    let summary = json(&out);
    assert_eq!(summary["device_id"], "PLUG-0042");
    #[cfg(unix)]
    assert_owner_only(&unit.join("key.pem"));

    if !accessory_tests::skip::require_tool("openssl") {
        return;
    }
    // The chain file is leaf + intermediate, as the device serves it.
    let verified = Command::new("openssl")
        .args([
            "verify",
            "-CAfile",
            path(&ca.join("root.pem")),
            "-untrusted",
            path(&unit.join("chain.pem")),
            "-purpose",
            "sslserver",
            "-verify_hostname",
            "PLUG-0042.accessory.local",
            "-verify_ip",
            "192.168.4.1",
            "-auth_level",
            "2",
            path(&unit.join("leaf.pem")),
        ])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    let key_pub = Command::new("openssl")
        .args(["pkey", "-pubout", "-in", path(&unit.join("key.pem"))])
        .output()
        .unwrap();
    let cert_pub = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-pubkey",
            "-in",
            path(&unit.join("leaf.pem")),
        ])
        .output()
        .unwrap();
    assert_eq!(key_pub.stdout, cert_pub.stdout, "key.pem is the leaf's key");
}

#[test]
fn mint_keeps_an_existing_device_key_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca");
    assert_status(&run(&["certs", "ca", "init", "--ca", path(&ca)]), 0, "");
    let unit = dir.path().join("unit");
    let mint = |force: bool| {
        let mut args = vec![
            "certs",
            "mint",
            "--ca",
            path(&ca),
            "--device-id",
            "PLUG-0043",
            "--out",
            path(&unit),
        ];
        if force {
            args.push("--force");
        }
        run(&args)
    };
    assert_status(&mint(false), 0, "");
    let key = std::fs::read(unit.join("key.pem")).unwrap();
    assert_status(&mint(false), 8, "certs.exists");
    assert_eq!(std::fs::read(unit.join("key.pem")).unwrap(), key);
    assert_status(&mint(true), 0, "");
    assert_ne!(std::fs::read(unit.join("key.pem")).unwrap(), key);
}

#[test]
fn mint_refuses_bad_device_ids_long_validity_and_a_missing_ca_with_stable_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca");
    let missing = run(&["certs", "mint", "--ca", path(&ca), "--device-id", "PLUG-1"]);
    assert_status(&missing, 3, "certs.no_ca");

    assert_status(&run(&["certs", "ca", "init", "--ca", path(&ca)]), 0, "");
    let out = dir.path().join("out");
    let bad_id = run(&[
        "certs",
        "mint",
        "--ca",
        path(&ca),
        "--device-id",
        "plug 1",
        "--out",
        path(&out),
    ]);
    assert_status(&bad_id, 2, "certs.invalid_device_id");
    let too_long = run(&[
        "certs",
        "mint",
        "--ca",
        path(&ca),
        "--device-id",
        "PLUG-1",
        "--days",
        "900",
        "--out",
        path(&out),
    ]);
    assert_status(&too_long, 2, "certs.invalid_validity");
    assert!(
        !out.join("key.pem").exists(),
        "nothing is written for a refused request"
    );
}

#[test]
fn catalogue_command_writes_the_manifest_and_refuses_to_overwrite_it_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalogue");
    let first = run(&[
        "certs",
        "catalogue",
        "--out",
        path(&out),
        "--device-id",
        "SIM-0007",
        "--json",
    ]);
    assert_status(&first, 0, "");
    let manifest = json(&first);
    assert_eq!(manifest["device_id"], "SIM-0007");
    assert_eq!(
        manifest["profiles"].as_array().unwrap().len(),
        certs::profiles().len()
    );
    assert!(out.join("manifest.json").is_file());
    assert!(out.join("good-chain").join("chain.pem").is_file());

    assert_status(
        &run(&["certs", "catalogue", "--out", path(&out)]),
        8,
        "certs.exists",
    );
    assert_status(
        &run(&["certs", "catalogue", "--out", path(&out), "--force"]),
        0,
        "",
    );
}

#[test]
fn profiles_command_lists_every_profile_and_the_wrong_key_fault_as_json() {
    let out = run(&["certs", "profiles", "--json"]);
    assert_status(&out, 0, "");
    let list = json(&out);
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), certs::profiles().len() + 1);
    assert!(names.iter().any(|n| n == "wrong-key"));
    assert!(names.iter().any(|n| n == "rsa-1024"));
}
