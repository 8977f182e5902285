//! `accessory trust inspect|pin|verify` as the real binary: every kind of bad input is one line
//! naming the file and the problem, with a stable code and exit status 3; verdicts exit 0 or 1.

use std::path::Path;
use std::process::{Command, Output};

use accessory_tests::provision::accessory_bin;

fn accessory(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .output()
        .expect("running the accessory binary")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

#[track_caller]
fn assert_bad_input(file: &Path, code: &str) {
    let out = accessory(&["trust", "inspect", text(file)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{code}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(text(file)), "names the file: {stderr}");
    assert!(
        stderr.contains(&format!("[{code}]")),
        "carries {code}: {stderr}"
    );
    assert!(out.stdout.is_empty(), "prints nothing on stdout");
}

#[test]
fn each_kind_of_bad_input_is_one_line_naming_the_file_with_its_code_and_status_3() {
    let dir = tempfile::tempdir().unwrap();
    let material = certs::generate("good-chain", &certs::Options::new("SIM-0001")).unwrap();
    let der = material.chain[0].to_vec();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };

    assert_bad_input(&write("empty.pem", b""), "input.empty");
    assert_bad_input(
        &write("garbage.pem", b"this is not a certificate\n"),
        "input.not_a_certificate",
    );
    assert_bad_input(
        &write("truncated.der", &der[..der.len() - 40]),
        "input.truncated_der",
    );
    assert_bad_input(
        &write("key.pem", material.key_pem().as_bytes()),
        "input.private_key_only",
    );
    assert_bad_input(dir.path(), "input.is_a_directory");
    assert_bad_input(&dir.path().join("missing.pem"), "input.not_found");

    // 50 MB, sparse: the size alone refuses it, nothing is read.
    let huge = dir.path().join("huge.pem");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    assert_bad_input(&huge, "input.too_large");
}

#[test]
fn inspect_and_pin_agree_with_the_pin_the_certificate_was_made_with() {
    let dir = tempfile::tempdir().unwrap();
    let material = certs::generate("good-chain", &certs::Options::new("SIM-0001")).unwrap();
    material.write_to(dir.path()).unwrap();
    let chain = dir.path().join(certs::file::CHAIN);

    let out = accessory(&["trust", "pin", "--json", text(&chain)]);
    assert_eq!(out.status.code(), Some(0));
    let pin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pin["pin"], material.pin.as_str());
    assert_eq!(
        pin["curl"],
        material.pin.replacen("sha256/", "sha256//", 1).as_str()
    );

    let out = accessory(&["trust", "inspect", "--json", text(&chain)]);
    assert_eq!(out.status.code(), Some(0));
    let certs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(certs.as_array().unwrap().len(), material.chain.len());
    assert_eq!(certs[0]["pin"], material.pin.as_str());
    assert_eq!(certs[0]["dns_names"][0], "SIM-0001.accessory.local");
}

fn verify(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["trust", "verify", "--json"];
    all.extend_from_slice(args);
    let out = accessory(&all);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn an_expired_certificate_is_refused_by_anchors_and_only_reported_by_a_pin() {
    let dir = tempfile::tempdir().unwrap();
    let material = certs::generate("expired", &certs::Options::new("SIM-0001")).unwrap();
    material.write_to(dir.path()).unwrap();
    let chain = dir.path().join(certs::file::CHAIN);
    let anchors = dir.path().join(certs::file::ANCHORS);

    let (status, json) = verify(&[
        "--anchors",
        text(&anchors),
        "--device-id",
        "SIM-0001",
        text(&chain),
    ]);
    assert_eq!(status, 1, "{json}");
    assert_eq!(json["verdict"], "refuse");
    assert_eq!(json["diagnosis"]["code"], "cert.expired");
    assert_eq!(json["diagnosis"]["apple"]["name"], "errSSLCertExpired");

    let (status, json) = verify(&[
        "--pin",
        &material.pin,
        "--device-id",
        "SIM-0001",
        text(&chain),
    ]);
    assert_eq!(status, 0, "{json}");
    assert_eq!(json["verdict"], "accept");
    assert_eq!(json["observed"]["notes"][0]["code"], "cert.expired");
}

#[test]
fn a_certificate_for_another_device_is_refused_offline_with_the_names_it_carries() {
    let dir = tempfile::tempdir().unwrap();
    let material = certs::generate("good-chain", &certs::Options::new("SIM-0001")).unwrap();
    material.write_to(dir.path()).unwrap();
    let chain = dir.path().join(certs::file::CHAIN);
    let anchors = dir.path().join(certs::file::ANCHORS);
    let (status, json) = verify(&[
        "--anchors",
        text(&anchors),
        "--device-id",
        "SIM-0002",
        text(&chain),
    ]);
    assert_eq!(status, 1, "{json}");
    assert_eq!(json["diagnosis"]["code"], "cert.wrong_name");
    let detail = json["diagnosis"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("SIM-0001") && detail.contains("SIM-0002"),
        "{detail}"
    );
}

#[test]
fn verify_without_a_pin_or_anchors_is_a_usage_error() {
    let out = accessory(&["trust", "verify", "--device-id", "SIM-0001", "leaf.pem"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_good_certificate_verified_at_a_date_past_its_expiry_is_refused_as_expired() {
    let dir = tempfile::tempdir().unwrap();
    let material = certs::generate("good-chain", &certs::Options::new("SIM-0001")).unwrap();
    material.write_to(dir.path()).unwrap();
    let chain = dir.path().join(certs::file::CHAIN);
    let anchors = dir.path().join(certs::file::ANCHORS);
    let base = ["--anchors", text(&anchors), "--device-id", "SIM-0001"];

    let (status, json) = verify(&[&base[..], &[text(&chain)]].concat());
    assert_eq!(status, 0, "accepted today: {json}");

    // Good leaves are valid for about a year from now: in ten years they are not.
    let (status, json) =
        verify(&[&base[..], &["--at", "2036-01-01T00:00:00Z", text(&chain)]].concat());
    assert_eq!(status, 1, "{json}");
    assert_eq!(json["diagnosis"]["code"], "cert.expired");

    let out = accessory(&[
        "trust",
        "verify",
        "--at",
        "next tuesday",
        "--anchors",
        text(&anchors),
        text(&chain),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a malformed --at is a usage error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}
