//! Accessories in the ledger: one record per device id (ignoring ASCII case) with the key it
//! was last accepted with, read, updated as the flow sees it again, and forgotten. The record
//! written once at a first use is `first_use.rs`'s.

use time::OffsetDateTime;

use super::attempt::finish;
use super::db::{ledger_err, DbError, Row, Tx, Value};
use super::{rfc3339, text, time_at, AccessoryRecord, AttemptOutcome, Ledger};
use crate::error::Error;

impl Ledger {
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

pub(super) const SELECT_ACCESSORY: &str =
    "SELECT id, pin, fingerprint, model, firmware, first_seen, last_seen FROM accessories";

pub(super) fn accessory_row(row: &Row) -> Result<AccessoryRecord, DbError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tests::{now, record};

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
}
