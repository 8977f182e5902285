//! Claims with leases: two stations (or two workers) never work on one accessory at once, and a
//! station that dies holds nothing for longer than its lease.
//!
//! A claim is a row of `claims` (`device_key`, `claimed_by`, `lease_until` in ms on the
//! database's clock). Taking one is a single atomic statement in both databases:
//! `INSERT … ON CONFLICT (device_key) DO UPDATE … WHERE lease_until < now OR claimed_by = me
//! RETURNING`: it inserts a free key, takes over an expired lease or renews one's own, and
//! returns nothing when someone else holds a live lease (PostgreSQL locks the conflicting row for
//! the statement; SQLite runs it under `BEGIN IMMEDIATE`). Leases run on the database's clock, so
//! stations with skewed clocks agree on when one ends.
//!
//! The key is the caller's: the device id, or the address when the id is not known yet. Keys
//! compare ignoring ASCII case, as device ids do.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use super::db::{DbError, Value};
use super::{millis, Ledger};
use crate::error::Error;

/// The answer to [`Ledger::claim`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum Claim {
    /// This station holds the accessory until `until` (renew before then).
    Claimed {
        /// When the lease ends, by the ledger's clock.
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
    /// Another station holds it until `until` (after which it may be taken over).
    HeldBy {
        /// The station holding it (`hostname:pid` unless named).
        station: String,
        /// When its lease ends, by the ledger's clock.
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
}

impl Ledger {
    /// Claims `device_key` for this handle's station for `lease`: [`Claim::Claimed`] when it was
    /// free, expired, or already ours (then renewed); [`Claim::HeldBy`] while another station's
    /// lease runs. Attempts past their deadline are marked interrupted first.
    pub fn claim(&self, device_key: &str, lease: Duration) -> Result<Claim, Error> {
        self.mark_interrupted()?;
        let key = device_key.to_ascii_lowercase();
        let station = self.station().to_owned();
        let lease = millis(lease);
        self.run("claim an accessory", move |tx| {
            // A holder may release between our two statements: then try again.
            for _ in 0..8 {
                let taken = tx.query(
                    "INSERT INTO claims (device_key, claimed_by, lease_until)
                     VALUES ($1, $2, {now_ms} + $3)
                     ON CONFLICT (device_key) DO UPDATE
                         SET claimed_by = excluded.claimed_by, lease_until = excluded.lease_until
                         WHERE claims.lease_until < {now_ms}
                            OR claims.claimed_by = excluded.claimed_by
                     RETURNING lease_until",
                    &[key.clone().into(), station.clone().into(), lease.into()],
                )?;
                if let Some(row) = taken.first() {
                    return Ok(Claim::Claimed {
                        until: at(&row[0])?,
                    });
                }
                let held = tx.query(
                    "SELECT claimed_by, lease_until FROM claims WHERE device_key = $1",
                    &[key.clone().into()],
                )?;
                if let Some(row) = held.first() {
                    return Ok(Claim::HeldBy {
                        station: row[0].text().unwrap_or_default(),
                        until: at(&row[1])?,
                    });
                }
            }
            Err("the claim kept changing hands".into())
        })
    }

    /// Extends this station's claim on `device_key` to `lease` from now; `None` when it no longer
    /// holds it (released, or expired and taken over: stop working on that accessory).
    pub fn renew(
        &self,
        device_key: &str,
        lease: Duration,
    ) -> Result<Option<OffsetDateTime>, Error> {
        let params: Vec<Value> = vec![
            device_key.to_ascii_lowercase().into(),
            self.station().to_owned().into(),
            millis(lease).into(),
        ];
        self.run("renew a claim", move |tx| {
            tx.query(
                "UPDATE claims SET lease_until = {now_ms} + $3
                 WHERE device_key = $1 AND claimed_by = $2
                 RETURNING lease_until",
                &params,
            )?
            .first()
            .map(|row| at(&row[0]))
            .transpose()
        })
    }

    /// Gives up this station's claim on `device_key`; returns whether it held one.
    pub fn release(&self, device_key: &str) -> Result<bool, Error> {
        let params: Vec<Value> = vec![
            device_key.to_ascii_lowercase().into(),
            self.station().to_owned().into(),
        ];
        let n = self.run("release a claim", move |tx| {
            tx.execute(
                "DELETE FROM claims WHERE device_key = $1 AND claimed_by = $2",
                &params,
            )
        })?;
        Ok(n > 0)
    }
}

/// A lease end (ms since the epoch) as a time.
fn at(v: &Value) -> Result<OffsetDateTime, DbError> {
    let ms = v.int().ok_or("a claim without a lease")?;
    Ok(OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(ms) * 1_000_000,
    )?)
}
