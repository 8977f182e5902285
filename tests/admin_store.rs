//! The trust store under the conditions admins and CI create: many `trust add` processes racing on one
//! store, and writers killed with SIGKILL, including at the worst moment (new manifest written, not yet
//! renamed into place). Afterwards `trust list --json` must parse and hold every add that exited 0.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use accessory_tests::admin::{arg, assert_status, json, run};
use accessory_tests::provision::accessory_bin;

/// Writes `n` distinct self-signed accessory certificates: `(label, file)`.
fn certificates(dir: &Path, prefix: &str, n: usize) -> Vec<(String, PathBuf)> {
    (0..n)
        .map(|i| {
            let id = format!("{prefix}-{i:04}");
            let m = certs::generate("good-self-signed", &certs::Options::new(&id)).unwrap();
            let path = dir.join(format!("{id}.pem"));
            std::fs::write(&path, m.anchors_pem()).unwrap();
            (format!("label-{id}"), path)
        })
        .collect()
}

fn spawn_add(store: &Path, label: &str, file: &Path, stall_ms: Option<u64>) -> Child {
    let mut c = Command::new(accessory_bin());
    c.args([
        "trust",
        "add",
        arg(file),
        "--label",
        label,
        "--store",
        arg(store),
    ])
    .env_remove("ACCESSORY_TRUST_STORE")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some(ms) = stall_ms {
        c.env("ACCESSORY_STORE_CRASH_TEST_STALL_MS", ms.to_string());
    }
    c.spawn().expect("spawn accessory trust add")
}

#[track_caller]
fn listed_labels(store: &Path) -> BTreeSet<String> {
    let out = run(&["trust", "list", "--json", "--store", arg(store)]);
    assert_status(&out, 0);
    json(&out)
        .as_array()
        .expect("an array of anchors")
        .iter()
        .map(|a| a["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn racing_adds_with_some_killed_leave_a_valid_store_holding_every_successful_add() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut succeeded = BTreeSet::new();
    let mut attempted = BTreeSet::new();
    for round in 0..3 {
        let certs = certificates(dir.path(), &format!("R{round}"), 12);
        let mut children: Vec<(String, Child)> = certs
            .iter()
            .map(|(label, file)| (label.clone(), spawn_add(&store, label, file, None)))
            .collect();
        // SIGKILL a third of them at staggered moments: some before they start, some mid-way.
        let mut killed = BTreeSet::new();
        for (i, (label, child)) in children.iter_mut().enumerate() {
            if i % 3 == 1 {
                std::thread::sleep(Duration::from_millis(3 * i as u64));
                let _ = child.kill();
                killed.insert(label.clone());
            }
        }
        for (label, mut child) in children {
            attempted.insert(label.clone());
            if child.wait().unwrap().success() {
                succeeded.insert(label);
            } else {
                assert!(
                    killed.contains(&label),
                    "{label}: an add that was not killed failed"
                );
            }
        }
        let listed = listed_labels(&store);
        assert!(
            succeeded.is_subset(&listed),
            "round {round}: adds that exited 0 are missing: {:?}",
            succeeded.difference(&listed).collect::<Vec<_>>()
        );
        assert!(listed.is_subset(&attempted), "only what was added is there");
    }
}

#[test]
fn a_writer_killed_between_writing_and_renaming_the_manifest_loses_only_its_own_add() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let certs = certificates(dir.path(), "K", 3);
    assert_status(
        &run(&[
            "trust",
            "add",
            arg(&certs[0].1),
            "--label",
            &certs[0].0,
            "--store",
            arg(&store),
        ]),
        0,
    );
    let before = std::fs::read(store.join("anchors.json")).unwrap();

    // This writer stalls after fsyncing its temporary manifest; kill -9 it there.
    let mut victim = spawn_add(&store, &certs[1].0, &certs[1].1, Some(60_000));
    let temporary = loop {
        let found = std::fs::read_dir(&store)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".tmp"));
        if let Some(p) = found {
            break p;
        }
        assert!(
            victim.try_wait().unwrap().is_none(),
            "the writer ended before stalling"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    victim.kill().unwrap();
    assert!(!victim.wait().unwrap().success());

    // The manifest is the one from before, byte for byte; the lock died with the process.
    assert_eq!(std::fs::read(store.join("anchors.json")).unwrap(), before);
    assert_eq!(listed_labels(&store), BTreeSet::from([certs[0].0.clone()]));
    assert_status(
        &run(&[
            "trust",
            "add",
            arg(&certs[2].1),
            "--label",
            &certs[2].0,
            "--store",
            arg(&store),
        ]),
        0,
    );
    assert_eq!(
        listed_labels(&store),
        BTreeSet::from([certs[0].0.clone(), certs[2].0.clone()])
    );
    assert!(
        !temporary.exists(),
        "the next writer removed the dead temporary"
    );
}

#[test]
fn adding_twice_is_idempotent_and_a_plain_leaf_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let m = certs::generate("good-self-signed", &certs::Options::new("ADM-0003")).unwrap();
    let file = dir.path().join("self-signed.pem");
    std::fs::write(&file, m.anchors_pem()).unwrap();
    assert_status(
        &run(&["trust", "add", arg(&file), "--store", arg(&store)]),
        0,
    );
    let again = run(&["trust", "add", arg(&file), "--store", arg(&store), "--json"]);
    assert_status(&again, 0);
    assert_eq!(json(&again)[0]["outcome"], "already_present");
    assert_eq!(listed_labels(&store).len(), 1);

    // good-chain's served leaf is issued by the maker root: not an anchor unless asked for.
    let chain = certs::generate("good-chain", &certs::Options::new("ADM-0003")).unwrap();
    let leaf = dir.path().join("leaf.pem");
    std::fs::write(&leaf, trust::export::certificate_pem(chain.leaf())).unwrap();
    let refused = run(&["trust", "add", arg(&leaf), "--store", arg(&store)]);
    assert_status(&refused, 3);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("[store.leaf_refused]") && stderr.contains("--allow-leaf"),
        "{stderr}"
    );
    assert_status(
        &run(&[
            "trust",
            "add",
            arg(&leaf),
            "--store",
            arg(&store),
            "--allow-leaf",
        ]),
        0,
    );

    // show and remove find it by label; a second remove says it is gone.
    let label = listed_labels(&store)
        .into_iter()
        .find(|l| l.starts_with("ADM-0003"))
        .unwrap();
    assert_status(&run(&["trust", "show", &label, "--store", arg(&store)]), 0);
    assert_status(
        &run(&["trust", "remove", &label, "--store", arg(&store)]),
        0,
    );
    let gone = run(&["trust", "remove", &label, "--store", arg(&store)]);
    assert_status(&gone, 3);
    assert!(String::from_utf8_lossy(&gone.stderr).contains("[store.not_found]"));
}
