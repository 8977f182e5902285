//! The ledger survives `kill -9`. Mid-write: a child process writes attempts in a loop and reports
//! each committed id on stdout; it is killed with SIGKILL; the file then opens, passes
//! `PRAGMA integrity_check`, and holds every id the child reported as committed. Mid-attempt: a
//! child starts an attempt and is killed; the next open after the attempt's deadline marks it
//! `interrupted` (SQLite, and PostgreSQL when the tests have one).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use provision::{AttemptOutcome, Ledger};
use time::OffsetDateTime;

const CHILD_ENV: &str = "ACCESSORY_TEST_LEDGER_WRITER";

/// The child: when run with `ACCESSORY_TEST_LEDGER_WRITER=<path>`, writes attempts until killed.
/// In a normal test run it does nothing.
#[test]
fn ledger_writer_child_process() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let ledger = Ledger::open(&path).expect("the child opens the ledger");
    let mut i = 0u64;
    loop {
        let now = OffsetDateTime::now_utc();
        let id = ledger
            .start_attempt(Some(&format!("SIM-{i:06}")), "127.0.0.1:443", "Home", now)
            .expect("start");
        ledger
            .finish_attempt(
                id,
                None,
                AttemptOutcome::Failed,
                Some("net.refused"),
                Some(1),
                now,
            )
            .expect("finish");
        // Committed (both statements returned): say so. The parent holds us to it.
        println!("committed {id}");
        i += 1;
    }
}

#[test]
fn the_ledger_survives_kill_9_mid_run_without_losing_a_committed_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    // Created first, so the child never races the schema creation with our open below.
    Ledger::open(&path).unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "provision_ledger::ledger_writer_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let mut committed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.parse::<i64>().unwrap());
            if committed.len() == 300 {
                break;
            }
        }
    }
    // SIGKILL: no destructors, no checkpoint, mid-transaction most likely.
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    assert_eq!(committed.len(), 300, "the child wrote before it was killed");

    let ledger = Ledger::open(&path).expect("the ledger opens after kill -9");
    ledger.integrity_check().expect("integrity_check says ok");
    let attempts = ledger.attempts(None).unwrap();
    let ids: std::collections::HashSet<i64> = attempts.iter().map(|a| a.id).collect();
    for id in &committed {
        assert!(ids.contains(id), "committed attempt {id} was lost");
    }
    let finished = attempts
        .iter()
        .filter(|a| committed.contains(&a.id))
        .all(|a| a.outcome == AttemptOutcome::Failed && a.ended.is_some());
    assert!(finished, "every reported attempt was recorded complete");
}

const ATTEMPT_CHILD_ENV: &str = "ACCESSORY_TEST_LEDGER_ATTEMPT";

/// The child: when run with `ACCESSORY_TEST_LEDGER_ATTEMPT=<ledger>`, starts one attempt with a
/// short deadline, says so, and hangs mid-attempt until killed. In a normal run it does nothing.
#[test]
fn ledger_attempt_child_process() {
    let Some(target) = std::env::var_os(ATTEMPT_CHILD_ENV) else {
        return;
    };
    let ledger = Ledger::open(&target)
        .expect("the child opens the ledger")
        .with_station("doomed")
        .with_attempt_deadline(std::time::Duration::from_millis(1500));
    let id = ledger
        .start_attempt(
            Some("SIM-0042"),
            "127.0.0.1:443",
            "Home",
            OffsetDateTime::now_utc(),
        )
        .expect("start");
    println!("started {id}");
    // One line and then silence: flush it (libtest's stdout may hold it otherwise).
    std::io::Write::flush(&mut std::io::stdout()).expect("flush");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

/// Kills (SIGKILL) a child mid-attempt on the ledger at `target`; returns the attempt's id.
fn kill_mid_attempt(target: &str) -> i64 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "provision_ledger::ledger_attempt_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ATTEMPT_CHILD_ENV, target)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let id = loop {
        match lines.next() {
            Some(Ok(line)) => {
                // libtest writes `test … ... ` before it on the same line.
                if let Some((_, id)) = line.rsplit_once("started ") {
                    break id.parse::<i64>().unwrap();
                }
            }
            _ => panic!("the child ended before starting its attempt"),
        }
    };
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    id
}

fn a_killed_attempt_is_marked_interrupted_once_its_deadline_passes(target: &str) {
    Ledger::open(target).unwrap();
    let id = kill_mid_attempt(target);
    let outcome_of = |ledger: &Ledger| {
        let a = ledger
            .attempts(Some("SIM-0042"))
            .unwrap()
            .into_iter()
            .find(|a| a.id == id)
            .expect("the killed child's attempt is recorded");
        (a.outcome, a.ended.is_some(), a.station)
    };
    // Before its deadline it may still be running somewhere: left as it is.
    let early = Ledger::open(target).unwrap();
    assert_eq!(
        outcome_of(&early),
        (AttemptOutcome::InProgress, false, Some("doomed".into()))
    );
    std::thread::sleep(std::time::Duration::from_millis(1700));
    let later = Ledger::open(target).unwrap();
    assert_eq!(
        outcome_of(&later),
        (AttemptOutcome::Interrupted, true, Some("doomed".into()))
    );
    // A claim marks them too (a long-running station that never reopens).
    assert_eq!(early.mark_interrupted().unwrap(), 0);
}

#[test]
fn an_attempt_killed_mid_run_is_marked_interrupted_by_the_next_open_after_its_deadline_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    a_killed_attempt_is_marked_interrupted_once_its_deadline_passes(&path.display().to_string());
}

#[test]
fn an_attempt_killed_mid_run_is_marked_interrupted_by_the_next_open_after_its_deadline_on_postgres()
{
    let Some(db) = accessory_tests::postgres::database() else {
        return;
    };
    a_killed_attempt_is_marked_interrupted_once_its_deadline_passes(&db.url);
}
