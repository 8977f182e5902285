//! The ledger: every accessory seen (its pin, the first-use record trust on first use compares
//! against) and every provisioning attempt, in one SQLite file (the embedded default) or in a
//! PostgreSQL database several stations share (`--ledger postgres://…`, `ACCESSORY_LEDGER`). One
//! schema and one list of migrations serve both (`ledger/schema.rs`); the dialects differ in one
//! place (`ledger/db.rs`). With several stations, claims with leases (`ledger/claim.rs`) keep two
//! of them off one accessory, and a key first recorded at one station is the record every other
//! compares against: it lives in the shared database.
//!
//! Accessories are read and recorded in `ledger/accessory.rs`, attempts in `ledger/attempt.rs`,
//! and what `accessory ledger list` and `show` print is gathered in `ledger/listing.rs`.
//!
//! The SQLite file holds home SSIDs, device ids and pins: it is created 0600, without following a
//! link, in a directory created 0700 (its `-wal` and `-shm` files take the file's mode).
//!
//! An attempt records the station that made it and a deadline on the database's clock; a station
//! killed mid-attempt leaves it `in_progress`, and the next open (or claim) after the deadline marks
//! it `interrupted`.
//!
//! Why these SQLite settings:
//! - **WAL** lets readers (`accessory ledger list`) run while a fleet of workers writes, and makes a
//!   commit one append to the log, so a process killed at any instant (`kill -9`) leaves either the
//!   whole transaction or none of it; the next open replays the log.
//! - **`synchronous=FULL`**: in WAL mode NORMAL already survives a killed *process* (the OS holds the
//!   written log), but can lose the last commits on power loss. A row here can be a first-use pin,
//!   a security record: losing it would turn a known accessory back into a first use. One fsync per
//!   commit costs a millisecond against a provisioning exchange of seconds, so we pay it.
//! - **No checkpoint on close** (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`): a commit is durable in the
//!   log once fsynced; checkpointing it into the file when the last connection closes, and the
//!   next process creating the log again, cost four fsyncs per `accessory provision` process.
//!   The log is checkpointed at 1000 pages, during a commit, as SQLite does by default.
//! - **busy timeout** (5 s) and **`BEGIN IMMEDIATE`** for writes: parallel fleet workers, each with its
//!   own connection, queue for the write lock instead of failing with `SQLITE_BUSY`, and no
//!   transaction has to upgrade from read to write halfway (the usual cause of busy deadlocks).
//! - **`ledger_migrations`** (and `PRAGMA user_version`, as version 1 kept it) is the schema
//!   version; opening a database written by a newer version is refused rather than guessed at.
//!
//! The passphrase is never stored: an attempt records the SSID, the outcome and the diagnosis code.
//! Device ids are compared as `trust::same_device_id` does, ignoring ASCII case (SQLite's `NOCASE`
//! folds exactly ASCII A-Z; PostgreSQL gets an `ascii_lower` that does the same), so `SIM-0001` and `sim-0001` are one accessory and one record. The
//! flow records an accessory only under an id its certificate proved (`proven.rs`).
//!
//! `forget` removes an accessory's first-use record (as `ssh-keygen -R` does) and keeps its attempts:
//! they are history, not trust.

mod accessory;
mod attempt;
mod claim;
mod db;
mod first_use;
mod listing;
mod private;
mod record;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::Error;
use db::{ledger_err, Db, DbError, Dialect, Row, Tx};
use schema::Migrated;

pub use claim::Claim;
pub use record::{AccessoryRecord, AttemptOutcome, AttemptRecord, History, Listing};
pub use schema::SCHEMA_VERSION;

/// How long an attempt may stay `in_progress` before a later open calls it interrupted, unless
/// [`Ledger::with_attempt_deadline`] says otherwise: well over the flow's longest run (its
/// `--deadline` is at most an hour).
pub const ATTEMPT_DEADLINE: Duration = Duration::from_secs(2 * 3600);

/// The ledger. Cheap to share (`Arc<Ledger>`); each process or worker may also open its own.
#[derive(Debug)]
pub struct Ledger {
    /// The file, or the database's URL without its password.
    path: PathBuf,
    /// What it was opened from (a URL may hold a password: never printed).
    target: Target,
    db: Db,
    station: String,
    attempt_deadline: Duration,
}

impl Ledger {
    /// The default location: `$XDG_DATA_HOME/accessory/ledger.sqlite3` (or the platform's equivalent).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "accessory")
            .map(|dirs| dirs.data_dir().join("ledger.sqlite3"))
    }

    /// Opens the ledger at `path` (a file, or a `postgres://` URL), else at
    /// [`Ledger::default_path`] ([`Error::LedgerNoDefault`] when there is none).
    pub fn open_or_default(path: Option<PathBuf>) -> Result<Self, Error> {
        if let Some(path) = path {
            return Self::open(path);
        }
        let path = Self::default_path().ok_or(Error::LedgerNoDefault)?;
        if let Some(dir) = path.parent() {
            private::narrow_dir(dir).map_err(|e| Error::Ledger {
                path: path.clone(),
                action: "make its directory private",
                source: Box::new(e),
            })?;
        }
        Self::open(path)
    }

    /// Opens and migrates the ledger at `target`: a `postgres://` (or `postgresql://`) URL, or a
    /// SQLite file, created if needed (0600, in a directory created 0700, no link followed).
    /// Attempts whose deadline has passed are marked interrupted.
    pub fn open(target: impl AsRef<Path>) -> Result<Self, Error> {
        let opened_from = Target(target.as_ref().to_owned());
        let (path, url) = db::location(target.as_ref());
        let db = match url {
            Some(url) => Db::postgres(&url).map_err(ledger_err(&path, "connect"))?,
            None => {
                private::create(&path).map_err(|e| Error::Ledger {
                    path: path.clone(),
                    action: "create it privately",
                    source: Box::new(e),
                })?;
                Db::sqlite(&path).map_err(ledger_err(&path, "open"))?
            }
        };
        let ledger = Self {
            path,
            target: opened_from,
            db,
            station: default_station(),
            attempt_deadline: ATTEMPT_DEADLINE,
        };
        let migrated = ledger.run("migrate the schema", schema::migrate)?;
        if let Migrated::TooNew(found) = migrated {
            return Err(Error::LedgerTooNew {
                path: ledger.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        ledger.mark_interrupted()?;
        Ok(ledger)
    }

    /// Another handle on this ledger, with a connection of its own, the same station and the
    /// same attempt deadline. One handle runs one transaction at a time (a PostgreSQL connection
    /// serves one at a time), so a fleet's workers take one each on a shared ledger.
    pub fn reopen(&self) -> Result<Self, Error> {
        Ok(Self::open(&self.target.0)?
            .with_station(self.station.clone())
            .with_attempt_deadline(self.attempt_deadline))
    }

    /// This ledger, recording `station` as the maker of its attempts and the holder of its claims
    /// (default: `host:pid`, so two processes on one machine are two stations).
    pub fn with_station(mut self, station: impl Into<String>) -> Self {
        self.station = station.into();
        self
    }

    /// This ledger, giving its attempts `deadline` to finish before a later open calls them
    /// interrupted (default [`ATTEMPT_DEADLINE`]).
    pub fn with_attempt_deadline(mut self, deadline: Duration) -> Self {
        self.attempt_deadline = deadline;
        self
    }

    /// The station this handle records as.
    pub fn station(&self) -> &str {
        &self.station
    }

    /// Where this ledger lives: its file, or its database's URL without the password.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this ledger is a PostgreSQL database (shared by stations) rather than a file.
    pub fn is_shared(&self) -> bool {
        self.db.dialect() == Dialect::Postgres
    }

    /// The schema versions recorded as applied, in order.
    pub fn migrations(&self) -> Result<Vec<i64>, Error> {
        self.run("read the migrations", schema::applied)
    }

    /// Runs `f` in one transaction; its errors say the ledger was doing `action`.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        action: &'static str,
        f: impl FnOnce(&mut Tx<'_, '_>) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, Error> {
        self.db
            .transaction(f)
            .map_err(ledger_err(&self.path, action))
    }

    /// Marks attempts still `in_progress` after their deadline as `interrupted` (ended now);
    /// returns how many. Attempts from before deadlines were kept (none recorded) count as past it.
    pub fn mark_interrupted(&self) -> Result<u64, Error> {
        let now = rfc3339(OffsetDateTime::now_utc());
        self.run("mark interrupted attempts", move |tx| {
            tx.execute(
                "UPDATE attempts SET outcome = 'interrupted', ended = $1
                 WHERE outcome = 'in_progress' AND COALESCE(deadline, 0) < {now_ms}",
                &[now.into()],
            )
        })
    }

    /// SQLite's `PRAGMA integrity_check` (`Ok(())` when it reports "ok", else the problems it
    /// found); PostgreSQL checks itself, so there `Ok(())` once a query answers.
    pub fn integrity_check(&self) -> Result<(), Error> {
        let sqlite = self.db.dialect() == Dialect::Sqlite;
        let lines = self.run("check integrity", move |tx| {
            let sql = if sqlite {
                "PRAGMA integrity_check"
            } else {
                "SELECT 'ok'"
            };
            Ok(tx
                .query(sql, &[])?
                .iter()
                .filter_map(|r| r[0].text())
                .collect::<Vec<_>>())
        })?;
        if lines == ["ok"] {
            Ok(())
        } else {
            Err(Error::Ledger {
                path: self.path.clone(),
                action: "check integrity",
                source: lines.join("; ").into(),
            })
        }
    }
}

/// Where a ledger was opened from; its `Debug` shows nothing, since a URL may carry a password.
struct Target(PathBuf);

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Target(..)")
    }
}

/// `host:pid`: one station per process unless the caller names it.
fn default_station() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "station".into());
    format!("{host}:{}", std::process::id())
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

fn text(row: &Row, idx: usize) -> Result<String, DbError> {
    row[idx]
        .text()
        .ok_or_else(|| format!("column {idx} is NULL").into())
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

pub(crate) fn time_at(row: &Row, idx: usize) -> Result<OffsetDateTime, DbError> {
    Ok(OffsetDateTime::parse(
        &text(row, idx)?,
        &time::format_description::well_known::Rfc3339,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn now() -> OffsetDateTime {
        // Whole seconds: RFC 3339 round trips keep nanoseconds, but tests compare simpler values.
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
    }

    pub(super) fn record(id: &str, pin: &str) -> AccessoryRecord {
        AccessoryRecord {
            id: id.into(),
            pin: pin.into(),
            fingerprint: "ab".repeat(32),
            model: Some("Plug".into()),
            firmware: Some("1.0".into()),
            first_seen: now(),
            last_seen: now(),
        }
    }

    #[test]
    fn a_new_ledger_has_the_current_schema_version_and_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/ledger.sqlite3");
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.migrations().unwrap(), [1, 2]);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!((v, mode.as_str()), (SCHEMA_VERSION, "wal"));
    }

    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_ledger_and_its_wal_and_shm_are_0600_in_a_0700_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/accessory/ledger.sqlite3");
        let ledger = Ledger::open(&path).unwrap();
        ledger
            .start_attempt(None, "127.0.0.1:1", "Home", now())
            .unwrap();
        let parent = path.parent().unwrap();
        assert_eq!(mode(parent), 0o700);
        assert_eq!(mode(parent.parent().unwrap()), 0o700);
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn a_world_readable_ledger_from_an_older_build_is_narrowed_to_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        drop(Ledger::open(&path).unwrap());
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        let _ledger = Ledger::open(&path).unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                assert_eq!(mode(&file), 0o600, "{}", file.display());
            }
        }
    }

    #[test]
    fn a_symlink_planted_at_the_ledger_path_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, b"not a ledger").unwrap();
        let path = dir.path().join("ledger.sqlite3");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let err = Ledger::open(&path).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"not a ledger");
        assert!(!dir.path().join("ledger.sqlite3-wal").exists());
    }

    #[test]
    fn a_version_1_file_from_an_older_build_is_migrated_and_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&db::Dialect::Sqlite.sql(schema::MIGRATIONS[0]))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO accessories VALUES
                 ('SIM-1', 'sha256/old', 'ab', NULL, NULL,
                  '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO attempts (device_id, address, ssid, started, outcome)
                 VALUES ('SIM-1', 'a', 'Home', '2026-01-01T00:00:00Z', 'in_progress');
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(conn);
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.migrations().unwrap(), [1, 2]);
        assert_eq!(
            ledger.accessory("sim-1").unwrap().unwrap().pin,
            "sha256/old"
        );
        let attempts = ledger.attempts(None).unwrap();
        // Left in_progress by a build without deadlines: interrupted, by no station.
        assert_eq!(
            (attempts[0].outcome, attempts[0].station.as_deref()),
            (AttemptOutcome::Interrupted, None)
        );
    }

    #[test]
    fn a_ledger_from_a_newer_version_is_refused_not_guessed_at() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        match Ledger::open(&path) {
            Err(Error::LedgerTooNew { found: 99, .. }) => {}
            other => panic!("expected LedgerTooNew, got {other:?}"),
        }
    }

    #[test]
    fn eight_workers_opening_one_new_ledger_at_once_all_open_it() {
        // Regression: the switch to WAL answered SQLITE_BUSY at once (no busy handler) to the
        // workers that lost the race, and `many_workers_racing_…` failed under load.
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ledger.sqlite3");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let opened: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (path.clone(), std::sync::Arc::clone(&barrier));
                    std::thread::spawn(move || {
                        barrier.wait();
                        Ledger::open(&path).map(|_| ())
                    })
                })
                .collect();
            for t in opened {
                t.join()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("round {round}: {e}"));
            }
        }
    }

    #[test]
    fn two_connections_write_to_one_ledger_without_busy_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        Ledger::open(&path).unwrap();
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let ledger = Ledger::open(&path).unwrap();
                    for i in 0..25 {
                        let id = ledger
                            .start_attempt(Some(&format!("W{w}-{i}")), "a", "Home", now())
                            .unwrap();
                        ledger
                            .finish_attempt(
                                id,
                                None,
                                AttemptOutcome::Failed,
                                Some("x"),
                                None,
                                now(),
                            )
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.attempts(None).unwrap().len(), 100);
        ledger.integrity_check().unwrap();
    }
}
