//! Long work is never silent, and an interrupt ends cleanly: `accessory provision` as the real
//! binary, its progress events (`--events`, one line per event on a pipe) and Ctrl-C / SIGTERM
//! against a stalled simulated accessory (issue 13 items 4 and 5).

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use accessory_tests::provision::{accessory_bin, good, with_faults};
use accessory_tests::sim::Served;

/// `provision` flags for `served`: its pin, its device id, the ledger in its directory.
fn provision_args(served: &Served, pass: &str) -> Vec<String> {
    [
        "provision",
        "--accessory",
        &served.addr().to_string(),
        "--device-id",
        served.sim().device_id(),
        "--pin",
        &served.sim().pin().to_string(),
        "--network-ssid",
        "Home",
        "--network-passphrase-file",
        pass,
        "--ledger",
        &served.dir().join("ledger.sqlite3").display().to_string(),
        "--deadline",
        "30",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn passphrase_file(served: &Served) -> String {
    let path = served.dir().join("pass.txt");
    std::fs::write(&path, "correct horse battery\n").unwrap();
    path.display().to_string()
}

fn command(args: &[String]) -> Command {
    let mut cmd = Command::new(accessory_bin());
    cmd.args(args)
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .env_remove("ACCESSORY_LEDGER")
        .env_remove("ACCESSORY_LOG")
        .stdin(Stdio::null());
    cmd
}

fn events(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect()
}

#[test]
fn provision_events_are_ndjson_in_phase_order_with_a_numbered_reconnect_and_rising_elapsed_times() {
    // The accessory reboots after apply (a second session) and takes 1 s to come back.
    let served = Served::start(
        with_faults("SIM-0001", &["reboot-after-apply=1"]).with_connect_delay_ms(1500),
    );
    let pass = passphrase_file(&served);
    let mut args = provision_args(&served, &pass);
    args.extend(["--events".into(), "-".into()]);
    let out = command(&args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let events = events(&stdout);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let first = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no {name} event in {names:?}"))
    };
    let order = [
        "connecting",
        "tls",
        "verifying",
        "sending",
        "waiting",
        "recording",
    ]
    .map(first);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    assert_eq!(names.last(), Some(&"recording"), "{names:?}");
    // The reboot: a second session, numbered.
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "connecting" && e["reconnect"] == 1),
        "{stdout}"
    );
    let elapsed: Vec<u64> = events
        .iter()
        .map(|e| e["elapsed_ms"].as_u64().expect("elapsed_ms"))
        .collect();
    assert!(elapsed.windows(2).all(|w| w[0] <= w[1]), "{elapsed:?}");
    assert!(*elapsed.last().unwrap() >= 1000, "{elapsed:?}");

    // stderr is a pipe here: one plain line per event, no carriage return, no escape codes.
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("accessory: ") && l.contains(" s: "))
        .collect();
    assert_eq!(progress.len(), events.len(), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("waiting for the accessory to join"),
        "{stderr}"
    );
}

#[test]
fn a_slow_join_reports_the_state_the_accessory_answered_before_the_deadline() {
    // Joining takes 10 s; the 2 s deadline leaves one long poll of 1 s, answered `connecting`.
    let served = Served::start(good("SIM-0001").with_connect_delay_ms(10_000));
    let pass = passphrase_file(&served);
    let mut args = provision_args(&served, &pass);
    let deadline = args.iter().position(|a| a == "--deadline").unwrap();
    args[deadline + 1] = "2".into();
    args.extend(["--events".into(), "-".into()]);
    let out = command(&args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(7), "{stdout}{stderr}");
    assert!(
        events(&stdout)
            .iter()
            .any(|e| e["event"] == "waiting" && e["state"] == "connecting"),
        "{stdout}"
    );
    assert!(
        stderr.contains("waiting for the accessory to join (connecting)"),
        "{stderr}"
    );
}

#[test]
fn events_written_to_a_file_leave_stdout_to_the_json_outcome() {
    let served = Served::start(good("SIM-0001"));
    let pass = passphrase_file(&served);
    let file = served.dir().join("events.ndjson");
    let mut args = provision_args(&served, &pass);
    args.extend([
        "--json".into(),
        "--events".into(),
        file.display().to_string(),
    ]);
    let out = command(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(outcome["device"]["device_id"], "SIM-0001");
    let events = events(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(events.first().unwrap()["event"], "connecting");
    assert_eq!(events.last().unwrap()["event"], "recording");
}

/// Starts `provision --json` against a stalled accessory, waits until it is in the TLS handshake,
/// sends `signal`, and returns (exit status, stdout, stderr, `ledger show --json`).
fn interrupt_a_stalled_run(signal: &str) -> (Option<i32>, String, String, serde_json::Value) {
    let served = Served::start(with_faults("SIM-0001", &["stall"]));
    let pass = passphrase_file(&served);
    let mut args = provision_args(&served, &pass);
    args.push("--json".into());
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "the run ended before the handshake: {seen}");
        seen.push_str(&line);
        if line.contains("TLS handshake") {
            break;
        }
    }
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    seen.push_str(&rest);
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let show = Command::new(accessory_bin())
        .args(["ledger", "show", "SIM-0001", "--json", "--ledger"])
        .arg(served.dir().join("ledger.sqlite3"))
        .output()
        .unwrap();
    let show: serde_json::Value = serde_json::from_slice(&show.stdout)
        .unwrap_or_else(|e| panic!("ledger show: {e}: {show:?}"));
    (status.code(), stdout, seen, show)
}

#[track_caller]
fn assert_recorded_as_interrupted(stdout: &str, stderr: &str, show: &serde_json::Value) {
    let failure: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}{stderr}"));
    assert_eq!(failure["diagnosis"]["code"], "interrupted", "{stdout}");
    assert_eq!(failure["credentials_sent"], false, "{stdout}");
    assert!(stderr.contains("[interrupted]"), "{stderr}");
    let attempts = show["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{show}");
    assert_eq!(attempts[0]["outcome"], "interrupted", "{show}");
    assert_eq!(attempts[0]["diagnosis"], "interrupted", "{show}");
    assert!(!attempts[0]["ended"].is_null(), "{show}");
}

#[test]
fn ctrl_c_during_a_stalled_handshake_records_the_attempt_as_interrupted_and_exits_130() {
    let (code, stdout, stderr, show) = interrupt_a_stalled_run("-INT");
    assert_eq!(code, Some(130), "{stdout}{stderr}");
    assert_recorded_as_interrupted(&stdout, &stderr, &show);
}

#[test]
fn sigterm_during_a_stalled_handshake_records_the_attempt_as_interrupted_and_exits_143() {
    let (code, stdout, stderr, show) = interrupt_a_stalled_run("-TERM");
    assert_eq!(code, Some(143), "{stdout}{stderr}");
    assert_recorded_as_interrupted(&stdout, &stderr, &show);
}

#[test]
fn probe_reports_each_profile_step_as_it_goes() {
    let served = Served::start(good("SIM-0001"));
    let file = served.dir().join("probe-events.ndjson");
    let out = command(&[
        "probe".into(),
        served.addr().to_string(),
        "--profile".into(),
        "ios18".into(),
        "--profile".into(),
        "android".into(),
        "--json".into(),
        "--events".into(),
        file.display().to_string(),
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the JSON report");
    assert!(report["verdicts"].is_array(), "{report}");
    let events = events(&std::fs::read_to_string(&file).unwrap());
    let steps: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["profile"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(steps[0], ("capturing".into(), "ios18".into()), "{steps:?}");
    for profile in ["ios18", "android"] {
        assert!(
            steps.contains(&("real_hello".into(), profile.into())),
            "{steps:?}"
        );
    }
    assert!(
        steps.contains(&("handshake".into(), "android".into())),
        "{steps:?}"
    );
    // On a pipe, one line per step on stderr.
    assert!(stderr.contains("android: pinned handshake"), "{stderr}");
}

#[test]
fn on_a_terminal_the_phase_line_is_redrawn_in_place_with_a_ticking_time_and_cleared_at_the_end() {
    if !accessory_tests::skip::require_tool("script") {
        return;
    }
    // The reboot takes over a second: the line ticks while the phase stays the same.
    let served = Served::start(
        with_faults("SIM-0001", &["reboot-after-apply=1"]).with_connect_delay_ms(1500),
    );
    let pass = passphrase_file(&served);
    let mut line = accessory_bin().display().to_string();
    for a in provision_args(&served, &pass) {
        line.push(' ');
        line.push_str(&a);
    }
    // util-linux `script` gives the binary a pseudo-terminal for stdout and stderr.
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("ACCESSORY_LEDGER")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{tty:?}");
    assert!(
        tty.contains("\r\x1b[2Kaccessory: TLS handshake: "),
        "{tty:?}"
    );
    // The same phase drawn again with a later time: the ticker, not only the events.
    let again: Vec<&str> = tty
        .split("\r\x1b[2K")
        .filter(|d| d.starts_with("accessory: connecting to") && d.contains("again"))
        .collect();
    assert!(again.len() >= 3, "{again:?}");
    // The outcome starts on a cleared line.
    assert!(tty.contains("\r\x1b[2Kaccessory SIM-0001"), "{tty:?}");
}
