//! `accessory probe` as the real binary: exit statuses, the text report, `--json` for scripts.

use std::process::{Command, Output};

use accessory_sim::{Fault, Scenario, Simulator};
use accessory_tests::provision::accessory_bin;

/// Runs `accessory probe` with `args` (the target first) on a blocking thread.
async fn accessory_probe(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(accessory_bin())
            .arg("probe")
            .args(&args)
            .env_remove("ACCESSORY_PROBE_PROFILES")
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

async fn probe_sim(faults: &[&str], extra: &[&str]) -> Output {
    let mut scenario = Scenario::good("SIM-PROBE-CLI");
    for f in faults {
        scenario = scenario.with_fault(f.parse::<Fault>().unwrap());
    }
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut args = vec![sim.addr().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = accessory_probe(args).await;
    sim.shutdown().await;
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn probe_exits_zero_against_a_good_accessory_and_prints_json_for_scripts() {
    let out = probe_sim(&[], &["--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["profiles"].as_array().unwrap().len(), 5);
    assert!(report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["passed"] == true));
    let ios26 = &report["profiles"][0];
    assert_eq!(ios26["profile"], "ios26");
    assert!(ios26["clienthello"]["record_bytes"].as_u64().unwrap() > 1024);
}

#[tokio::test]
async fn probe_exits_with_the_verdict_status_and_names_the_clienthello_when_ios26_would_fail() {
    let out = probe_sim(&["clienthello-limit=1024,bad_certificate"], &[]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("iOS 26   FAILS"), "{stdout}");
    assert!(stdout.contains("iOS 18   passes"), "{stdout}");
    assert!(stdout.contains("errSSLPeerBadCert (-9825)"), "{stdout}");
    assert!(stdout.contains("-byte ClientHello of ios26"), "{stdout}");
}

#[tokio::test]
async fn probe_with_only_the_ios18_profile_passes_an_accessory_that_only_ios26_breaks() {
    let out = probe_sim(&["clienthello-limit=1024"], &["--profile", "ios18"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("iOS 26"));
}

#[tokio::test]
async fn probe_with_an_unknown_profile_is_a_usage_error_naming_the_known_ones() {
    let out = accessory_probe(vec![
        "127.0.0.1:1".into(),
        "--profile".into(),
        "ios9".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ios9") && stderr.contains("ios26, ios18"),
        "{stderr}"
    );
    assert!(stderr.contains("[probe.unknown_profile]"), "{stderr}");
}

#[tokio::test]
async fn probe_of_a_port_nobody_listens_on_is_unreachable() {
    // Bind and drop: the port was free a moment ago and nothing listens on it now (on
    // 127.0.0.3, where no other test's server can be given the same port).
    let port = std::net::TcpListener::bind("127.0.0.3:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = accessory_probe(vec![format!("127.0.0.3:{port}")]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("[net.refused]"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn probe_without_a_port_uses_443_like_provision() {
    // Nothing listens on 127.0.0.1:443 here: refused, on the port provision would use too.
    let out = accessory_probe(vec!["127.0.0.1".into()]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("[net.refused]"), "{stderr}");
}

/// `--report DIR`: the report (JSON and text), the exact bytes of every ClientHello sent and a
/// transcript per profile; a second run into the same directory overwrites nothing.
#[tokio::test]
async fn probe_report_dir_holds_the_exact_clienthellos_a_transcript_of_each_and_the_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bug-1234");
    let dir_arg = dir.to_str().unwrap();
    let out = probe_sim(
        &["clienthello-limit=1024"],
        &[
            "--profile",
            "ios26",
            "--profile",
            "ios18",
            "--report",
            dir_arg,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["verdicts"][0]["passed"], false);
    let rustls = std::fs::read(dir.join("01-ios26-rustls.clienthello.bin")).unwrap();
    assert_eq!(
        rustls.len() as u64,
        json["profiles"][0]["clienthello"]["record_bytes"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(rustls[0], 22, "a handshake record");
    let real = std::fs::read(dir.join("01-ios26-real.clienthello.bin")).unwrap();
    assert_eq!(
        real.len() as u64,
        json["profiles"][0]["faithful"]["bytes"].as_u64().unwrap()
    );
    assert!(real.len() > 1460, "the real iOS 26 hello: {}", real.len());
    let transcript = std::fs::read_to_string(dir.join("01-ios26.transcript.txt")).unwrap();
    assert!(transcript.contains("whole (one write): "), "{transcript}");
    assert!(transcript.contains("split (2 segments"), "{transcript}");
    assert!(dir.join("02-ios18.transcript.txt").exists());
    assert!(std::fs::read_to_string(dir.join("report.txt"))
        .unwrap()
        .contains("verdict:"));

    let before = std::fs::read(dir.join("report.json")).unwrap();
    let again = probe_sim(&[], &["--profile", "ios18", "--report", dir_arg]).await;
    assert_ne!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("probe.report_write"),
        "{}",
        text(&again.stderr)
    );
    assert!(
        text(&again.stdout).contains("verdict:"),
        "the report is still printed"
    );
    assert_eq!(std::fs::read(dir.join("report.json")).unwrap(), before);
}

/// `--interface` to an accessory that is not on the interface's subnets is a wrong interface, said
/// before anything is sent (not "no route" or a timeout, which read as "out of range"); through the
/// right interface the probe runs bound to it.
#[tokio::test]
async fn probe_through_an_interface_off_the_accessorys_subnet_says_wrong_interface_before_connecting(
) {
    let started = std::time::Instant::now();
    let out = accessory_probe(vec![
        "192.0.2.1:443".into(),
        "--interface".into(),
        "lo".into(),
    ])
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("[net.wrong_interface]"), "{err}");
    assert!(err.contains("not on its subnets (127.0.0.1/8"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    if !accessory_tests::skip::require_root() {
        return;
    }
    let out = probe_sim(&[], &["--profile", "ios18", "--interface", "lo"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
