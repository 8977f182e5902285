//! The ledger of several stations: the same behaviour from the embedded SQLite file and from a
//! real PostgreSQL database (a database of the test's own on `ACCESSORY_TEST_POSTGRES`; a visible
//! skip without it). Two `Ledger` handles are two stations.

use std::sync::Arc;
use std::time::Duration;

use accessory_sim::Scenario;
use accessory_tests::postgres::{database, TestDatabase};
use accessory_tests::provision::{good, request, start, Mode};
use provision::{AttemptOutcome, Claim, Ledger, SCHEMA_VERSION};
use time::OffsetDateTime;

/// Where the two backends live for one test: keep the guard alive while the ledger is used.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(TestDatabase),
}

impl Backend {
    fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().unwrap())
    }

    fn target(&self) -> String {
        match self {
            Self::Sqlite(dir) => dir.path().join("ledger.sqlite3").display().to_string(),
            Self::Postgres(db) => db.url.clone(),
        }
    }

    fn station(&self, name: &str) -> Ledger {
        Ledger::open(self.target())
            .unwrap_or_else(|e| panic!("{e}"))
            .with_station(name)
    }
}

/// Runs `check` on SQLite, then on PostgreSQL (or records the skip of the latter).
fn on_both(check: impl Fn(&Backend)) {
    check(&Backend::sqlite());
    if let Some(db) = database() {
        check(&Backend::Postgres(db));
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

#[test]
fn a_fresh_database_is_migrated_to_the_current_version_once_even_by_two_stations_at_once() {
    on_both(|backend| {
        let target = backend.target();
        let opened: Vec<_> = (0..2)
            .map(|_| {
                let target = target.clone();
                std::thread::spawn(move || Ledger::open(target).map(|l| l.migrations()))
            })
            .collect();
        for o in opened {
            let applied = o.join().unwrap().unwrap().unwrap();
            let expected: Vec<i64> = (1..=i64::from(SCHEMA_VERSION)).collect();
            assert_eq!(applied, expected, "{target}");
        }
        let ledger = backend.station("a");
        assert_eq!(ledger.is_shared(), target.starts_with("postgres://"));
        ledger.integrity_check().unwrap();
    });
}

#[test]
fn records_attempts_and_case_insensitive_ids_read_the_same_from_both_backends() {
    on_both(|backend| {
        let ledger = backend.station("a");
        let record = provision::AccessoryRecord {
            id: "SIM-1".into(),
            pin: "sha256/first".into(),
            fingerprint: "ab".repeat(32),
            model: None,
            firmware: Some("1.0".into()),
            first_seen: now(),
            last_seen: now(),
        };
        ledger.saw_accessory(&record).unwrap();
        let mut again = record.clone();
        again.id = "sim-1".into();
        again.pin = "sha256/second".into();
        ledger.saw_accessory(&again).unwrap();
        let got = ledger.accessory("Sim-1").unwrap().unwrap();
        assert_eq!(
            (got.id.as_str(), got.pin.as_str()),
            ("SIM-1", "sha256/second")
        );
        assert_eq!((got.model, got.firmware.as_deref()), (None, Some("1.0")));
        let id = ledger
            .start_attempt(Some("SIM-1"), "127.0.0.1:1", "Home", now())
            .unwrap();
        ledger
            .finish_attempt(id, None, AttemptOutcome::Connected, None, Some(5), now())
            .unwrap();
        let attempts = ledger.attempts(Some("sim-1")).unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].outcome, AttemptOutcome::Connected);
        assert_eq!(attempts[0].round_trips, Some(5));
        assert_eq!(attempts[0].station.as_deref(), Some("a"));
        assert!(ledger.forget("SIM-1").unwrap());
        assert_eq!(ledger.accessory("SIM-1").unwrap(), None);
    });
}

#[test]
fn a_claim_is_exclusive_across_two_stations_until_released() {
    on_both(|backend| {
        let (a, b) = (backend.station("station-a"), backend.station("station-b"));
        let lease = Duration::from_secs(60);
        let Claim::Claimed { until } = a.claim("SIM-0001", lease).unwrap() else {
            panic!("a free accessory is claimed");
        };
        match b.claim("sim-0001", lease).unwrap() {
            Claim::HeldBy {
                station,
                until: held,
            } => {
                assert_eq!(station, "station-a");
                assert_eq!(held, until);
            }
            other => panic!("station b got {other:?} while a holds it"),
        }
        // Renewing one's own claim extends it; another station cannot renew or release it.
        assert!(a.renew("SIM-0001", lease).unwrap().unwrap() >= until);
        assert_eq!(b.renew("SIM-0001", lease).unwrap(), None);
        assert!(!b.release("SIM-0001").unwrap());
        assert!(matches!(
            b.claim("SIM-0001", lease).unwrap(),
            Claim::HeldBy { .. }
        ));
        assert!(a.release("SIM-0001").unwrap());
        assert!(matches!(
            b.claim("SIM-0001", lease).unwrap(),
            Claim::Claimed { .. }
        ));
        assert!(matches!(
            a.claim("SIM-0001", lease).unwrap(),
            Claim::HeldBy { .. }
        ));
    });
}

#[test]
fn an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew_it() {
    on_both(|backend| {
        let (dead, alive) = (backend.station("dead"), backend.station("alive"));
        assert!(matches!(
            dead.claim("SIM-0002", Duration::from_millis(200)).unwrap(),
            Claim::Claimed { .. }
        ));
        assert!(matches!(
            alive.claim("SIM-0002", Duration::from_secs(60)).unwrap(),
            Claim::HeldBy { .. }
        ));
        std::thread::sleep(Duration::from_millis(400));
        assert!(matches!(
            alive.claim("SIM-0002", Duration::from_secs(60)).unwrap(),
            Claim::Claimed { .. }
        ));
        assert_eq!(
            dead.renew("SIM-0002", Duration::from_secs(60)).unwrap(),
            None
        );
    });
}

#[test]
fn many_workers_racing_for_the_same_accessories_each_get_every_one_exactly_once() {
    on_both(|backend| {
        let target = backend.target();
        let winners: Vec<_> = (0..4)
            .map(|w| {
                let target = target.clone();
                std::thread::spawn(move || {
                    let ledger = Ledger::open(&target).unwrap().with_station(format!("w{w}"));
                    (0..25)
                        .filter(|i| {
                            matches!(
                                ledger
                                    .claim(&format!("SIM-{i:04}"), Duration::from_secs(60))
                                    .unwrap(),
                                Claim::Claimed { .. }
                            )
                        })
                        .map(|i| format!("SIM-{i:04}"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<String> = winners
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        all.sort();
        let expected: Vec<String> = (0..25).map(|i| format!("SIM-{i:04}")).collect();
        assert_eq!(
            all, expected,
            "each accessory claimed by exactly one worker"
        );
    });
}

#[tokio::test]
async fn a_key_first_recorded_at_one_station_is_enforced_at_another() {
    let Some(db) = database() else { return };
    let station_a = Arc::new(Ledger::open(&db.url).unwrap().with_station("a"));
    let station_b = Arc::new(Ledger::open(&db.url).unwrap().with_station("b"));
    let first = start(good("SIM-0001")).await;
    provision::run(request(&first, Mode::Tofu, Some(station_a.clone())))
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    let recorded = station_b
        .accessory("SIM-0001")
        .unwrap()
        .expect("b sees a's record");
    assert_eq!(recorded.pin, first.pin().to_string());
    first.shutdown().await;

    // Same device id, another key, at the other station: refused there, nothing sent.
    let impostor = start(good("SIM-0001")).await;
    let mut req = request(&impostor, Mode::Tofu, Some(station_b.clone()));
    req.trust.expect = None;
    let failure = provision::run(req).await.expect_err("key changed");
    assert_eq!(failure.diagnosis.code, "tofu.key_changed", "{failure}");
    assert!(impostor.requests().is_empty(), "nothing at all was asked");
    // Both stations' attempts are in the one ledger.
    let stations: Vec<_> = station_a
        .attempts(Some("SIM-0001"))
        .unwrap()
        .into_iter()
        .map(|a| (a.station, a.outcome))
        .collect();
    assert!(
        stations.contains(&(Some("a".into()), AttemptOutcome::Connected)),
        "{stations:?}"
    );
    assert!(
        stations.contains(&(Some("b".into()), AttemptOutcome::Failed)),
        "{stations:?}"
    );
    drop((station_a, station_b));
}

#[test]
fn ledger_list_shows_the_attempts_of_both_stations_by_flag_and_by_environment() {
    on_both(|backend| {
        let target = backend.target();
        for (station, device) in [("station-a", "SIM-0001"), ("station-b", "SIM-0002")] {
            let ledger = backend.station(station);
            let id = ledger
                .start_attempt(Some(device), "127.0.0.1:1", "Home", now())
                .unwrap();
            ledger
                .finish_attempt(
                    id,
                    None,
                    AttemptOutcome::Failed,
                    Some("net.refused"),
                    None,
                    now(),
                )
                .unwrap();
        }
        let bin = accessory_tests::provision::accessory_bin();
        let by_flag = std::process::Command::new(&bin)
            .args(["ledger", "list", "--ledger", &target])
            .env_remove("ACCESSORY_LEDGER")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&by_flag.stdout);
        assert!(
            by_flag.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&by_flag.stderr)
        );
        assert!(text.contains("attempts (2, every station):"), "{text}");
        assert!(
            text.contains(" at station-a\n") && text.contains(" at station-b\n"),
            "{text}"
        );

        let by_env = std::process::Command::new(&bin)
            .args(["ledger", "list", "--json"])
            .env("ACCESSORY_LEDGER", &target)
            .output()
            .unwrap();
        assert!(
            by_env.status.success(),
            "{}",
            String::from_utf8_lossy(&by_env.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&by_env.stdout).unwrap();
        let mut stations: Vec<_> = v["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["station"].as_str().unwrap().to_owned())
            .collect();
        stations.sort();
        assert_eq!(stations, ["station-a", "station-b"]);
        // The URL is shown without a password, and a file's path as it is.
        assert_eq!(v["ledger"].as_str().unwrap(), target);
    });
}

/// A first-use record as a station would write it for `id` with the key named `key`.
fn first_use(id: &str, key: &str) -> provision::AccessoryRecord {
    provision::AccessoryRecord {
        id: id.to_owned(),
        pin: format!("sha256/{key}"),
        fingerprint: format!("fp-{key}"),
        model: None,
        firmware: None,
        first_seen: now(),
        last_seen: now(),
    }
}

#[test]
fn two_stations_recording_a_first_key_for_one_device_at_once_never_both_win_with_different_keys() {
    on_both(|backend| {
        const ROUNDS: usize = 40;
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let racers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let ledger = backend.station(name);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    (0..ROUNDS)
                        .map(|i| {
                            // The same device, written in another case by each station; every
                            // third round both saw the same key.
                            let id = if name == "a" {
                                format!("RACE-{i:04}")
                            } else {
                                format!("race-{i:04}")
                            };
                            let key = if i % 3 == 0 { "same" } else { name };
                            barrier.wait();
                            ledger.record_first_use(&first_use(&id, key))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results: Vec<Vec<_>> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        let reader = backend.station("reader");
        for (i, (a, b)) in results[0].iter().zip(&results[1]).enumerate() {
            let stored = reader
                .accessory(&format!("Race-{i:04}"))
                .unwrap()
                .expect("one record");
            if i % 3 == 0 {
                assert!(
                    a.is_ok() && b.is_ok(),
                    "round {i}: the same key: {a:?} {b:?}"
                );
                assert_eq!(stored.pin, "sha256/same");
                continue;
            }
            let (winner, loser) = match (a, b) {
                (Ok(()), Err(e)) => ("a", e),
                (Err(e), Ok(())) => ("b", e),
                _ => panic!("round {i}: exactly one station wins: {a:?} {b:?}"),
            };
            assert_eq!(stored.pin, format!("sha256/{winner}"), "round {i}");
            match loser {
                provision::Error::KeyChanged {
                    recorded_pin,
                    observed_pin,
                    ..
                } => {
                    assert_eq!(recorded_pin, &format!("sha256/{winner}"), "round {i}");
                    assert_ne!(observed_pin, recorded_pin, "round {i}");
                }
                other => panic!("round {i}: the loser is told the key changed, not {other}"),
            }
        }
        assert_eq!(
            reader.accessories().unwrap().len(),
            ROUNDS,
            "one record per device"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_use_recorded_by_another_station_during_the_handshake_is_refused_before_sending() {
    for backend in [Some(Backend::sqlite()), database().map(Backend::Postgres)]
        .into_iter()
        .flatten()
    {
        let station_a = backend.station("a");
        let station_b = Arc::new(backend.station("b"));
        // A handshake dripped a byte at a time: b has looked the id up (no record) and is
        // still handshaking when a records another key for the same device.
        let sim = start(
            Scenario::good("SIM-0001").with_fault("drip=2ms".parse().expect("a known fault")),
        )
        .await;
        let run = tokio::spawn(provision::run(request(
            &sim,
            Mode::Tofu,
            Some(station_b.clone()),
        )));
        tokio::time::sleep(Duration::from_millis(300)).await;
        station_a
            .record_first_use(&first_use("sim-0001", "another-key"))
            .unwrap();
        let failure = run.await.unwrap().expect_err("key changed");
        assert_eq!(failure.diagnosis.code, "tofu.key_changed", "{failure}");
        assert!(!failure.credentials_sent, "{failure}");
        assert!(
            sim.requests()
                .iter()
                .all(|r| !r.carried_credential && r.method == "GET"),
            "nothing secret reached the accessory: {:?}",
            sim.requests()
        );
        let stored = station_a.accessory("SIM-0001").unwrap().unwrap();
        assert_eq!(stored.pin, "sha256/another-key", "the first record stands");
        let attempts = station_b.attempts(Some("SIM-0001")).unwrap();
        assert_eq!(attempts.len(), 1, "{attempts:#?}");
        assert_eq!(attempts[0].outcome, AttemptOutcome::Failed, "{attempts:#?}");
        assert_eq!(attempts[0].diagnosis.as_deref(), Some("tofu.key_changed"));
        sim.shutdown().await;
    }
}
