//! `accessory provision` and `accessory ledger` as the real binary against simulated accessories.

use std::path::Path;
use std::process::{Command, Stdio};

use accessory_tests::provision::{accessory_bin, good, with_faults};
use accessory_tests::sim::Served;

/// A passphrase no program would print by accident: any appearance is a leak.
const SENTINEL: &str = "sentinel-Passphrase-7f3a9c";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn accessory(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(accessory_bin());
    cmd.args(args)
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .env_remove("ACCESSORY_LEDGER")
        .env_remove("ACCESSORY_LOG")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the accessory binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `provision` flags for `served` with its pin and device id, the ledger in its scratch directory.
fn base_args(served: &Served) -> Vec<String> {
    vec![
        "provision".into(),
        "--accessory".into(),
        served.addr().to_string(),
        "--device-id".into(),
        served.sim().device_id().into(),
        "--network-ssid".into(),
        "Home".into(),
        "--ledger".into(),
        served.dir().join("ledger.sqlite3").display().to_string(),
        "--deadline".into(),
        "20".into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn the_passphrase_never_appears_in_any_output_at_any_verbosity() {
    // The accessory knows the sentinel as the passphrase of `Home`, so the success path runs too.
    let mut scenario = good("SIM-0001");
    scenario.networks = vec![accessory_sim::Network::wpa2("Home", SENTINEL)];
    let served = Served::start(scenario);
    let pass_file = write(served.dir(), "pass.txt", &format!("{SENTINEL}\n"));
    let pin = served.sim().pin().to_string();
    let mut runs = Vec::new();
    for verbosity in [None, Some("-v"), Some("-vv"), Some("-vvv")] {
        for json in [false, true] {
            let mut args = base_args(&served);
            args.extend([
                "--pin".into(),
                pin.clone(),
                "--network-passphrase-file".into(),
                pass_file.clone(),
            ]);
            if let Some(v) = verbosity {
                args.insert(0, v.into());
            }
            if json {
                args.push("--json".into());
            }
            runs.push(accessory(&strs(&args), &[("ACCESSORY_LOG", "trace")]));
        }
    }
    // From the environment, and failing runs: the wrong network, a refused certificate.
    let mut args = base_args(&served);
    args.insert(0, "-vvv".into());
    args.extend(["--pin".into(), pin.clone()]);
    runs.push(accessory(
        &strs(&args),
        &[
            ("ACCESSORY_NETWORK_PASSPHRASE", SENTINEL),
            ("ACCESSORY_LOG", "trace"),
        ],
    ));
    let mut args = base_args(&served);
    args.insert(0, "-vvv".into());
    args[7] = "Cafe-Nope".into(); // --network-ssid (after -vvv)
    args.extend([
        "--pin".into(),
        pin.clone(),
        "--network-passphrase-file".into(),
        pass_file.clone(),
    ]);
    runs.push(accessory(&strs(&args), &[("ACCESSORY_LOG", "trace")]));

    let expired = Served::start(with_faults("SIM-0001", &["expired"]));
    let mut args = base_args(&expired);
    args.insert(0, "-vvv".into());
    args.extend([
        "--anchors".into(),
        expired.anchors.display().to_string(),
        "--network-passphrase-file".into(),
        pass_file.clone(),
        "--json".into(),
    ]);
    runs.push(accessory(&strs(&args), &[("ACCESSORY_LOG", "trace")]));

    assert_eq!(runs[0].code, 0, "{}", runs[0].all());
    assert!(
        runs[6].stderr.contains("TRACE") || runs[6].stderr.contains("DEBUG"),
        "-vvv logs: {}",
        runs[6].stderr
    );
    assert_eq!(runs[9].code, 6, "network not found: {}", runs[9].all());
    assert_eq!(runs[10].code, 4, "expired: {}", runs[10].all());
    for (i, run) in runs.iter().enumerate() {
        assert!(
            !run.all().contains(SENTINEL),
            "run {i} printed the passphrase:\n{}",
            run.all()
        );
    }
    assert!(!expired.sim().received_credential());
}

#[test]
fn exit_statuses_follow_the_documented_table() {
    let served = Served::start(good("SIM-0001"));
    let pass = write(served.dir(), "pass.txt", "correct horse battery\n");
    let wrong = write(served.dir(), "wrong.txt", "not the passphrase\n");
    let pin = served.sim().pin().to_string();
    let with = |extra: &[&str]| {
        let mut args = base_args(&served);
        args.extend(extra.iter().map(|s| s.to_string()));
        accessory(&strs(&args), &[])
    };
    let ok = with(&["--pin", &pin, "--network-passphrase-file", &pass]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains("joined Home"), "{}", ok.stdout);
    assert!(ok.stdout.contains("5 round trips"), "{}", ok.stdout);

    let auth = with(&["--pin", &pin, "--network-passphrase-file", &wrong]);
    assert_eq!(auth.code, 6, "{}", auth.all());
    assert!(
        auth.stderr.contains("accessory.auth_failed"),
        "{}",
        auth.stderr
    );

    let no_pass = with(&["--pin", &pin]);
    assert_eq!(no_pass.code, 3, "{}", no_pass.all());
    assert!(
        no_pass.stderr.contains("--network-passphrase-file"),
        "{}",
        no_pass.stderr
    );

    let missing = with(&[
        "--pin",
        &pin,
        "--network-passphrase-file",
        "/nonexistent/pass.txt",
    ]);
    assert_eq!(missing.code, 3, "{}", missing.all());
    assert!(
        missing.stderr.contains("/nonexistent/pass.txt"),
        "{}",
        missing.stderr
    );

    let no_policy = with(&["--network-passphrase-file", &pass]);
    assert_eq!(no_policy.code, 2, "{}", no_policy.all());

    let stalled = Served::start(with_faults("SIM-0001", &["stall"]));
    let mut args = base_args(&stalled);
    args[10] = "1".into(); // --deadline
    args.extend([
        "--pin".into(),
        pin.clone(),
        "--network-passphrase-file".into(),
        pass.clone(),
    ]);
    let timeout = accessory(&strs(&args), &[]);
    assert_eq!(timeout.code, 7, "{}", timeout.all());
    assert!(
        timeout.stderr.contains("provision.deadline"),
        "{}",
        timeout.stderr
    );

    let other_key = "sha256/".to_owned() + &"A".repeat(43) + "=";
    let refused = with(&[
        "--pin",
        &other_key,
        "--network-passphrase-file",
        &pass,
        "--json",
    ]);
    assert_eq!(refused.code, 4, "{}", refused.all());
    let failure: serde_json::Value = serde_json::from_str(&refused.stdout).expect("JSON failure");
    assert_eq!(failure["code"], "cert.pin_mismatch");
    assert_eq!(failure["credentials_sent"], false);
}

#[test]
fn the_json_outcome_reports_the_round_trips_and_the_key() {
    let served = Served::start(good("SIM-0001").with_connect_delay_ms(0));
    let pass = write(served.dir(), "pass.txt", "correct horse battery\n");
    let pin = served.sim().pin().to_string();
    let mut args = base_args(&served);
    args.extend([
        "--pin".into(),
        pin.clone(),
        "--network-passphrase-file".into(),
        pass,
        "--json".into(),
    ]);
    let run = accessory(&strs(&args), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["round_trips"]["total"], 5);
    assert_eq!(v["pin"], pin);
    assert_eq!(v["device"]["device_id"], "SIM-0001");
}

#[test]
fn a_changed_key_prints_the_ssh_style_warning_and_forget_accepts_the_new_one_deliberately() {
    let first = Served::start(good("SIM-0001"));
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.sqlite3").display().to_string();
    let pass = write(dir.path(), "pass.txt", "correct horse battery\n");
    let provision = |served: &Served, expect: Option<&str>| {
        let mut args = base_args(served);
        args[8] = ledger.clone();
        args.extend([
            "--tofu".into(),
            "--network-passphrase-file".into(),
            pass.clone(),
        ]);
        if let Some(e) = expect {
            args.extend(["--expect-fingerprint".into(), e.into()]);
        }
        accessory(&strs(&args), &[])
    };
    let first_pin = first.sim().pin().to_string();
    let unconfirmed = provision(&first, None);
    assert_eq!(unconfirmed.code, 4, "{}", unconfirmed.all());
    assert!(
        unconfirmed.stderr.contains("tofu.first_use_unconfirmed"),
        "{}",
        unconfirmed.stderr
    );
    assert!(
        unconfirmed.stderr.contains(&first_pin),
        "names the observed key: {}",
        unconfirmed.stderr
    );

    let ok = provision(&first, Some(&first_pin));
    assert_eq!(ok.code, 0, "{}", ok.all());
    let again = provision(&first, None);
    assert_eq!(
        again.code,
        0,
        "a recorded key needs no confirmation: {}",
        again.all()
    );
    drop(first);

    let second = Served::start(good("SIM-0001"));
    let second_pin = second.sim().pin().to_string();
    let changed = provision(&second, None);
    assert_eq!(changed.code, 4, "{}", changed.all());
    for needle in [
        "WARNING: ACCESSORY IDENTIFICATION HAS CHANGED",
        &first_pin,
        &second_pin,
        "accessory ledger forget SIM-0001",
        "tofu.key_changed",
    ] {
        assert!(
            changed.stderr.contains(needle),
            "expected {needle:?} in:\n{}",
            changed.stderr
        );
    }
    assert!(!second.sim().received_credential());
    // The suggestion keeps the --ledger that was given: pasted, it forgets the key in this ledger.
    let suggested = format!("accessory ledger forget SIM-0001 --ledger {ledger}\n");
    assert!(
        changed.stderr.contains(&suggested),
        "expected {suggested:?} in:\n{}",
        changed.stderr
    );

    let show = accessory(
        &["ledger", "show", "SIM-0001", "--ledger", &ledger, "--json"],
        &[],
    );
    assert_eq!(show.code, 0, "{}", show.all());
    let v: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["accessory"]["pin"], first_pin.as_str());
    let outcomes: Vec<_> = v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["failed", "connected", "connected", "failed"]);
    assert!(!show.stdout.contains("correct horse battery"));

    let forget = accessory(&["ledger", "forget", "SIM-0001", "--ledger", &ledger], &[]);
    assert_eq!(forget.code, 0, "{}", forget.all());
    let ok = provision(&second, Some(&second_pin));
    assert_eq!(ok.code, 0, "{}", ok.all());

    let list = accessory(&["ledger", "list", "--ledger", &ledger, "--json"], &[]);
    let v: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(v["accessories"][0]["pin"], second_pin.as_str());
    let forget_unknown = accessory(&["ledger", "forget", "NOPE", "--ledger", &ledger], &[]);
    assert_eq!(forget_unknown.code, 1, "{}", forget_unknown.all());
}

#[test]
fn protocol_auto_provisions_an_accessory_api_device_as_the_accessory_api() {
    // proto-ver over plain HTTP gets no HTTP answer from a TLS server; over the verified session
    // our API answers 404: the accessory API, provisioned as with the default protocol.
    let served = Served::start(good("SIM-0001"));
    let pass_file = write(
        served.dir(),
        "pass.txt",
        accessory_tests::provision::PASSPHRASE,
    );
    let mut args = base_args(&served);
    args.extend([
        "--protocol".into(),
        "auto".into(),
        "--pin".into(),
        served.sim().pin().to_string(),
        "--network-passphrase-file".into(),
        pass_file,
        "--json".into(),
    ]);
    let run = accessory(&strs(&args), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["device"]["device_id"], "SIM-0001", "{json}");
    assert!(json["device"]["api"].get("esp").is_none(), "{json}");
    assert!(served.sim().received_credential());
}
