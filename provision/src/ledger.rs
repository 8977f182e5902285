//! The ledger: every accessory seen (its pin, the first-use record trust on first use compares
//! against) and every provisioning attempt, in one SQLite file (the embedded default) or in a
//! PostgreSQL database several stations share (`--ledger postgres://…`, `ACCESSORY_LEDGER`). One
//! schema and one list of migrations serve both (`ledger/schema.rs`); the dialects differ in one
//! place (`ledger/db.rs`). With several stations, claims with leases (`ledger/claim.rs`) keep two
//! of them off one accessory, and a key first recorded at one station is the record every other
//! compares against: it lives in the shared database.
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

mod claim;
mod db;
mod first_use;
mod private;
mod record;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::Error;
use db::{ledger_err, Db, DbError, Dialect, Row, Tx, Value};
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

    /// Every accessory, most recent first, and every attempt from every station, with the
    /// ledger's location (`accessory ledger list`).
    pub fn listing(&self) -> Result<Listing, Error> {
        Ok(Listing {
            ledger: self.path.display().to_string(),
            accessories: self.accessories()?,
            attempts: self.attempts(None)?,
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

    /// The accessory with this id (ignoring ASCII case), if it was ever recorded.
    pub fn accessory(&self, id: &str) -> Result<Option<AccessoryRecord>, Error> {
        let id = id.to_owned();
        let rows = self.run("read an accessory", move |tx| {
            tx.query(
                &format!("{SELECT_ACCESSORY} WHERE ascii_lower(id) = ascii_lower($1)"),
                &[id.into()],
            )
        })?;
        rows.first()
            .map(accessory_row)
            .transpose()
            .map_err(ledger_err(&self.path, "read an accessory"))
    }

    /// Every accessory, most recently seen first.
    pub fn accessories(&self) -> Result<Vec<AccessoryRecord>, Error> {
        let rows = self.run("list accessories", |tx| {
            tx.query(
                &format!("{SELECT_ACCESSORY} ORDER BY last_seen DESC, id"),
                &[],
            )
        })?;
        rows.iter()
            .map(accessory_row)
            .collect::<Result<_, _>>()
            .map_err(ledger_err(&self.path, "list accessories"))
    }

    /// Records that `record.id` was seen with this key now: inserts it, or updates its key, last
    /// sighting, model and firmware (its first sighting stays). The flow calls this only for a key
    /// its policy accepted: under trust on first use that is the recorded key itself (a different
    /// one is refused before anything is sent, and accepting it is a deliberate `forget`); under a
    /// pin or anchors, the administrator's trust vouches for a new key, so the record follows it.
    /// Every station reads the same record: a key first recorded at one is enforced at all.
    pub fn saw_accessory(&self, record: &AccessoryRecord) -> Result<(), Error> {
        let r = record.clone();
        self.run("record an accessory", move |tx| saw(tx, &r))
    }

    /// The end state of a successful attempt in one transaction, so one commit (one fsync on
    /// SQLite): the accessory seen with its key (as [`Ledger::saw_accessory`]) and, when an
    /// attempt was started, that attempt `connected` (as [`Ledger::finish_attempt`]). Both are
    /// recorded or neither.
    pub fn record_connected(
        &self,
        record: &AccessoryRecord,
        attempt: Option<i64>,
        round_trips: Option<u32>,
        ended: OffsetDateTime,
    ) -> Result<(), Error> {
        let r = record.clone();
        let finished: Option<Vec<Value>> = attempt.map(|id| {
            vec![
                id.into(),
                Some(r.id.clone()).into(),
                AttemptOutcome::Connected.as_str().into(),
                None::<String>.into(),
                round_trips.map(i64::from).into(),
                rfc3339(ended).into(),
            ]
        });
        self.run(
            "record the accessory and the end of its attempt",
            move |tx| {
                saw(tx, &r)?;
                if let Some(params) = &finished {
                    finish(tx, params)?;
                }
                Ok(())
            },
        )
    }

    /// Removes an accessory's record (its pin; the id ignoring ASCII case): the next provisioning is a first use again.
    /// Returns whether there was one. Its attempts are kept.
    pub fn forget(&self, id: &str) -> Result<bool, Error> {
        let id = id.to_owned();
        let n = self.run("forget an accessory", move |tx| {
            tx.execute(
                "DELETE FROM accessories WHERE ascii_lower(id) = ascii_lower($1)",
                &[id.into()],
            )
        })?;
        Ok(n > 0)
    }

    /// Records the start of an attempt (outcome `in_progress`, this handle's station, a deadline
    /// of now plus the attempt deadline on the database's clock) and returns its id.
    pub fn start_attempt(
        &self,
        device_id: Option<&str>,
        address: &str,
        ssid: &str,
        started: OffsetDateTime,
    ) -> Result<i64, Error> {
        let params: Vec<Value> = vec![
            device_id.map(str::to_owned).into(),
            address.into(),
            ssid.into(),
            rfc3339(started).into(),
            self.station.clone().into(),
            millis(self.attempt_deadline).into(),
        ];
        let rows = self.run("record an attempt", move |tx| {
            tx.query(
                "INSERT INTO attempts (device_id, address, ssid, started, station, deadline, outcome)
                 VALUES ($1, $2, $3, $4, $5, {now_ms} + $6, 'in_progress')
                 RETURNING id",
                &params,
            )
        })?;
        rows.first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| Error::Ledger {
                path: self.path.clone(),
                action: "record an attempt",
                source: "no id returned".into(),
            })
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
        let params: Vec<Value> = vec![
            id.into(),
            device_id.map(str::to_owned).into(),
            outcome.as_str().into(),
            diagnosis.map(str::to_owned).into(),
            round_trips.map(i64::from).into(),
            rfc3339(ended).into(),
        ];
        self.run("record the end of an attempt", move |tx| {
            finish(tx, &params)
        })?;
        Ok(())
    }

    /// Attempts from every station, newest first; only those of `device_id` when given.
    pub fn attempts(&self, device_id: Option<&str>) -> Result<Vec<AttemptRecord>, Error> {
        let device_id = device_id.map(str::to_owned);
        let rows = self.run("list attempts", move |tx| {
            tx.query(
                "SELECT id, device_id, address, ssid, started, ended, outcome, diagnosis,
                        round_trips, station
                 FROM attempts
                 WHERE CAST($1 AS TEXT) IS NULL OR ascii_lower(device_id) = ascii_lower($1)
                 ORDER BY started DESC, id DESC",
                &[device_id.into()],
            )
        })?;
        rows.iter()
            .map(attempt_row)
            .collect::<Result<_, _>>()
            .map_err(ledger_err(&self.path, "list attempts"))
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

/// Inserts `r`, or updates its key, last sighting, model and firmware (its first sighting stays).
fn saw(tx: &mut Tx<'_, '_>, r: &AccessoryRecord) -> Result<(), DbError> {
    let params: Vec<Value> = vec![
        r.id.clone().into(),
        r.pin.clone().into(),
        r.fingerprint.clone().into(),
        r.model.clone().into(),
        r.firmware.clone().into(),
        rfc3339(r.last_seen).into(),
    ];
    // An upsert by hand: the primary key compares case-sensitively, device ids do not.
    let updated = tx.execute(
        "UPDATE accessories SET pin = $2, fingerprint = $3, model = $4, firmware = $5,
             last_seen = $6
         WHERE ascii_lower(id) = ascii_lower($1)",
        &params,
    )?;
    if updated == 0 {
        let mut params = params;
        params.push(rfc3339(r.first_seen).into());
        tx.execute(
            "INSERT INTO accessories
                 (id, pin, fingerprint, model, firmware, last_seen, first_seen)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &params,
        )?;
    }
    Ok(())
}

/// An attempt's end: `params` are its id, device id, outcome, diagnosis, round trips, end.
fn finish(tx: &mut Tx<'_, '_>, params: &[Value]) -> Result<u64, DbError> {
    tx.execute(
        "UPDATE attempts SET device_id = COALESCE($2, device_id), outcome = $3,
             diagnosis = $4, round_trips = $5, ended = $6
         WHERE id = $1",
        params,
    )
}

/// Where a ledger was opened from; its `Debug` shows nothing, since a URL may carry a password.
struct Target(PathBuf);

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Target(..)")
    }
}

const SELECT_ACCESSORY: &str =
    "SELECT id, pin, fingerprint, model, firmware, first_seen, last_seen FROM accessories";

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

fn accessory_row(row: &Row) -> Result<AccessoryRecord, DbError> {
    Ok(AccessoryRecord {
        id: text(row, 0)?,
        pin: text(row, 1)?,
        fingerprint: text(row, 2)?,
        model: row[3].text(),
        firmware: row[4].text(),
        first_seen: time_at(row, 5)?,
        last_seen: time_at(row, 6)?,
    })
}

fn attempt_row(row: &Row) -> Result<AttemptRecord, DbError> {
    Ok(AttemptRecord {
        id: row[0].int().ok_or("an attempt without an id")?,
        device_id: row[1].text(),
        address: text(row, 2)?,
        ssid: text(row, 3)?,
        started: time_at(row, 4)?,
        ended: match row[5] {
            Value::Null => None,
            _ => Some(time_at(row, 5)?),
        },
        outcome: AttemptOutcome::parse(&text(row, 6)?),
        diagnosis: row[7].text(),
        round_trips: row[8].int().and_then(|n| u32::try_from(n).ok()),
        station: row[9].text(),
    })
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
    fn a_success_records_the_accessory_and_ends_its_attempt_in_one_step_that_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let ledger = Ledger::open(&path).unwrap();
        let attempt = ledger
            .start_attempt(Some("SIM-1"), "127.0.0.1:1", "Home", now())
            .unwrap();
        ledger
            .record_connected(&record("SIM-1", "sha256/k"), Some(attempt), Some(5), now())
            .unwrap();
        drop(ledger);
        // Closed without a checkpoint: the log holds it, and the next open reads it.
        let again = Ledger::open(&path).unwrap().reopen().unwrap();
        assert_eq!(again.accessory("sim-1").unwrap().unwrap().pin, "sha256/k");
        let attempts = again.attempts(Some("SIM-1")).unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].outcome, AttemptOutcome::Connected);
        assert_eq!(attempts[0].round_trips, Some(5));
        assert!(again.integrity_check().is_ok());
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
        let listing = ledger.listing().unwrap().to_string();
        assert!(
            listing.starts_with(&format!(
                "no accessories in {}\nattempts (1, every station):\n  #",
                ledger.path().display()
            )),
            "{listing}"
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
