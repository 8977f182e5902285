//! `accessory sim softap` and `accessory provision --wifi sim` as real processes (root): the whole
//! SoftAP path end to end, a refused SoftAP passphrase, SIGTERM clean-up, and the sweep of what a
//! SIGKILLed SoftAP left. Skipped (with a printed reason) when not root.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use accessory_tests::provision::accessory_bin;
use accessory_tests::softap::{self as ap, assert_nothing_left, Footprint};

/// A running `accessory sim softap` and its startup JSON.
struct SoftapProcess {
    child: Child,
    info: serde_json::Value,
    _dir: tempfile::TempDir,
}

impl SoftapProcess {
    fn start(ssid: &str, device_id: &str, extra: &[&str], softap_pass: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(accessory_bin());
        cmd.args([
            "sim",
            "softap",
            "--ssid",
            ssid,
            "--device-id",
            device_id,
            "--json",
            "--out",
        ])
        .arg(dir.path())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if let Some(p) = softap_pass {
            let f = dir.path().join("label.pass");
            std::fs::write(&f, p).unwrap();
            cmd.arg("--passphrase-file").arg(f);
        }
        let mut child = cmd.spawn().expect("accessory sim softap starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("startup JSON ({e}): {line:?}"));
        SoftapProcess {
            child,
            info,
            _dir: dir,
        }
    }

    fn str(&self, key: &str) -> String {
        self.info[key].as_str().unwrap_or_default().to_owned()
    }

    fn footprint(&self) -> Footprint {
        let id = self.str("namespace").trim_start_matches("asap-").to_owned();
        Footprint {
            namespace: self.str("namespace"),
            accessory_interface: format!("as{id}a"),
            station_interface: self.str("station_interface"),
            dnsmasq_pid: None,
            registry_entry: self.str("registry_entry").into(),
        }
    }

    fn signal(&mut self, sig: &str) -> std::process::ExitStatus {
        Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

fn provision(sap: &SoftapProcess, extra: &[&str]) -> std::process::Output {
    let ledger = tempfile::tempdir().unwrap();
    Command::new(accessory_bin())
        .args(["provision", "--wifi", "sim", "--ssid", &sap.str("ssid")])
        .args([
            "--device-id",
            &sap.str("device_id"),
            "--pin",
            &sap.str("pin"),
        ])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(sap.str("network_passphrase_file"))
        .arg("--ledger")
        .arg(ledger.path().join("ledger.sqlite3"))
        .args(["--deadline", "30", "--json"])
        .args(extra)
        .output()
        .expect("accessory provision runs")
}

#[test]
fn provision_joins_a_softap_process_by_ssid_and_everything_is_removed_on_sigterm() {
    if !ap::root_or_skip(
        "provision_joins_a_softap_process_by_ssid_and_everything_is_removed_on_sigterm",
    ) {
        return;
    }
    let ssid = ap::unique_ssid("CliJoin");
    let mut sap = SoftapProcess::start(&ssid, "SIM-CLI-0001", &[], None);
    let f = sap.footprint();
    let out = provision(&sap, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "provision failed: {stderr}");
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["device"]["device_id"], "SIM-CLI-0001");
    assert!(
        stderr.contains(&format!("joined {ssid} on {}", f.station_interface)),
        "{stderr}"
    );
    assert!(
        !ap::interface_here(&f.station_interface),
        "provision left the SoftAP"
    );

    let status = sap.signal("-TERM");
    assert!(
        status.success(),
        "sim softap exits cleanly on SIGTERM: {status}"
    );
    assert_nothing_left(&f);
}

#[test]
fn a_wrong_softap_passphrase_fails_provision_at_join_with_wifi_auth_failed() {
    if !ap::root_or_skip("a_wrong_softap_passphrase_fails_provision_at_join_with_wifi_auth_failed")
    {
        return;
    }
    let ssid = ap::unique_ssid("CliWpa2");
    let mut sap = SoftapProcess::start(&ssid, "SIM-CLI-0002", &[], Some("label passphrase 7"));
    let f = sap.footprint();
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.pass");
    std::fs::write(&wrong, "not the label").unwrap();
    let out = provision(&sap, &["--softap-passphrase-file", wrong.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("[wifi.auth_failed]"), "{stderr}");
    assert!(
        !stderr.contains("not the label"),
        "the passphrase is never printed"
    );

    let right = dir.path().join("right.pass");
    std::fs::write(&right, "label passphrase 7\n").unwrap();
    let out = provision(&sap, &["--softap-passphrase-file", right.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    sap.signal("-INT");
    assert_nothing_left(&f);
}

#[test]
fn a_softap_left_by_a_killed_process_is_swept() {
    if !ap::root_or_skip("a_softap_left_by_a_killed_process_is_swept") {
        return;
    }
    let ssid = ap::unique_ssid("CliKill");
    let mut sap = SoftapProcess::start(&ssid, "SIM-CLI-0003", &[], None);
    let f = sap.footprint();
    sap.signal("-KILL");
    let left = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).contains(&f.namespace),
        "SIGKILL gives no chance to clean up"
    );
    assert!(accessory_sim::sweep_stale_softaps() >= 1);
    assert_nothing_left(&f);
}

/// `accessory provision --wifi sim` as a child with its stderr readable line by line.
fn spawn_provision(sap: &SoftapProcess, ledger: &std::path::Path) -> Child {
    Command::new(accessory_bin())
        .args(["provision", "--wifi", "sim", "--ssid", &sap.str("ssid")])
        .args([
            "--device-id",
            &sap.str("device_id"),
            "--pin",
            &sap.str("pin"),
        ])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(sap.str("network_passphrase_file"))
        .arg("--ledger")
        .arg(ledger)
        .args(["--deadline", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("accessory provision starts")
}

#[test]
fn sigint_during_provisioning_records_the_attempt_as_interrupted_leaves_the_softap_and_exits_130() {
    if !ap::root_or_skip(
        "sigint_during_provisioning_records_the_attempt_as_interrupted_leaves_the_softap_and_exits_130",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // An accessory that takes a minute to join the home network: the run is mid-flow when interrupted.
    let scenario = dir.path().join("slow.toml");
    std::fs::write(
        &scenario,
        "id = \"SIM-CLI-0004\"\n[timings]\nconnect_delay_ms = 60000\n",
    )
    .unwrap();
    let ssid = ap::unique_ssid("CliInt");
    let mut sap = SoftapProcess::start(
        &ssid,
        "SIM-CLI-0004",
        &["--scenario", scenario.to_str().unwrap()],
        None,
    );
    let f = sap.footprint();
    let mut child = spawn_provision(&sap, &dir.path().join("ledger.sqlite3"));
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("accessory: joined") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "provision ended before joining"
        );
    }
    assert!(
        ap::interface_here(&f.station_interface),
        "joined: the station end is here"
    );
    // Let the flow reach the long poll, then interrupt it.
    std::thread::sleep(std::time::Duration::from_millis(500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("[interrupted]"), "{rest}");
    assert!(
        !ap::interface_here(&f.station_interface),
        "the SoftAP was left"
    );
    // The attempt was recorded as interrupted, not left `in_progress`.
    let show = Command::new(accessory_bin())
        .args(["ledger", "show", "SIM-CLI-0004", "--json", "--ledger"])
        .arg(dir.path().join("ledger.sqlite3"))
        .output()
        .unwrap();
    let show: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(show["attempts"][0]["outcome"], "interrupted", "{show}");
    sap.signal("-TERM");
    assert_nothing_left(&f);
}

#[test]
fn several_softaps_matching_a_prefix_without_a_device_id_is_an_error_that_lists_them() {
    if !ap::root_or_skip(
        "several_softaps_matching_a_prefix_without_a_device_id_is_an_error_that_lists_them",
    ) {
        return;
    }
    let prefix = format!("{}-", ap::unique_ssid("Amb"));
    let mut a = SoftapProcess::start(&format!("{prefix}AAAA"), "SIM-CLI-AAAA", &[], None);
    let mut b = SoftapProcess::start(
        &format!("{prefix}BBBB"),
        "SIM-CLI-BBBB",
        &["--signal", "-70"],
        None,
    );
    let ledger = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new(accessory_bin())
            .args([
                "provision",
                "--wifi",
                "sim",
                "--ssid-prefix",
                &prefix,
                "--pin",
                &a.str("pin"),
            ])
            .args(["--network-ssid", "Home", "--network-passphrase-file"])
            .arg(a.str("network_passphrase_file"))
            .arg("--ledger")
            .arg(ledger.path().join("l.sqlite3"))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[wifi.ambiguous]"), "{stderr}");
    assert!(
        stderr.contains(&format!("{prefix}AAAA")) && stderr.contains(&format!("{prefix}BBBB")),
        "{stderr}"
    );
    // The device id picks the SoftAP that names it.
    let out = run(&["--device-id", "SIM-CLI-AAAA"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (fa, fb) = (a.footprint(), b.footprint());
    a.signal("-TERM");
    b.signal("-TERM");
    assert_nothing_left(&fa);
    assert_nothing_left(&fb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_none_backend_binds_to_the_given_interface_of_an_already_joined_network() {
    // Loopback stands in for a network joined by hand: `--interface lo` is read and bound to.
    let sim =
        accessory_tests::provision::start(accessory_tests::provision::good("SIM-NONE-0001")).await;
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("home.pass");
    std::fs::write(&pass, accessory_tests::provision::PASSPHRASE).unwrap();
    let out = tokio::process::Command::new(accessory_bin())
        .args(["provision", "--wifi", "none", "--interface", "lo"])
        .args(["--accessory", &sim.addr().to_string()])
        .args([
            "--device-id",
            "SIM-NONE-0001",
            "--pin",
            &sim.pin().to_string(),
        ])
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(&pass)
        .arg("--ledger")
        .arg(dir.path().join("l.sqlite3"))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("joined (already joined) on lo as 127.0.0.1/8"),
        "{stderr}"
    );
    assert!(sim.received_credential());
}

#[test]
fn accessory_scan_with_the_sim_backend_lists_a_running_softap_as_an_accessory() {
    if !ap::root_or_skip(
        "accessory_scan_with_the_sim_backend_lists_a_running_softap_as_an_accessory",
    ) {
        return;
    }
    let ssid = ap::unique_ssid("CliScan");
    let mut sap = SoftapProcess::start(
        &ssid,
        "SIM-SCAN-0001",
        &["--signal", "-61"],
        Some("label-pass-1"),
    );
    let out = Command::new(accessory_bin())
        .args(["scan", "--wifi", "sim", "--json"])
        .output()
        .expect("accessory scan runs");
    assert!(out.status.success(), "{out:?}");
    let seen: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ours = seen
        .iter()
        .find(|n| n["ssid"] == ssid.as_str())
        .unwrap_or_else(|| panic!("{ssid} not in {seen:?}"));
    assert_eq!(ours["signal_dbm"], -61, "{ours}");
    assert_eq!(ours["security"], "wpa2-psk", "{ours}");
    assert_eq!(ours["accessory"], true, "{ours}");
    assert!(sap.signal("-TERM").success());
}

#[test]
fn a_minted_label_alone_names_the_softap_to_join_the_key_the_id_and_the_pop_code() {
    if !ap::root_or_skip(
        "a_minted_label_alone_names_the_softap_to_join_the_key_the_id_and_the_pop_code",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, unit) = (dir.path().join("ca"), dir.path().join("unit"));
    let accessory = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(accessory_bin()).args(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    accessory(&[
        "certs".as_ref(),
        "ca".as_ref(),
        "init".as_ref(),
        "--out".as_ref(),
        ca.as_os_str(),
    ]);
    // A unique device id, so the default SSID (its last 4 characters) is this test's alone.
    let ssid = ap::unique_ssid("Lbl");
    let tail: String = ssid.chars().filter(char::is_ascii_alphanumeric).collect();
    let id = format!("LBL-{}", &tail[tail.len() - 4..]);
    accessory(&[
        "certs".as_ref(),
        "mint".as_ref(),
        "--ca".as_ref(),
        ca.as_os_str(),
        "--device-id".as_ref(),
        id.as_ref(),
        "--out".as_ref(),
        unit.as_os_str(),
    ]);
    let pop = std::fs::read_to_string(unit.join("pop.txt")).unwrap();
    let label = std::fs::read_to_string(unit.join("label.txt")).unwrap();
    let expected_ssid = format!("Accessory-{}", &id[id.len() - 4..]);
    assert!(
        label.contains(&format!(";ssid={expected_ssid};")),
        "{label}"
    );
    let mut sap = {
        let mut cmd = Command::new(accessory_bin());
        cmd.args(["sim", "softap", "--device-id", &id, "--json", "--minted"])
            .arg(&unit)
            .arg("--out")
            .arg(dir.path().join("sap"))
            .env("ACCESSORY_SIM_POP_CODE", pop.trim())
            .stdout(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        SoftapProcess {
            child,
            info,
            _dir: tempfile::tempdir().unwrap(),
        }
    };
    assert_eq!(sap.str("ssid"), expected_ssid);
    // Only the label, the backend and the home network: no --ssid, --device-id, --pin, --pop-file.
    let out = Command::new(accessory_bin())
        .args(["provision", "--wifi", "sim", "--label"])
        .arg(unit.join("label.png"))
        .args(["--network-ssid", "Home", "--network-passphrase-file"])
        .arg(sap.str("network_passphrase_file"))
        .arg("--ledger")
        .arg(dir.path().join("ledger.sqlite3"))
        .args(["--deadline", "30", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["device"]["device_id"], id.as_str(), "{outcome}");
    assert!(sap.signal("-TERM").success());
}
