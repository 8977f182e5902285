//! The ledger: one SQLite file recording every accessory seen (its pin, the first-use record trust on
//! first use compares against) and every provisioning attempt.
//!
//! Why these settings:
//! - **WAL** lets readers (`accessory ledger list`) run while a fleet of workers writes, and makes a
//!   commit one append to the log, so a process killed at any instant (`kill -9`) leaves either the
//!   whole transaction or none of it; the next open replays the log.
//! - **`synchronous=FULL`**: in WAL mode NORMAL already survives a killed *process* (the OS holds the
//!   written log), but can lose the last commits on power loss. A row here can be a first-use pin,
//!   a security record: losing it would turn a known accessory back into a first use. One fsync per
//!   commit costs a millisecond against a provisioning exchange of seconds, so we pay it.
//! - **busy timeout** (5 s) and **`BEGIN IMMEDIATE`** for writes: parallel fleet workers, each with its
//!   own connection, queue for the write lock instead of failing with `SQLITE_BUSY`, and no
//!   transaction has to upgrade from read to write halfway (the usual cause of busy deadlocks).
//! - **`PRAGMA user_version`** is the schema version; opening a file written by a newer version is
//!   refused rather than guessed at.
//!
//! The passphrase is never stored: an attempt records the SSID, the outcome and the diagnosis code.
//! Device ids are compared as `trust::same_device_id` does, ignoring ASCII case (SQLite's `NOCASE`
//! folds exactly ASCII A-Z), so `SIM-0001` and `sim-0001` are one accessory and one record. The
//! flow records an accessory only under an id its certificate proved (`proven.rs`).
//!
//! `forget` removes an accessory's first-use record (as `ssh-keygen -R` does) and keeps its attempts:
//! they are history, not trust.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::Error;

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i32 = 1;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA_V1: &str = "
CREATE TABLE accessories (
    id          TEXT PRIMARY KEY NOT NULL,
    pin         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    model       TEXT,
    firmware    TEXT,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
) STRICT;
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    device_id   TEXT,
    address     TEXT NOT NULL,
    ssid        TEXT NOT NULL,
    started     TEXT NOT NULL,
    ended       TEXT,
    outcome     TEXT NOT NULL,
    diagnosis   TEXT,
    round_trips INTEGER
) STRICT;
CREATE INDEX attempts_by_device ON attempts (device_id, started);
";

/// Every accessory in a ledger ([`Ledger::listing`]); its `Display` is the table.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// The ledger file.
    pub ledger: String,
    /// The accessories, most recent first.
    pub accessories: Vec<AccessoryRecord>,
}

/// One accessory's record and attempts ([`Ledger::history`]).
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The device id asked for.
    pub id: String,
    /// Its key, unless forgotten or never verified.
    pub accessory: Option<AccessoryRecord>,
    /// Every provisioning attempt.
    pub attempts: Vec<AttemptRecord>,
}

/// One accessory as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessoryRecord {
    /// The device id it reported (and its certificate names).
    pub id: String,
    /// The SPKI pin of its key, `sha256/BASE64`: what trust on first use compares against.
    pub pin: String,
    /// SHA-256 of its leaf certificate, hex.
    pub fingerprint: String,
    /// The model it reported when last provisioned (`GET /v1/device`); `None` when it said none.
    pub model: Option<String>,
    /// The firmware version it reported then; `None` when it said none.
    pub firmware: Option<String>,
    /// When it was first provisioned (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// When it was last provisioned (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Started and not (yet) finished: still running, or the process was killed.
    InProgress,
    /// The accessory reported that it joined the network.
    Connected,
    /// Anything else; the diagnosis code says what.
    Failed,
    /// Ended by Ctrl-C or SIGTERM before it finished (diagnosis `interrupted`).
    Interrupted,
}

impl AttemptOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Connected => "connected",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "connected" => Self::Connected,
            "in_progress" => Self::InProgress,
            "interrupted" => Self::Interrupted,
            _ => Self::Failed,
        }
    }
}

/// One provisioning attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRecord {
    /// The attempt's number in the ledger (what an [`Outcome`](crate::Outcome) reports).
    pub id: i64,
    /// The device id, once known (from `--device-id` or the accessory's answer).
    pub device_id: Option<String>,
    /// Where the accessory was reached (`host:port`).
    pub address: String,
    /// The home network it was given. Never the passphrase.
    pub ssid: String,
    /// When it started (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// When it ended (UTC); `None` while it runs, or when the process was killed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended: Option<OffsetDateTime>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The diagnosis code of a failure (`cert.expired`, `accessory.auth_failed`...).
    pub diagnosis: Option<String>,
    /// Network round trips the attempt took (TCP, TLS, HTTP).
    pub round_trips: Option<u32>,
}

/// The ledger file. Cheap to share (`Arc<Ledger>`); each process or worker may also open its own.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Ledger {
    /// The default location: `$XDG_DATA_HOME/accessory/ledger.sqlite3` (or the platform's equivalent).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "accessory")
            .map(|dirs| dirs.data_dir().join("ledger.sqlite3"))
    }

    /// Opens the ledger at `path`, else at [`Ledger::default_path`] ([`Error::LedgerNoDefault`]
    /// when there is none).
    pub fn open_or_default(path: Option<PathBuf>) -> Result<Self, Error> {
        Self::open(
            path.or_else(Self::default_path)
                .ok_or(Error::LedgerNoDefault)?,
        )
    }

    /// Every accessory, most recent first, with the ledger's file (`accessory ledger list`).
    pub fn listing(&self) -> Result<Listing, Error> {
        Ok(Listing {
            ledger: self.path.display().to_string(),
            accessories: self.accessories()?,
        })
    }

    /// One accessory's record and attempts (`accessory ledger show`); [`Error::UnknownAccessory`]
    /// when the ledger has neither.
    pub fn history(&self, id: &str) -> Result<History, Error> {
        let accessory = self.accessory(id)?;
        let attempts = self.attempts(Some(id))?;
        if accessory.is_none() && attempts.is_empty() {
            return Err(self.unknown(id, false));
        }
        Ok(History {
            id: id.to_owned(),
            accessory,
            attempts,
        })
    }

    /// [`Error::UnknownAccessory`] for `id` in this ledger; `keyed`: only its key is missing.
    pub fn unknown(&self, id: &str, keyed: bool) -> Error {
        Error::UnknownAccessory {
            id: id.to_owned(),
            path: self.path.clone(),
            keyed,
        }
    }

    /// Opens (creating if needed, with its parent directory) and migrates the ledger at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::Ledger {
                path: path.clone(),
                action: "create its directory",
                source: Box::new(e),
            })?;
        }
        let conn = Connection::open(&path).map_err(ledger_err(&path, "open"))?;
        let ledger = Self {
            path: path.clone(),
            conn: Mutex::new(conn),
        };
        ledger.configure()?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Where this ledger lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<(), Error> {
        let conn = self.conn();
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(ledger_err(&self.path, "set the busy timeout"))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(ledger_err(&self.path, "switch to WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Ledger {
                path: self.path.clone(),
                action: "switch to WAL",
                source: format!("journal mode stayed {mode}").into(),
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(ledger_err(&self.path, "set synchronous=FULL"))?;
        Ok(())
    }

    fn migrate(&self) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ledger_err(&self.path, "begin the migration"))?;
        let version: i32 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(ledger_err(&self.path, "read the schema version"))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA_V1)
                    .map_err(ledger_err(&self.path, "create the schema"))?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                    .map_err(ledger_err(&self.path, "record the schema version"))?;
            }
            SCHEMA_VERSION => {}
            found => {
                return Err(Error::LedgerTooNew {
                    path: self.path.clone(),
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
        }
        tx.commit()
            .map_err(ledger_err(&self.path, "commit the migration"))
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (it has its own
        // transactions), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The accessory with this id (ignoring ASCII case), if it was ever recorded.
    pub fn accessory(&self, id: &str) -> Result<Option<AccessoryRecord>, Error> {
        self.conn()
            .query_row(
                "SELECT id, pin, fingerprint, model, firmware, first_seen, last_seen
                 FROM accessories WHERE id = ?1 COLLATE NOCASE",
                [id],
                accessory_row,
            )
            .optional()
            .map_err(ledger_err(&self.path, "read an accessory"))
    }

    /// Every accessory, most recently seen first.
    pub fn accessories(&self) -> Result<Vec<AccessoryRecord>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, pin, fingerprint, model, firmware, first_seen, last_seen
                 FROM accessories ORDER BY last_seen DESC, id",
            )
            .map_err(ledger_err(&self.path, "list accessories"))?;
        let rows = stmt
            .query_map([], accessory_row)
            .map_err(ledger_err(&self.path, "list accessories"))?;
        rows.collect::<Result<_, _>>()
            .map_err(ledger_err(&self.path, "list accessories"))
    }

    /// Records that `record.id` was seen with this key now: inserts it, or updates its key, last
    /// sighting, model and firmware (its first sighting stays). The flow calls this only for a key
    /// its policy accepted: under trust on first use that is the recorded key itself (a different
    /// one is refused before anything is sent, and accepting it is a deliberate `forget`); under a
    /// pin or anchors, the administrator's trust vouches for a new key, so the record follows it.
    pub fn saw_accessory(&self, record: &AccessoryRecord) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ledger_err(&self.path, "record an accessory"))?;
        // An upsert by hand: the primary key compares case-sensitively, device ids do not.
        let updated = tx
            .execute(
                "UPDATE accessories SET pin = ?2, fingerprint = ?3, model = ?4, firmware = ?5,
                     last_seen = ?6
                 WHERE id = ?1 COLLATE NOCASE",
                params![
                    record.id,
                    record.pin,
                    record.fingerprint,
                    record.model,
                    record.firmware,
                    rfc3339(record.last_seen),
                ],
            )
            .map_err(ledger_err(&self.path, "record an accessory"))?;
        if updated > 0 {
            return tx
                .commit()
                .map_err(ledger_err(&self.path, "record an accessory"));
        }
        tx.execute(
            "INSERT INTO accessories (id, pin, fingerprint, model, firmware, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                record.id,
                record.pin,
                record.fingerprint,
                record.model,
                record.firmware,
                rfc3339(record.first_seen),
                rfc3339(record.last_seen),
            ],
        )
        .map_err(ledger_err(&self.path, "record an accessory"))?;
        tx.commit()
            .map_err(ledger_err(&self.path, "record an accessory"))
    }

    /// Removes an accessory's record (its pin; the id ignoring ASCII case): the next provisioning is a first use again.
    /// Returns whether there was one. Its attempts are kept.
    pub fn forget(&self, id: &str) -> Result<bool, Error> {
        let n = self
            .conn()
            .execute("DELETE FROM accessories WHERE id = ?1 COLLATE NOCASE", [id])
            .map_err(ledger_err(&self.path, "forget an accessory"))?;
        Ok(n > 0)
    }

    /// Records the start of an attempt (outcome `in_progress`) and returns its id.
    pub fn start_attempt(
        &self,
        device_id: Option<&str>,
        address: &str,
        ssid: &str,
        started: OffsetDateTime,
    ) -> Result<i64, Error> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO attempts (device_id, address, ssid, started, outcome)
             VALUES (?1, ?2, ?3, ?4, 'in_progress')",
            params![device_id, address, ssid, rfc3339(started)],
        )
        .map_err(ledger_err(&self.path, "record an attempt"))?;
        Ok(conn.last_insert_rowid())
    }

    /// Records how an attempt ended.
    pub fn finish_attempt(
        &self,
        id: i64,
        device_id: Option<&str>,
        outcome: AttemptOutcome,
        diagnosis: Option<&str>,
        round_trips: Option<u32>,
        ended: OffsetDateTime,
    ) -> Result<(), Error> {
        self.conn()
            .execute(
                "UPDATE attempts SET device_id = COALESCE(?2, device_id), outcome = ?3,
                     diagnosis = ?4, round_trips = ?5, ended = ?6
                 WHERE id = ?1",
                params![
                    id,
                    device_id,
                    outcome.as_str(),
                    diagnosis,
                    round_trips,
                    rfc3339(ended)
                ],
            )
            .map_err(ledger_err(&self.path, "record the end of an attempt"))?;
        Ok(())
    }

    /// Attempts, newest first; only those of `device_id` when given.
    pub fn attempts(&self, device_id: Option<&str>) -> Result<Vec<AttemptRecord>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, device_id, address, ssid, started, ended, outcome, diagnosis, round_trips
                 FROM attempts WHERE ?1 IS NULL OR device_id = ?1 COLLATE NOCASE
                 ORDER BY started DESC, id DESC",
            )
            .map_err(ledger_err(&self.path, "list attempts"))?;
        let rows = stmt
            .query_map([device_id], |row| {
                Ok(AttemptRecord {
                    id: row.get(0)?,
                    device_id: row.get(1)?,
                    address: row.get(2)?,
                    ssid: row.get(3)?,
                    started: parse_time(row, 4)?,
                    ended: match row.get::<_, Option<String>>(5)? {
                        Some(_) => Some(parse_time(row, 5)?),
                        None => None,
                    },
                    outcome: AttemptOutcome::parse(&row.get::<_, String>(6)?),
                    diagnosis: row.get(7)?,
                    round_trips: row.get(8)?,
                })
            })
            .map_err(ledger_err(&self.path, "list attempts"))?;
        rows.collect::<Result<_, _>>()
            .map_err(ledger_err(&self.path, "list attempts"))
    }

    /// `PRAGMA integrity_check`: `Ok(())` when SQLite reports "ok", else the problems it found.
    pub fn integrity_check(&self) -> Result<(), Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("PRAGMA integrity_check")
            .map_err(ledger_err(&self.path, "check integrity"))?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(ledger_err(&self.path, "check integrity"))?;
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

fn accessory_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccessoryRecord> {
    Ok(AccessoryRecord {
        id: row.get(0)?,
        pin: row.get(1)?,
        fingerprint: row.get(2)?,
        model: row.get(3)?,
        firmware: row.get(4)?,
        first_seen: parse_time(row, 5)?,
        last_seen: parse_time(row, 6)?,
    })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn parse_time(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<OffsetDateTime> {
    let text: String = row.get(idx)?;
    OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn ledger_err<'a>(path: &'a Path, action: &'static str) -> impl Fn(rusqlite::Error) -> Error + 'a {
    move |e| Error::Ledger {
        path: path.to_path_buf(),
        action,
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        // Whole seconds: RFC 3339 round trips keep nanoseconds, but tests compare simpler values.
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
    }

    fn record(id: &str, pin: &str) -> AccessoryRecord {
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
        let ledger = Ledger::open(dir.path().join("sub/ledger.sqlite3")).unwrap();
        let conn = ledger.conn();
        let v: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!((v, mode.as_str()), (SCHEMA_VERSION, "wal"));
    }

    #[test]
    fn a_seen_accessory_keeps_its_first_sighting_and_follows_the_accepted_key() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.db")).unwrap();
        let first = record("SIM-1", "sha256/first");
        ledger.saw_accessory(&first).unwrap();
        let mut later = record("SIM-1", "sha256/second");
        later.first_seen = first.first_seen + time::Duration::hours(1);
        later.last_seen = first.last_seen + time::Duration::hours(1);
        later.firmware = Some("1.1".into());
        ledger.saw_accessory(&later).unwrap();
        let got = ledger.accessory("SIM-1").unwrap().unwrap();
        assert_eq!(got.pin, "sha256/second");
        assert_eq!(got.first_seen, first.first_seen);
        assert_eq!(got.last_seen, later.last_seen);
        assert_eq!(got.firmware.as_deref(), Some("1.1"));
    }

    #[test]
    fn device_ids_differing_only_in_ascii_case_are_one_record() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.db")).unwrap();
        ledger
            .saw_accessory(&record("SIM-1", "sha256/first"))
            .unwrap();
        ledger
            .saw_accessory(&record("sim-1", "sha256/second"))
            .unwrap();
        assert_eq!(ledger.accessories().unwrap().len(), 1);
        let got = ledger.accessory("Sim-1").unwrap().unwrap();
        assert_eq!(
            (got.id.as_str(), got.pin.as_str()),
            ("SIM-1", "sha256/second")
        );
        assert!(ledger.forget("sim-1").unwrap());
        assert_eq!(ledger.accessory("SIM-1").unwrap(), None);
    }

    #[test]
    fn forgetting_an_accessory_removes_its_pin_and_keeps_its_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.db")).unwrap();
        ledger.saw_accessory(&record("SIM-1", "sha256/x")).unwrap();
        let a = ledger
            .start_attempt(Some("SIM-1"), "127.0.0.1:1", "Home", now())
            .unwrap();
        ledger
            .finish_attempt(a, None, AttemptOutcome::Connected, None, Some(5), now())
            .unwrap();
        assert!(ledger.forget("SIM-1").unwrap());
        assert!(!ledger.forget("SIM-1").unwrap());
        assert_eq!(ledger.accessory("SIM-1").unwrap(), None);
        let attempts = ledger.attempts(Some("SIM-1")).unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].outcome, AttemptOutcome::Connected);
        assert_eq!(attempts[0].round_trips, Some(5));
    }

    #[test]
    fn the_history_of_a_forgotten_accessory_keeps_its_attempts_and_an_unknown_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.db")).unwrap();
        let unknown = ledger.history("SIM-9").unwrap_err();
        assert_eq!(
            unknown.code(),
            trust::diagnosis::codes::LEDGER_UNKNOWN_ACCESSORY
        );
        assert!(unknown
            .to_string()
            .starts_with("SIM-9 is not in the ledger "));
        ledger.saw_accessory(&record("SIM-1", "sha256/x")).unwrap();
        ledger
            .start_attempt(Some("SIM-1"), "127.0.0.1:1", "Home", now())
            .unwrap();
        assert!(ledger.forget("SIM-1").unwrap());
        let h = ledger.history("SIM-1").unwrap();
        assert_eq!((h.accessory.is_none(), h.attempts.len()), (true, 1));
        let text = h.to_string();
        assert!(
            text.starts_with("accessory SIM-1 (no key on record"),
            "{text}"
        );
        assert!(text.contains("attempts (1):\n  "), "{text}");
        assert_eq!(
            ledger.listing().unwrap().to_string(),
            format!("no accessories in {}\n", ledger.path().display())
        );
    }

    #[test]
    fn an_unfinished_attempt_reads_as_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.db")).unwrap();
        ledger
            .start_attempt(None, "127.0.0.1:1", "Home", now())
            .unwrap();
        let attempts = ledger.attempts(None).unwrap();
        assert_eq!(attempts[0].outcome, AttemptOutcome::InProgress);
        assert_eq!(attempts[0].ended, None);
    }

    #[test]
    fn a_ledger_from_a_newer_version_is_refused_not_guessed_at() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        match Ledger::open(&path) {
            Err(Error::LedgerTooNew { found: 99, .. }) => {}
            other => panic!("expected LedgerTooNew, got {other:?}"),
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
