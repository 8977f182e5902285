//! `accessory provision fleet` as the real binary against 100 simulated accessories served by this
//! test process (accessory-sim's `Fleet`, one manufacturer CA per batch): good ones and a mix of
//! faults, each batch's manifest merged into one inventory. The accessories' own request records
//! count every `PUT /v1/network`, so "provisioned exactly once" is checked on the accessory's
//! side, not only in the ledger.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use accessory_sim::{Fleet, FleetOptions, Network, Scenario};
use accessory_tests::provision::{accessory_bin, PASSPHRASE};
use provision::{AttemptOutcome, Ledger};

/// A batch of simulated accessories, all alike.
struct Batch {
    fleet: Fleet,
    /// The code a failure must have; `None` for good ones.
    expect: Option<&'static str>,
}

async fn batch(
    dir: &Path,
    prefix: &str,
    n: usize,
    scenario: Scenario,
    expect: Option<&'static str>,
) -> Batch {
    let fleet = Fleet::start(
        n,
        FleetOptions::default().id_prefix(prefix).template(scenario),
    )
    .await
    .expect("the fleet starts");
    let d = dir.join(prefix);
    fleet
        .write(&d.join("anchors.pem"), &d.join("manifest.json"))
        .expect("the manifest is written");
    Batch { fleet, expect }
}

/// Every batch's manifest rows in one JSON inventory (rows keep their own anchors).
fn inventory(dir: &Path, batches: &[Batch]) -> PathBuf {
    let mut rows = Vec::new();
    for b in batches {
        let prefix = b.fleet.members()[0]
            .device_id()
            .split('-')
            .next()
            .unwrap()
            .to_owned();
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(&prefix).join("manifest.json")).unwrap(),
        )
        .unwrap();
        rows.extend(manifest["accessories"].as_array().unwrap().iter().cloned());
    }
    let path = dir.join("inventory.json");
    std::fs::write(&path, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    path
}

fn passphrase_file(dir: &Path) -> PathBuf {
    let path = dir.join("home.pass");
    std::fs::write(&path, format!("{PASSPHRASE}\n")).unwrap();
    path
}

fn fleet_command(inventory: &Path, ledger: &Path, pass: &Path, parallel: u16) -> Command {
    let mut cmd = Command::new(accessory_bin());
    cmd.args(["provision", "fleet", "--inventory"])
        .arg(inventory)
        .args([
            "--parallel",
            &parallel.to_string(),
            "--network-ssid",
            "Home",
        ])
        .arg("--network-passphrase-file")
        .arg(pass)
        .arg("--ledger")
        .arg(ledger)
        .args(["--json", "--deadline", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("accessory runs"))
        .await
        .unwrap()
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the report is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// How many `PUT /v1/network` the accessory received.
fn puts(sim: &accessory_sim::RunningSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path == "/v1/network")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_of_100_with_faults_provisions_every_good_one_and_diagnoses_every_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let quick = |id: &str| Scenario::good(id).with_connect_delay_ms(20);
    let batches = vec![
        batch(dir.path(), "GOOD", 70, quick("x"), None).await,
        batch(
            dir.path(),
            "EXPD",
            10,
            quick("x").with_fault("expired".parse().unwrap()),
            Some("cert.expired"),
        )
        .await,
        batch(
            dir.path(),
            "PASS",
            10,
            quick("x").with_networks(vec![Network::wpa2("Home", "another passphrase")]),
            Some("accessory.auth_failed"),
        )
        .await,
        batch(
            dir.path(),
            "HTTP",
            10,
            quick("x").with_fault("http-500".parse().unwrap()),
            Some("accessory.http_error"),
        )
        .await,
    ];
    let inv = inventory(dir.path(), &batches);
    let ledger_path = dir.path().join("ledger.sqlite3");
    let pass = passphrase_file(dir.path());
    let out = output(fleet_command(&inv, &ledger_path, &pass, 8)).await;
    let report = report(&out);
    assert_eq!(report["total"], 100, "{report}");
    assert_eq!(report["counts"]["connected"], 70, "{report}");
    assert_eq!(report["counts"]["failed"], 30, "{report}");
    for code in [
        "cert.expired",
        "accessory.auth_failed",
        "accessory.http_error",
    ] {
        assert_eq!(report["by_code"][code], 10, "{code}: {report}");
    }
    // The first failure in inventory order is an expired certificate: refused by the trust policy.
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let results = report["results"].as_array().unwrap();
    let ledger = Ledger::open(&ledger_path).unwrap();
    let attempts = ledger.attempts(None).unwrap();
    assert_eq!(attempts.len(), 100, "one attempt per accessory");
    for b in &batches {
        for sim in b.fleet.members() {
            let id = sim.device_id();
            let r = results.iter().find(|r| r["device_id"] == id).unwrap();
            let mine: Vec<_> = attempts
                .iter()
                .filter(|a| a.device_id.as_deref() == Some(id))
                .collect();
            assert_eq!(mine.len(), 1, "{id}: {mine:?}");
            match b.expect {
                None => {
                    assert_eq!(r["outcome"], "connected", "{r}");
                    assert_eq!(mine[0].outcome, AttemptOutcome::Connected);
                    assert_eq!(puts(sim), 1, "{id}");
                }
                Some(code) => {
                    assert_eq!(r["outcome"], "failed", "{r}");
                    assert_eq!(r["code"], code, "{r}");
                    assert_eq!(mine[0].diagnosis.as_deref(), Some(code));
                    // A refused certificate never got the network, nor one that answers every
                    // request (GET /v1/device first) with 500; a wrong passphrase got it once.
                    let expected_puts = usize::from(code == "accessory.auth_failed");
                    assert_eq!(puts(sim), expected_puts, "{id}");
                }
            }
        }
    }
    for b in batches {
        b.fleet.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_run_interrupted_at_a_random_point_and_resumed_provisions_each_accessory_exactly_once(
) {
    let dir = tempfile::tempdir().unwrap();
    // Slow enough that a random point lands mid-run: ~100 × 150 ms / 4 workers.
    let slow = Scenario::good("x").with_connect_delay_ms(150);
    let batches = vec![batch(dir.path(), "RES", 100, slow, None).await];
    let inv = inventory(dir.path(), &batches);
    let ledger_path = dir.path().join("ledger.sqlite3");
    let pass = passphrase_file(dir.path());

    // A random point between 0.3 s and 3.3 s, from the clock (no RNG crate for one number).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let after = Duration::from_millis(300 + u64::from(nanos % 3000));
    let child = fleet_command(&inv, &ledger_path, &pass, 4)
        .spawn()
        .expect("accessory starts");
    let pid = child.id();
    tokio::time::sleep(after).await;
    let killed = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let first = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let first_report = report(&first);
    let connected_first = first_report["counts"]["connected"].as_u64().unwrap_or(0);
    assert_eq!(
        first_report["counts"]["failed"].as_u64().unwrap_or(0),
        0,
        "{first_report}"
    );
    // The run takes over 3.75 s (100 × 150 ms / 4), so the signal always lands mid-run.
    assert_eq!(
        first_report["interrupted"], true,
        "after {after:?}: {first_report}"
    );
    assert_eq!(
        first.status.code(),
        Some(130),
        "interrupted after {after:?}"
    );
    assert!(connected_first < 100, "{first_report}");
    let stopped = first_report["stopped_before"]
        .as_str()
        .expect("where it stopped");
    let results = first_report["results"].as_array().unwrap();
    let at = results
        .iter()
        .position(|r| r["device_id"] == stopped)
        .unwrap();
    // In inventory order: everything before it was done, it and everything after were not started
    // (workers take rows in order; in-flight ones finished).
    assert!(
        results[..at].iter().all(|r| r["outcome"] == "connected"),
        "{first_report}"
    );
    assert!(
        results[at..].iter().all(|r| r["outcome"] == "not_started"),
        "{first_report}"
    );
    // Nothing was left half-way: every attempt the first run started, it finished.
    let ledger = Ledger::open(&ledger_path).unwrap();
    assert!(ledger
        .attempts(None)
        .unwrap()
        .iter()
        .all(|a| a.outcome != AttemptOutcome::InProgress));

    let second = output(fleet_command(&inv, &ledger_path, &pass, 4)).await;
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let second_report = report(&second);
    assert_eq!(
        second_report["counts"]["skipped"].as_u64().unwrap_or(0),
        connected_first
    );
    assert_eq!(
        second_report["counts"]["connected"].as_u64().unwrap_or(0),
        100 - connected_first
    );

    let attempts = ledger.attempts(None).unwrap();
    for sim in batches[0].fleet.members() {
        let id = sim.device_id();
        assert_eq!(
            puts(sim),
            1,
            "{id} was sent the network {} times",
            puts(sim)
        );
        let connected = attempts
            .iter()
            .filter(|a| {
                a.device_id.as_deref() == Some(id) && a.outcome == AttemptOutcome::Connected
            })
            .count();
        assert_eq!(connected, 1, "{id}");
    }
    for b in batches {
        b.fleet.shutdown().await;
    }
}

#[test]
fn a_bad_inventory_row_is_refused_before_any_accessory_is_contacted_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.csv");
    std::fs::write(
        &inv,
        "device_id,address,pin\nA-1,127.0.0.1:9,sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nA-2,127.0.0.1:9,\n",
    )
    .unwrap();
    let out = Command::new(accessory_bin())
        .args(["provision", "fleet", "--inventory"])
        .arg(&inv)
        .arg("--ledger")
        .arg(dir.path().join("l.sqlite3"))
        .args(["--network-ssid", "Home"])
        .env("ACCESSORY_NETWORK_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3 (row 2) (A-2): no way to trust it"),
        "{err}"
    );
    assert!(err.contains("[input.inventory]"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stations_on_one_postgres_ledger_with_the_same_inventory_provision_each_accessory_once()
{
    let Some(db) = accessory_tests::postgres::database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Each accessory takes 300 ms to join, so the two stations overlap.
    let good = batch(
        dir.path(),
        "TWO",
        30,
        Scenario::good("x").with_connect_delay_ms(300),
        None,
    )
    .await;
    let inv = inventory(dir.path(), std::slice::from_ref(&good));
    let pass = passphrase_file(dir.path());
    let ledger = Path::new(&db.url);
    let (a, b) = tokio::join!(
        output(fleet_command(&inv, ledger, &pass, 4)),
        output(fleet_command(&inv, ledger, &pass, 4)),
    );
    let (ra, rb) = (report(&a), report(&b));
    let connected = |r: &serde_json::Value| r["counts"]["connected"].as_u64().unwrap_or(0);
    assert_eq!(
        connected(&ra) + connected(&rb),
        30,
        "together the stations provisioned every accessory once:\n{ra}\n{rb}"
    );
    for member in good.fleet.members() {
        assert_eq!(
            puts(member),
            1,
            "{} got its network once, from one station",
            member.device_id()
        );
    }
    // Every attempt from both stations is in the one ledger, none left in progress.
    let shared = Ledger::open(&db.url).unwrap();
    let attempts = shared.attempts(None).unwrap();
    let done = attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Connected)
        .count();
    assert_eq!(done, 30, "{attempts:#?}");
    assert!(attempts
        .iter()
        .all(|a| a.outcome != AttemptOutcome::InProgress));
    let stations: std::collections::HashSet<_> =
        attempts.iter().filter_map(|a| a.station.clone()).collect();
    assert!(stations.len() <= 2 && !stations.is_empty(), "{stations:?}");
}

/// A station of the killed-station tests: `--deadline 6 --lease 11s` (the shortest lease the
/// command allows for that deadline), events as NDJSON and the report as JSON on stdout.
fn station(inventory: &Path, ledger: &str, pass: &Path, parallel: u16) -> Command {
    let mut cmd = Command::new(accessory_bin());
    cmd.args(["provision", "fleet", "--inventory"])
        .arg(inventory)
        .args([
            "--parallel",
            &parallel.to_string(),
            "--network-ssid",
            "Home",
        ])
        .arg("--network-passphrase-file")
        .arg(pass)
        .args(["--ledger", ledger])
        .args(["--events", "--json", "--deadline", "6", "--lease", "11s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The lease the killed-station tests give.
const KILL_TEST_LEASE: Duration = Duration::from_secs(11);

/// The events (NDJSON lines) and the report (the last line) a station printed.
fn events_and_report(out: &Output) -> (Vec<serde_json::Value>, serde_json::Value) {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                panic!(
                    "a JSON line ({e}): {l}\nstderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
        })
        .collect();
    let report = lines.pop().expect("a report line");
    (lines, report)
}

/// Station A works an inventory of slow accessories and is SIGKILLed while it holds claims on
/// some of them; station B, started at once, leaves those alone (held) and does the rest; run
/// again once A's leases have run out, B provisions them. Every accessory ends with exactly one
/// connected attempt, A's killed attempts are recorded as interrupted under A's station, and only
/// an accessory A was working on when it died may have been sent the network twice (once by A
/// before it died, unrecorded, once by B after the lease).
async fn a_killed_station_s_claims_expire_and_another_station_finishes_them(ledger: &str) {
    let dir = tempfile::tempdir().unwrap();
    // 1.5 s to join each: A's workers are mid-accessory most of the time.
    let fleet = batch(
        dir.path(),
        "KIL",
        10,
        Scenario::good("x").with_connect_delay_ms(1500),
        None,
    )
    .await;
    let inv = inventory(dir.path(), std::slice::from_ref(&fleet));
    let pass = passphrase_file(dir.path());

    // Station A, 2 at a time: killed once it has finished 2 and started 2 more.
    let mut a = station(&inv, ledger, &pass, 2)
        .spawn()
        .expect("station A starts");
    let a_pid = a.id();
    let a_stdout = a.stdout.take().unwrap();
    let (in_flight, a_done) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut started = Vec::new();
        let mut done = Vec::new();
        let mut lines = std::io::BufReader::new(a_stdout).lines();
        let read =
            |line: std::io::Result<String>, started: &mut Vec<String>, done: &mut Vec<String>| {
                let line = line.expect("station A's events");
                let e: serde_json::Value = serde_json::from_str(&line).unwrap();
                let id = e["device_id"].as_str().unwrap_or_default().to_owned();
                match e["event"].as_str() {
                    Some("started") => started.push(id),
                    Some("succeeded") => done.push(id),
                    Some("failed") => panic!("station A failed an accessory: {line}"),
                    _ => {}
                }
            };
        for line in lines.by_ref() {
            read(line, &mut started, &mut done);
            if done.len() >= 2 && started.len() >= done.len() + 2 {
                break;
            }
        }
        // Far into the two it holds (they take 1.5 s after their network is sent), then killed.
        std::thread::sleep(Duration::from_millis(700));
        a.kill().expect("SIGKILL station A");
        let _ = a.wait();
        for line in lines {
            read(line, &mut started, &mut done);
        }
        started.retain(|id| !done.contains(id));
        (started, done)
    })
    .await
    .unwrap();
    let killed_at = std::time::Instant::now();
    assert_eq!(in_flight.len(), 2, "A was killed holding two claims");

    // Station B at once: A's live claims are held, everything else is done.
    let b1 = output(station(&inv, ledger, &pass, 4)).await;
    let (b1_events, b1_report) = events_and_report(&b1);
    assert_eq!(
        b1.status.code(),
        Some(8),
        "held accessories are not done: {b1_report}"
    );
    for r in b1_report["results"].as_array().unwrap() {
        let id = r["device_id"].as_str().unwrap();
        let expected = if in_flight.iter().any(|i| i == id) {
            "held"
        } else if a_done.iter().any(|i| i == id) {
            "skipped"
        } else {
            "connected"
        };
        assert_eq!(r["outcome"], expected, "{id} in B's first run: {b1_report}");
    }
    let a_station = format!(":{a_pid}");
    for id in &in_flight {
        assert!(
            b1_events.iter().any(|e| e["event"] == "held"
                && e["device_id"] == id.as_str()
                && e["station"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with(&a_station)),
            "B says A holds {id}: {b1_events:?}"
        );
    }

    // Once A's leases have run out, B again: it provisions what A left.
    let wait = (KILL_TEST_LEASE + Duration::from_secs(1)).saturating_sub(killed_at.elapsed());
    tokio::time::sleep(wait).await;
    let b2 = output(station(&inv, ledger, &pass, 4)).await;
    let (_, b2_report) = events_and_report(&b2);
    assert_eq!(b2.status.code(), Some(0), "{b2_report}");
    assert_eq!(b2_report["counts"]["connected"], 2, "{b2_report}");
    assert_eq!(b2_report["counts"]["skipped"], 8, "{b2_report}");

    let shared = Ledger::open(ledger).unwrap();
    let attempts = shared.attempts(None).unwrap();
    assert!(
        attempts
            .iter()
            .all(|a| a.outcome != AttemptOutcome::InProgress),
        "{attempts:#?}"
    );
    let mut interrupted_by_a = 0;
    for member in fleet.fleet.members() {
        let id = member.device_id();
        let mine: Vec<_> = attempts
            .iter()
            .filter(|a| a.device_id.as_deref() == Some(id))
            .collect();
        let connected = mine
            .iter()
            .filter(|a| a.outcome == AttemptOutcome::Connected)
            .count();
        assert_eq!(connected, 1, "{id} provisioned exactly once: {mine:#?}");
        let by_a = |a: &&&provision::AttemptRecord| {
            a.station
                .as_deref()
                .unwrap_or_default()
                .ends_with(&a_station)
        };
        let a_attempts: Vec<_> = mine.iter().filter(by_a).collect();
        if in_flight.iter().any(|i| i == id) {
            // A's attempt, if A lived to record it, is interrupted; B's is the connected one.
            assert!(
                a_attempts
                    .iter()
                    .all(|a| a.outcome == AttemptOutcome::Interrupted),
                "{id}: A's killed attempt is recorded as interrupted: {mine:#?}"
            );
            interrupted_by_a += a_attempts.len();
            let n = puts(member);
            assert!(
                n <= 1 + a_attempts.len(),
                "{id}: sent the network {n} times (at most once by A before it died, once by B)"
            );
        } else {
            assert_eq!(mine.len(), 1, "{id}: one attempt: {mine:#?}");
            assert_eq!(puts(member), 1, "{id} got its network once");
        }
    }
    assert!(
        interrupted_by_a >= 1,
        "A was killed 700 ms into two accessories: its attempts are in the ledger, interrupted"
    );
    fleet.fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_station_s_claims_on_a_postgres_ledger_expire_and_another_station_finishes_them() {
    let Some(db) = accessory_tests::postgres::database() else {
        return;
    };
    a_killed_station_s_claims_expire_and_another_station_finishes_them(&db.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_station_s_claims_on_a_shared_sqlite_file_expire_and_another_station_finishes_them(
) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    a_killed_station_s_claims_expire_and_another_station_finishes_them(ledger.to_str().unwrap())
        .await;
}

#[test]
fn a_lease_shorter_than_the_deadline_and_its_margin_is_refused_before_anything_is_contacted() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.csv");
    // An address nothing listens on: the refusal must come first.
    std::fs::write(&inv, "device_id,address,pin\nA-1,127.0.0.1:9,sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let out = Command::new(accessory_bin())
        .args(["provision", "fleet", "--inventory"])
        .arg(&inv)
        .args([
            "--network-ssid",
            "Home",
            "--deadline",
            "30",
            "--lease",
            "20s",
        ])
        .arg("--ledger")
        .arg(&ledger)
        .env("ACCESSORY_NETWORK_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("[usage.invalid_value]"), "{err}");
    assert!(err.contains("--lease 35s or more"), "{err}");
    assert!(!ledger.exists(), "nothing was opened: {err}");
}

/// What the test radios saw: joins per radio and per SoftAP, and whether a radio was ever asked
/// to join while already on a SoftAP.
#[derive(Default)]
struct Airwaves {
    /// SoftAPs joined, in order, with the radio that joined each.
    joins: std::sync::Mutex<Vec<(String, String)>>,
    /// Radios on a SoftAP now.
    on_air: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Most radios on a SoftAP at once.
    most_at_once: std::sync::atomic::AtomicUsize,
    /// A radio asked to join while already joined (must never happen).
    overlaps: std::sync::Mutex<Vec<String>>,
}

/// A radio whose "SoftAPs" are the simulated accessories on loopback: it scans every SSID of the
/// inventory, records joins and leaves, and hands out a lease on `lo`.
struct TestRadio {
    name: String,
    ssids: Vec<String>,
    air: Arc<Airwaves>,
    joined: Option<String>,
}

impl provision::wifi::WifiBackend for TestRadio {
    fn name(&self) -> &'static str {
        "test"
    }
    fn scan(&mut self) -> Result<Vec<provision::wifi::ScanResult>, provision::wifi::WifiError> {
        Ok(self
            .ssids
            .iter()
            .map(|s| provision::wifi::ScanResult {
                ssid: s.clone(),
                bssid: None,
                signal_dbm: -50,
                security: Some(provision::Security::Open),
                frequency_mhz: None,
                handle: s.clone(),
            })
            .collect())
    }
    fn join(
        &mut self,
        network: &provision::wifi::ScanResult,
        _: Option<&str>,
    ) -> Result<(), provision::wifi::WifiError> {
        let mut on_air = self.air.on_air.lock().unwrap();
        if !on_air.insert(self.name.clone()) {
            self.air.overlaps.lock().unwrap().push(format!(
                "{} asked to join {} while on another SoftAP",
                self.name, network.ssid
            ));
        }
        self.air
            .most_at_once
            .fetch_max(on_air.len(), std::sync::atomic::Ordering::SeqCst);
        self.air
            .joins
            .lock()
            .unwrap()
            .push((network.ssid.clone(), self.name.clone()));
        self.joined = Some(network.ssid.clone());
        Ok(())
    }
    fn address(
        &mut self,
        _: Duration,
    ) -> Result<provision::wifi::Lease, provision::wifi::WifiError> {
        Ok(provision::wifi::Lease {
            interface: "lo".into(),
            address: std::net::Ipv4Addr::LOCALHOST,
            prefix_len: 8,
            router: Some(std::net::Ipv4Addr::LOCALHOST),
            server: None,
            lease_time: None,
        })
    }
    fn leave(&mut self) -> Result<(), provision::wifi::WifiError> {
        if self.joined.take().is_some() {
            self.air.on_air.lock().unwrap().remove(&self.name);
        }
        Ok(())
    }
    fn restore(&mut self) -> Result<(), provision::wifi::WifiError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn softap_rows_are_joined_one_at_a_time_per_radio_over_two_radios_while_address_rows_go_on_in_parallel(
) {
    let dir = tempfile::tempdir().unwrap();
    // 400 ms to join the home network: long enough for the two radios' work to overlap.
    let slow = || Scenario::good("x").with_connect_delay_ms(400);
    let batches = vec![
        batch(dir.path(), "AP", 6, slow(), None).await,
        batch(dir.path(), "ADDR", 4, slow(), None).await,
    ];
    let inv = inventory(dir.path(), &batches);
    // The AP rows name a SoftAP (and the loopback address the test radios reach it at).
    let mut rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&inv).unwrap()).unwrap();
    let mut ssids = Vec::new();
    for row in &mut rows {
        let id = row["id"].as_str().unwrap().to_owned();
        if id.starts_with("AP-") {
            let ssid = format!("Acme-{id}");
            row["softap_ssid"] = ssid.clone().into();
            ssids.push(ssid);
        }
    }
    std::fs::write(&inv, serde_json::to_string(&rows).unwrap()).unwrap();
    let inventory = provision::fleet::Inventory::read(&inv).unwrap();

    let air = Arc::new(Airwaves::default());
    let radio = |name: &str| {
        let (name, ssids, air) = (name.to_owned(), ssids.clone(), Arc::clone(&air));
        provision::fleet::Radio::with_backend(name.clone(), move || {
            Ok(Box::new(TestRadio {
                name: name.clone(),
                ssids: ssids.clone(),
                air: Arc::clone(&air),
                joined: None,
            }) as Box<dyn provision::wifi::WifiBackend>)
        })
    };
    let ledger = Arc::new(Ledger::open(dir.path().join("ledger.sqlite3")).unwrap());
    let deadline = Duration::from_secs(20);
    let options = provision::fleet::FleetOptions {
        parallel: 2,
        force: false,
        deadline,
        network: Some(provision::Network {
            ssid: "Home".into(),
            passphrase: provision::Secret::new(PASSPHRASE.into()),
            security: provision::Security::Wpa2Psk,
            hidden: false,
        }),
        ledger: Arc::clone(&ledger),
        lease: provision::fleet::default_lease(deadline),
        api_profile: None,
        radios: provision::fleet::Radios {
            radios: vec![radio("radio-1"), radio("radio-2")],
            join_timeout: Duration::from_secs(5),
            softap_passphrase: None,
        },
    };
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let report = provision::fleet::run(
        &inventory,
        options,
        Arc::new(move |e: &provision::fleet::FleetEvent| sink.lock().unwrap().push(e.to_string())),
        std::future::pending(),
    )
    .await
    .unwrap();
    assert!(report.all_done(), "{report}\n{:#?}", events.lock().unwrap());
    assert_eq!(report.count(provision::fleet::Disposition::Connected), 10);

    let overlaps = air.overlaps.lock().unwrap().clone();
    assert!(overlaps.is_empty(), "{overlaps:?}");
    let joins = air.joins.lock().unwrap().clone();
    let mut joined: Vec<_> = joins.iter().map(|(s, _)| s.clone()).collect();
    joined.sort();
    assert_eq!(joined, ssids, "each SoftAP joined once, address rows never");
    for name in ["radio-1", "radio-2"] {
        assert!(
            joins.iter().any(|(_, r)| r == name),
            "{name} worked: {joins:?}"
        );
    }
    assert_eq!(
        air.most_at_once.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "both radios were on a SoftAP at once: {joins:?}"
    );
    assert!(air.on_air.lock().unwrap().is_empty(), "every SoftAP left");
    // SoftAP rows are reported by their SoftAP; every accessory got its network once.
    for r in &report.results {
        if r.device_id.starts_with("AP-") {
            assert!(r.address.starts_with("127.0.0.1:"), "{r:?}");
        }
    }
    for b in &batches {
        for member in b.fleet.members() {
            assert_eq!(puts(member), 1, "{}", member.device_id());
        }
    }
    for b in batches {
        b.fleet.shutdown().await;
    }
}

#[test]
fn a_softap_row_without_a_radio_is_refused_before_any_accessory_is_contacted() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.csv");
    std::fs::write(
        &inv,
        "device_id,address,softap_ssid,pin\n\
         A-1,127.0.0.1:9,,sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
         A-2,,Acme-A-2,sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    let out = Command::new(accessory_bin())
        .args(["provision", "fleet", "--inventory"])
        .arg(&inv)
        .args(["--network-ssid", "Home"])
        .arg("--ledger")
        .arg(dir.path().join("ledger.sqlite3"))
        .env("ACCESSORY_NETWORK_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("[input.inventory]"), "{err}");
    assert!(err.contains("A-2") && err.contains("--wifi"), "{err}");
    assert!(!err.contains("started"), "nothing was contacted: {err}");
}

/// A real backend, with every join and leave recorded in `air` under the radio's name.
struct Recorded {
    inner: Box<dyn provision::wifi::WifiBackend>,
    name: String,
    air: Arc<Airwaves>,
}

impl provision::wifi::WifiBackend for Recorded {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn scan(&mut self) -> Result<Vec<provision::wifi::ScanResult>, provision::wifi::WifiError> {
        self.inner.scan()
    }
    fn join(
        &mut self,
        network: &provision::wifi::ScanResult,
        passphrase: Option<&str>,
    ) -> Result<(), provision::wifi::WifiError> {
        {
            let mut on_air = self.air.on_air.lock().unwrap();
            if !on_air.insert(self.name.clone()) {
                self.air.overlaps.lock().unwrap().push(format!(
                    "{} asked to join {} while on another SoftAP",
                    self.name, network.ssid
                ));
            }
            self.air
                .most_at_once
                .fetch_max(on_air.len(), std::sync::atomic::Ordering::SeqCst);
            self.air
                .joins
                .lock()
                .unwrap()
                .push((network.ssid.clone(), self.name.clone()));
        }
        self.inner.join(network, passphrase)
    }
    fn address(
        &mut self,
        timeout: Duration,
    ) -> Result<provision::wifi::Lease, provision::wifi::WifiError> {
        self.inner.address(timeout)
    }
    fn leave(&mut self) -> Result<(), provision::wifi::WifiError> {
        let left = self.inner.leave();
        self.air.on_air.lock().unwrap().remove(&self.name);
        left
    }
    fn restore(&mut self) -> Result<(), provision::wifi::WifiError> {
        self.inner.restore()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_namespace_softap_rows_over_two_sim_radios_are_each_joined_provisioned_and_left() {
    use accessory_tests::softap as ap;
    if !ap::root_or_skip(
        "four_namespace_softap_rows_over_two_sim_radios_are_each_joined_provisioned_and_left",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut softaps = Vec::new();
    let mut csv = String::from("device_id,softap_ssid,pin\n");
    let mut ssids = Vec::new();
    for i in 1..=4 {
        let ssid = ap::unique_ssid("FleetAP");
        let id = format!("NSF-{i:04}");
        // 1 s to join the home network: the two radios' accessories overlap.
        let (softap, sim) = ap::start(
            accessory_sim::SoftApConfig::open(&ssid),
            Scenario::good(&id).with_connect_delay_ms(1000),
        )
        .await;
        csv.push_str(&format!("{id},{ssid},{}\n", sim.pin()));
        ssids.push(ssid);
        softaps.push((softap, sim));
    }
    ssids.sort();
    let footprints: Vec<_> = softaps.iter().map(|(s, _)| ap::footprint(s)).collect();
    let inv = dir.path().join("softaps.csv");
    std::fs::write(&inv, csv).unwrap();
    let inventory = provision::fleet::Inventory::read(&inv).unwrap();

    let air = Arc::new(Airwaves::default());
    let radio = |name: &str| {
        let (name, air) = (name.to_owned(), Arc::clone(&air));
        provision::fleet::Radio::with_backend(name.clone(), move || {
            Ok(Box::new(Recorded {
                inner: provision::wifi::backend(provision::wifi::BackendKind::Sim, None)?,
                name: name.clone(),
                air: Arc::clone(&air),
            }) as Box<dyn provision::wifi::WifiBackend>)
        })
    };
    let deadline = Duration::from_secs(30);
    let options = provision::fleet::FleetOptions {
        parallel: 1,
        force: false,
        deadline,
        network: Some(provision::Network {
            ssid: "Home".into(),
            passphrase: provision::Secret::new(PASSPHRASE.into()),
            security: provision::Security::Wpa2Psk,
            hidden: false,
        }),
        ledger: Arc::new(Ledger::open(dir.path().join("ledger.sqlite3")).unwrap()),
        lease: provision::fleet::default_lease(deadline),
        api_profile: None,
        radios: provision::fleet::Radios {
            radios: vec![radio("radio-1"), radio("radio-2")],
            join_timeout: Duration::from_secs(20),
            softap_passphrase: None,
        },
    };
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let report = provision::fleet::run(
        &inventory,
        options,
        Arc::new(move |e: &provision::fleet::FleetEvent| sink.lock().unwrap().push(e.to_string())),
        std::future::pending(),
    )
    .await
    .unwrap();
    assert!(report.all_done(), "{report}\n{:#?}", events.lock().unwrap());
    assert_eq!(report.count(provision::fleet::Disposition::Connected), 4);
    let overlaps = air.overlaps.lock().unwrap().clone();
    assert!(overlaps.is_empty(), "{overlaps:?}");
    let joins = air.joins.lock().unwrap().clone();
    let mut joined: Vec<_> = joins.iter().map(|(s, _)| s.clone()).collect();
    joined.sort();
    assert_eq!(joined, ssids, "each SoftAP joined once");
    assert_eq!(
        air.most_at_once.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "both radios on a SoftAP at once: {joins:?}"
    );
    assert!(air.on_air.lock().unwrap().is_empty(), "every SoftAP left");
    for (_, sim) in &softaps {
        assert_eq!(puts(sim), 1, "{} got its network once", sim.device_id());
    }
    tokio::task::spawn_blocking(move || {
        for (softap, sim) in softaps {
            drop(sim);
            softap.stop();
        }
    })
    .await
    .unwrap();
    for f in &footprints {
        ap::assert_nothing_left(f);
    }
}
