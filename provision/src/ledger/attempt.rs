//! Attempts in the ledger: each provisioning attempt from its start (`in_progress`, with its
//! station and deadline) to its end (outcome, diagnosis code, round trips), from every station.
//! Attempts that outlive their deadline are marked by `Ledger::mark_interrupted` on open.

use time::OffsetDateTime;

use super::db::{ledger_err, DbError, Row, Tx, Value};
use super::{millis, rfc3339, text, time_at, AttemptOutcome, AttemptRecord, Ledger};
use crate::error::Error;

impl Ledger {
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
}

/// An attempt's end: `params` are its id, device id, outcome, diagnosis, round trips, end.
pub(super) fn finish(tx: &mut Tx<'_, '_>, params: &[Value]) -> Result<u64, DbError> {
    tx.execute(
        "UPDATE attempts SET device_id = COALESCE($2, device_id), outcome = $3,
             diagnosis = $4, round_trips = $5, ended = $6
         WHERE id = $1",
        params,
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tests::now;

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
}
