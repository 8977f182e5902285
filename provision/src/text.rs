//! How things read to a person: a run's outcome, the failure's explanation, the SSH-style warning
//! for a key that changed since first use, and the ledger's records. JSON is the types' `Serialize`.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{AccessoryRecord, AttemptRecord, Error, Failure, History, Listing, Outcome};

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self;
        let d = &o.device;
        writeln!(
            f,
            "accessory {} ({}, firmware {}) joined {}{}",
            d.device_id,
            if d.model.is_empty() {
                "unknown model"
            } else {
                &d.model
            },
            if d.firmware.is_empty() {
                "unknown"
            } else {
                &d.firmware
            },
            o.ssid,
            o.ip.as_deref()
                .map(|ip| format!(" as {ip}"))
                .unwrap_or_default(),
        )?;
        writeln!(
            f,
            "  key {} (fingerprint {}){}",
            o.pin,
            o.fingerprint,
            if o.first_use {
                ", recorded at first use"
            } else {
                ""
            }
        )?;
        write!(
            f,
            "  {} round trips ({} tcp, {} tls, {} http){} in {} ms",
            o.round_trips.total(),
            o.round_trips.tcp,
            o.round_trips.tls,
            o.round_trips.http,
            if o.reconnects > 0 {
                format!(", {} reconnect(s)", o.reconnects)
            } else {
                String::new()
            },
            o.elapsed_ms
        )
    }
}

impl Failure {
    /// The diagnosis in full, then the step, the round trips and whether credentials were sent;
    /// each line ends with a newline.
    pub fn explanation(&self) -> String {
        format!(
            "{:#}\n  step: {}; round trips: {}; credentials sent: {}\n",
            self.diagnosis,
            self.step,
            self.round_trips,
            self.credentials_text()
        )
    }

    /// Which credentials went to the (verified) accessory: for a refused proof of possession,
    /// the passphrase and the proof travelled in the same request.
    fn credentials_text(&self) -> &'static str {
        match (&self.error, self.credentials_sent) {
            (_, false) => "no",
            (Error::PopRejected { sent: true, .. }, true) => {
                "yes: the passphrase and the PoP proof, which the accessory refused"
            }
            (Error::PopRejected { sent: false, .. }, true) => {
                "yes: the passphrase; no PoP proof was given and the accessory requires one"
            }
            (Error::HeaderRejected { .. }, true) => {
                "yes: the passphrase and the API profile's header, which the accessory refused"
            }
            (_, true) => "yes",
        }
    }

    /// The SSH-style warning for a key that changed since first use; `None` for any other failure.
    ///
    /// `ledger` is the `--ledger` the run was given, repeated in the `ledger forget` it suggests
    /// (without it the suggestion would forget the key in another ledger, or create one).
    pub fn key_changed_warning(&self, ledger: Option<&std::path::Path>) -> Option<String> {
        let Error::KeyChanged {
            device_id,
            recorded_pin,
            recorded_fingerprint,
            observed_pin,
            observed_fingerprint,
        } = &self.error
        else {
            return None;
        };
        let ledger = ledger
            .map(|p| format!(" --ledger {}", shell_word(&p.display().to_string())))
            .unwrap_or_default();
        Some(format!(
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         @    WARNING: ACCESSORY IDENTIFICATION HAS CHANGED!       @\n\
         @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n\
         Someone could be impersonating accessory {device_id} to capture your Wi-Fi passphrase.\n\
         It is also possible that the accessory was reflashed or replaced.\n\
         Recorded at first use: fingerprint {recorded_fingerprint}\n\
         \x20                      pin {recorded_pin}\n\
         Presented now:         fingerprint {observed_fingerprint}\n\
         \x20                      pin {observed_pin}\n\
         Nothing was sent to it. If you are sure the change is legitimate, remove the old record:\n\
         \x20   accessory ledger forget {device_id}{ledger}\n\
         and provision again with --tofu --expect-fingerprint <the fingerprint on its label>.\n"
        ))
    }
}

/// The accessories as a table (`accessory ledger list`): a header, one line each.
pub fn accessory_table(records: &[AccessoryRecord]) -> String {
    let mut out = format!(
        "{:<20} {:<20} {:<10} {:<20} PIN\n",
        "ID", "MODEL", "FIRMWARE", "LAST SEEN"
    );
    for a in records {
        out.push_str(&format!(
            "{:<20} {:<20} {:<10} {:<20} {}\n",
            a.id,
            a.model.as_deref().unwrap_or("-"),
            a.firmware.as_deref().unwrap_or("-"),
            when(a.last_seen),
            a.pin
        ));
    }
    out
}

/// `accessory ledger list`: the table, or a line saying the ledger is empty.
impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.accessories.is_empty() {
            writeln!(f, "no accessories in {}", self.ledger)?;
        } else {
            f.write_str(&accessory_table(&self.accessories))?;
        }
        if !self.attempts.is_empty() {
            writeln!(f, "attempts ({}, every station):", self.attempts.len())?;
            for t in &self.attempts {
                writeln!(f, "  {t}")?;
            }
        }
        Ok(())
    }
}

/// `accessory ledger show`: the record (or why there is none), then the attempts.
impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.accessory {
            Some(a) => write!(f, "{a}")?,
            None => writeln!(
                f,
                "accessory {} (no key on record: forgotten, or never verified)",
                self.id
            )?,
        }
        writeln!(f, "attempts ({}):", self.attempts.len())?;
        for t in &self.attempts {
            writeln!(f, "  {t}")?;
        }
        Ok(())
    }
}

/// One accessory in full (`accessory ledger show`), a line per field.
impl fmt::Display for AccessoryRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accessory {}", self.id)?;
        writeln!(f, "  model        {}", self.model.as_deref().unwrap_or("-"))?;
        writeln!(
            f,
            "  firmware     {}",
            self.firmware.as_deref().unwrap_or("-")
        )?;
        writeln!(f, "  pin          {}", self.pin)?;
        writeln!(f, "  fingerprint  {}", self.fingerprint)?;
        writeln!(f, "  first seen   {}", when(self.first_seen))?;
        writeln!(f, "  last seen    {}", when(self.last_seen))
    }
}

/// One attempt on one line: id, start, outcome, address, SSID, diagnosis code, round trips, station.
impl fmt::Display for AttemptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = serde_json::to_value(self.outcome).map_err(|_| fmt::Error)?;
        write!(
            f,
            "#{:<5} {} {:<12} {:<12} ssid {:<16} {}{}{}",
            self.id,
            when(self.started),
            outcome.as_str().unwrap_or("?"),
            self.address,
            self.ssid,
            self.diagnosis.as_deref().unwrap_or(""),
            self.round_trips
                .map(|n| format!(" ({n} round trips)"))
                .unwrap_or_default(),
            self.station
                .as_deref()
                .map(|s| format!(" at {s}"))
                .unwrap_or_default(),
        )
    }
}

/// RFC 3339 to the second, in UTC: what a person reads in a table (JSON keeps full precision).
fn when(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// `word` as one shell word: as it is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:@%=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
