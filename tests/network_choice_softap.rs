//! The home network chosen after a SoftAP join (root): `accessory provision --wifi sim` without
//! `--network-ssid`, on a terminal (a pty), joins `accessory sim softap` once, lists the networks
//! the verified accessory sees on the joined SoftAP, sends the one chosen, and leaves; the same
//! under an API profile served by `sim softap --api-profile`; and a profile provisioned through a
//! SoftAP by `--network-ssid`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use accessory_tests::provision::accessory_bin;
use accessory_tests::softap::{self as ap, spawn_sim_softap, stop_process};
use serde_json::Value;

fn shipped_profile(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profiles")
        .join(name)
}

fn text(info: &Value, key: &str) -> String {
    info[key].as_str().unwrap_or_default().to_owned()
}

/// `provision --wifi sim --ssid SSID` without `--network-ssid` on a pty answering `1` to the
/// list; the passphrase from the environment. What the pty showed and the exit status.
fn provision_choosing(info: &Value, dir: &Path, extra: &[&OsStr]) -> (String, Option<i32>) {
    provision_answering(info, dir, extra, "1\n")
}

/// [`provision_choosing`] answering `answer` to the list.
fn provision_answering(
    info: &Value,
    dir: &Path,
    extra: &[&OsStr],
    answer: &str,
) -> (String, Option<i32>) {
    let passphrase = std::fs::read_to_string(text(info, "network_passphrase_file")).unwrap();
    let out = Command::new("python3")
        .args(["-c", crate::network_choice::PTY, "Home network [", answer])
        .arg(accessory_bin())
        .args(["provision", "--wifi", "sim", "--ssid", &text(info, "ssid")])
        .args(["--device-id", &text(info, "device_id")])
        .args(["--pin", &text(info, "pin"), "--deadline", "30"])
        .arg("--ledger")
        .arg(dir.join("ledger.sqlite3"))
        .args(extra)
        .env("ACCESSORY_NETWORK_PASSPHRASE", passphrase.trim())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// The list shows after the one join, Home is chosen and joined, and the SoftAP is left.
#[track_caller]
fn assert_chosen_after_one_join(shown: &str, status: Option<i32>, ssid: &str, station: &str) {
    assert_eq!(status, Some(0), "{shown}");
    let joined = format!("joined {ssid} on {station}");
    assert_eq!(shown.matches(&joined).count(), 1, "one join: {shown}");
    let join_at = shown.find(&joined).unwrap();
    let list_at = shown
        .find("Networks the accessory sees:")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(join_at < list_at, "listed after the join: {shown}");
    let home = shown
        .find("  1  Home ")
        .unwrap_or_else(|| panic!("{shown}"));
    let cafe = shown
        .find("  3  Cafe ")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(home < cafe, "{shown}");
    assert!(shown.contains("joined Home as"), "{shown}");
    assert!(!ap::interface_here(station), "provision left the SoftAP");
}

#[test]
fn after_a_softap_join_provision_lists_the_accessorys_networks_and_sends_the_one_chosen_with_one_join(
) {
    if !ap::root_or_skip("after_a_softap_join_provision_lists_the_accessorys_networks_and_sends_the_one_chosen_with_one_join") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ssid = ap::unique_ssid("Pick");
    let (mut child, info) = spawn_sim_softap(&ssid, "SIM-PICK-0001", &dir.path().join("sap"), &[]);
    let (shown, status) = provision_choosing(&info, dir.path(), &[]);
    let station = text(&info, "station_interface");
    let stopped = stop_process(&mut child);
    assert_chosen_after_one_join(&shown, status, &ssid, &station);
    assert!(stopped.success(), "{stopped}");
}

#[test]
fn after_a_softap_join_under_an_api_profile_the_choice_comes_from_the_profiles_networks_list() {
    if !ap::root_or_skip(
        "after_a_softap_join_under_an_api_profile_the_choice_comes_from_the_profiles_networks_list",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = shipped_profile("shelly-gen2-like.toml");
    let flag = [OsStr::new("--api-profile"), profile.as_os_str()];
    let ssid = ap::unique_ssid("PickProfile");
    let (mut child, info) =
        spawn_sim_softap(&ssid, "SIM-PICK-0002", &dir.path().join("sap"), &flag);
    let (shown, status) = provision_choosing(&info, dir.path(), &flag);
    let station = text(&info, "station_interface");
    let stopped = stop_process(&mut child);
    assert_chosen_after_one_join(&shown, status, &ssid, &station);
    assert!(stopped.success(), "{stopped}");
}

#[test]
fn sim_softap_with_an_api_profile_speaks_it_and_provision_with_the_profile_provisions_it_through_the_softap(
) {
    if !ap::root_or_skip("sim_softap_with_an_api_profile_speaks_it_and_provision_with_the_profile_provisions_it_through_the_softap") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = shipped_profile("shelly-gen2-like.toml");
    let ssid = ap::unique_ssid("Profile");
    let (mut child, info) = spawn_sim_softap(
        &ssid,
        "SIM-PROF-0001",
        &dir.path().join("sap"),
        &[OsStr::new("--api-profile"), profile.as_os_str()],
    );
    // The printed command carries the profile.
    assert!(
        text(&info, "provision").contains(" --api-profile /"),
        "{info}"
    );
    let provision = |extra: &[&OsStr]| {
        Command::new(accessory_bin())
            .args(["provision", "--wifi", "sim", "--ssid", &ssid])
            .args(["--device-id", "SIM-PROF-0001", "--pin", &text(&info, "pin")])
            .args(["--network-ssid", "Home", "--network-passphrase-file"])
            .arg(text(&info, "network_passphrase_file"))
            .arg("--ledger")
            .arg(dir.path().join("ledger.sqlite3"))
            .args(["--deadline", "30", "--json"])
            .args(extra)
            .output()
            .unwrap()
    };
    // Without the profile, the /v1 API is not there: the accessory speaks the profile's.
    let plain = provision(&[]);
    let with = provision(&[OsStr::new("--api-profile"), profile.as_os_str()]);
    let stopped = stop_process(&mut child);
    assert!(!plain.status.success(), "{plain:?}");
    let failure: Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(failure["credentials_sent"], false, "{failure}");
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let outcome: Value = serde_json::from_slice(&with.stdout).unwrap();
    assert_eq!(outcome["device"]["device_id"], "SIM-PROF-0001", "{outcome}");
    assert_eq!(outcome["ssid"], "Home", "{outcome}");
    assert!(stopped.success(), "{stopped}");
}

#[test]
fn ctrl_c_while_choosing_after_a_softap_join_leaves_the_softap_and_exits_130_sending_nothing() {
    if !ap::root_or_skip(
        "ctrl_c_while_choosing_after_a_softap_join_leaves_the_softap_and_exits_130_sending_nothing",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ssid = ap::unique_ssid("PickQuit");
    let (mut child, info) = spawn_sim_softap(&ssid, "SIM-PICK-0003", &dir.path().join("sap"), &[]);
    // ^C on the terminal: SIGINT to the foreground process, at the prompt.
    let (shown, status) = provision_answering(&info, dir.path(), &[], "\u{3}");
    let station = text(&info, "station_interface");
    let stopped = stop_process(&mut child);
    assert_eq!(status, Some(130), "{shown}");
    assert!(shown.contains("Networks the accessory sees:"), "{shown}");
    assert!(!shown.contains("joined Home"), "{shown}");
    assert!(
        !ap::interface_here(&station),
        "the SoftAP was left: {shown}"
    );
    assert!(stopped.success(), "{stopped}");
}
