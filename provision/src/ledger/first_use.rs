//! The first-use record, written once: when two stations (or two processes on one SQLite file)
//! record a first key for the same device at the same moment, exactly one wins and the other is
//! told the key changed, rather than the second silently overwriting the first.
//!
//! The insert is `INSERT … ON CONFLICT DO NOTHING` on the unique index of ids ignoring ASCII case
//! (`accessories_by_key`), then the record is read back in the same transaction. SQLite runs it
//! under `BEGIN IMMEDIATE` (one writer at a time); PostgreSQL, at READ COMMITTED, makes a
//! conflicting insert wait for the other transaction and then do nothing, and the read that
//! follows is a new statement that sees the winner's committed row.

use super::accessory::{accessory_row, SELECT_ACCESSORY};
use super::db::Value;
use super::{rfc3339, Ledger};
use crate::error::Error;
use crate::ledger::AccessoryRecord;

impl Ledger {
    /// Records `record` as the accessory's first-use key unless a record for its id exists
    /// already (inserted by another station a moment ago, say). Then, if the record in the ledger
    /// holds the same key, it is the one trust on first use compares against and its sighting is
    /// updated; if it holds another key, [`Error::KeyChanged`]: that key was recorded first, and
    /// the one presented here is not it.
    pub fn record_first_use(&self, record: &AccessoryRecord) -> Result<(), Error> {
        let r = record.clone();
        let found = self.run("record a first use", move |tx| {
            tx.execute(
                "INSERT INTO accessories
                     (id, pin, fingerprint, model, firmware, last_seen, first_seen)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT DO NOTHING",
                &[
                    r.id.clone().into(),
                    r.pin.clone().into(),
                    r.fingerprint.clone().into(),
                    r.model.clone().into(),
                    r.firmware.clone().into(),
                    rfc3339(r.last_seen).into(),
                    rfc3339(r.first_seen).into(),
                ],
            )?;
            let rows = tx.query(
                &format!("{SELECT_ACCESSORY} WHERE ascii_lower(id) = ascii_lower($1)"),
                &[r.id.clone().into()],
            )?;
            let found = rows
                .first()
                .map(accessory_row)
                .transpose()?
                .ok_or("the record just inserted is not there")?;
            if found.pin == r.pin {
                let params: Vec<Value> = vec![
                    r.id.clone().into(),
                    r.model.clone().into(),
                    r.firmware.clone().into(),
                    rfc3339(r.last_seen).into(),
                ];
                tx.execute(
                    "UPDATE accessories SET model = $2, firmware = $3, last_seen = $4
                     WHERE ascii_lower(id) = ascii_lower($1)",
                    &params,
                )?;
            }
            Ok(found)
        })?;
        if found.pin != record.pin {
            return Err(Error::KeyChanged {
                device_id: found.id,
                recorded_pin: found.pin,
                recorded_fingerprint: found.fingerprint,
                observed_pin: record.pin.clone(),
                observed_fingerprint: record.fingerprint.clone(),
            });
        }
        Ok(())
    }
}
