//! The ledger survives `kill -9` mid-write: a child process writes attempts in a loop and reports
//! each committed id on stdout; it is killed with SIGKILL; the file then opens, passes
//! `PRAGMA integrity_check`, and holds every id the child reported as committed.

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
