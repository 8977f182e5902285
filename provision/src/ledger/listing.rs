//! What `accessory ledger list` and `accessory ledger show` read: every accessory and attempt,
//! or one accessory's record and attempts, and the error for an id the ledger has never seen.

use super::{History, Ledger, Listing};
use crate::error::Error;

impl Ledger {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tests::{now, record};

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
}
