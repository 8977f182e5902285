//! The trust store is used, not only exported: `provision` and `trust verify` take `--store [DIR]`
//! (every anchor) or `--anchor LABEL`; `trust export --label` with `--pin`/`--anchors` is refused
//! (issue 13 item 7).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use accessory_tests::provision::{accessory_bin, good};
use accessory_tests::sim::Served;

fn run(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_TRUST_STORE")
        .env_remove("ACCESSORY_LEDGER")
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .expect("the accessory binary runs")
}

#[track_caller]
fn assert_code(out: &Output, status: i32, code: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "{stderr}");
    assert!(stderr.contains(&format!("[{code}]")), "{stderr}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A store with the served accessory's manufacturer root as `maker` and another manufacturer's
/// root as `other`.
fn store_with_two_makers(served: &Served, other: &Served, dir: &Path) {
    let store = dir.join("store");
    for (pem, label) in [(&served.anchors, "maker"), (&other.anchors, "other")] {
        let out = run(&[
            "trust",
            "add",
            s(pem),
            "--label",
            label,
            "--store",
            s(&store),
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
}

fn provision(served: &Served, dir: &Path, trust: &[&str]) -> Output {
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let addr = served.addr().to_string();
    let ledger = dir.join("ledger.sqlite3");
    let mut args = vec![
        "provision",
        "--accessory",
        &addr,
        "--device-id",
        "SIM-0001",
        "--network-ssid",
        "Home",
        "--network-passphrase-file",
        s(&pass),
        "--ledger",
        s(&ledger),
        "--deadline",
        "20",
    ];
    args.extend_from_slice(trust);
    run(&args)
}

#[test]
fn provision_trusts_the_store_anchor_named_by_anchor_and_refuses_with_another_makers() {
    let served = Served::start(good("SIM-0001"));
    let other = Served::start(good("SIM-0002"));
    let dir = tempfile::tempdir().unwrap();
    store_with_two_makers(&served, &other, dir.path());
    let store = dir.path().join("store");

    let named = provision(
        &served,
        dir.path(),
        &["--store", s(&store), "--anchor", "maker"],
    );
    assert_eq!(named.status.code(), Some(0), "{named:?}");
    let all = provision(&served, dir.path(), &["--store", s(&store)]);
    assert_eq!(all.status.code(), Some(0), "{all:?}");
    // --anchor alone means the store too; here $ACCESSORY_TRUST_STORE says where it is.
    let out = Command::new(accessory_bin())
        .args([
            "provision",
            "--accessory",
            &served.addr().to_string(),
            "--device-id",
            "SIM-0001",
        ])
        .args([
            "--network-ssid",
            "Home",
            "--network-security",
            "open",
            "--anchor",
            "other",
        ])
        .args([
            "--ledger",
            s(&dir.path().join("l2.sqlite3")),
            "--deadline",
            "20",
        ])
        .env("ACCESSORY_TRUST_STORE", &store)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // Another manufacturer's root does not vouch for this accessory: refused, nothing sent.
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[cert."),
        "{out:?}"
    );
}

#[test]
fn trust_verify_takes_the_store_anchors_by_label() {
    let served = Served::start(good("SIM-0001"));
    let other = Served::start(good("SIM-0002"));
    let dir = tempfile::tempdir().unwrap();
    store_with_two_makers(&served, &other, dir.path());
    let store = dir.path().join("store");
    let chain = dir.path().join("chain.pem");
    std::fs::write(&chain, served.sim().chain_pem()).unwrap();
    let verify = |label: &str| {
        run(&[
            "trust",
            "verify",
            "--store",
            s(&store),
            "--anchor",
            label,
            "--device-id",
            "SIM-0001",
            s(&chain),
        ])
    };
    assert_eq!(
        verify("maker").status.code(),
        Some(0),
        "{:?}",
        verify("maker")
    );
    assert_eq!(
        verify("other").status.code(),
        Some(1),
        "{:?}",
        verify("other")
    );
    assert_code(&verify("nobody"), 3, "store.not_found");
}

#[test]
fn an_empty_store_is_refused_clearly_rather_than_trusting_nothing() {
    let served = Served::start(good("SIM-0001"));
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-store");
    let out = provision(&served, dir.path(), &["--store", s(&empty)]);
    assert_code(&out, 3, "store.not_found");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no anchors"),
        "{out:?}"
    );
    assert!(!empty.exists(), "reading the store created it");
}

#[test]
fn trust_export_label_with_pin_or_anchors_is_refused_as_a_usage_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("root.pem");
    std::fs::write(&pem, "not read").unwrap();
    let pin = "0".repeat(64);
    for extra in [["--pin", pin.as_str()], ["--anchors", s(&pem)]] {
        let mut args = vec![
            "trust",
            "export",
            "--format",
            "curl-pins",
            "--label",
            "maker",
        ];
        args.extend(extra);
        assert_code(&run(&args), 2, "usage.conflict");
    }
}
