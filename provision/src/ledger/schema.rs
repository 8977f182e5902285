//! The ledger's schema: one list of versioned migrations for both databases, applied in order
//! and recorded in `ledger_migrations` (version, when). Each migration is written once; the
//! dialects' differences are [`Dialect::sql`](super::db::Dialect::sql)'s.
//!
//! SQLite files also keep `PRAGMA user_version` at the schema version, as version 1 did alone:
//! a file written by an older build (version 1, no migrations table) is recognised, and an older
//! build refuses a newer file rather than guessing at it.

use super::db::{DbError, Tx};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = 2;

/// Migration `n` is `MIGRATIONS[n - 1]`.
pub(crate) const MIGRATIONS: [&str; 2] = [
    // 1: accessories (their first-use keys) and attempts.
    "
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
",
    // 2: several stations. Which station made an attempt and by when it must have ended (the
    // database's clock, ms; a later open marks it interrupted after that); claims with leases;
    // one accessory per device id ignoring ASCII case, enforced by the database; unfinished
    // attempts found by index (every open and claim looks for them).
    "
ALTER TABLE attempts ADD COLUMN station TEXT;
ALTER TABLE attempts ADD COLUMN deadline INTEGER;
CREATE TABLE claims (
    device_key  TEXT PRIMARY KEY NOT NULL,
    claimed_by  TEXT NOT NULL,
    lease_until INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX accessories_by_key ON accessories (ascii_lower(id));
CREATE INDEX attempts_by_outcome ON attempts (outcome, deadline);
",
];

/// How far [`migrate`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Migrated {
    /// At `SCHEMA_VERSION` (after applying what was missing).
    Current,
    /// The database is at a newer version than this build knows.
    TooNew(i32),
}

/// Applies the missing migrations inside `tx` (the caller's transaction: SQLite `BEGIN
/// IMMEDIATE`, PostgreSQL with an advisory lock, so two stations opening a fresh database at once
/// migrate it once).
pub(crate) fn migrate(tx: &mut Tx<'_, '_>) -> Result<Migrated, DbError> {
    let dialect = tx.dialect();
    if dialect == super::db::Dialect::Postgres {
        // Held to the end of the transaction: one migrator at a time across stations.
        tx.query("SELECT pg_advisory_xact_lock(7302014)", &[])?;
    }
    let preamble = dialect.preamble();
    if !preamble.is_empty() {
        tx.batch(preamble)?;
    }
    tx.batch(
        "CREATE TABLE IF NOT EXISTS ledger_migrations (
             version INTEGER PRIMARY KEY NOT NULL,
             applied TEXT NOT NULL
         ) STRICT;",
    )?;
    let mut version = tx
        .query("SELECT MAX(version) FROM ledger_migrations", &[])?
        .first()
        .and_then(|r| r[0].int())
        .unwrap_or(0);
    if version == 0 && dialect == super::db::Dialect::Sqlite {
        // A file from before the migrations table: its user_version is its schema.
        let legacy = user_version(tx)?;
        if legacy > i64::from(SCHEMA_VERSION) {
            return Ok(Migrated::TooNew(legacy as i32));
        }
        if legacy > 0 {
            for v in 1..=legacy {
                record(tx, v)?;
            }
            version = legacy;
        }
    }
    if version > i64::from(SCHEMA_VERSION) {
        return Ok(Migrated::TooNew(version as i32));
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch(sql)?;
        record(tx, n as i64 + 1)?;
    }
    // Only when it differs: writing it rewrites the file's header, a commit (an fsync) that
    // every process opening the ledger would otherwise pay.
    if dialect == super::db::Dialect::Sqlite && user_version(tx)? != i64::from(SCHEMA_VERSION) {
        tx.batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    }
    Ok(Migrated::Current)
}

fn user_version(tx: &mut Tx<'_, '_>) -> Result<i64, DbError> {
    Ok(tx
        .query("PRAGMA user_version", &[])?
        .first()
        .and_then(|r| r[0].int())
        .unwrap_or(0))
}

fn record(tx: &mut Tx<'_, '_>, version: i64) -> Result<(), DbError> {
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO ledger_migrations (version, applied) VALUES ($1, $2)",
        &[version.into(), now.into()],
    )?;
    Ok(())
}

/// The versions recorded as applied, in order (for tests and `ledger` diagnostics).
pub(crate) fn applied(tx: &mut Tx<'_, '_>) -> Result<Vec<i64>, DbError> {
    Ok(tx
        .query(
            "SELECT version FROM ledger_migrations ORDER BY version",
            &[],
        )?
        .iter()
        .filter_map(|r| r[0].int())
        .collect())
}
