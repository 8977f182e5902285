//! The trust decisions of a run: the key against `--expect-fingerprint`, the policy's pins and
//! anchors, and trust on first use (the ledger's record, a confirmation, and the first-use record
//! written before anything secret is sent).

use super::*;

impl Run<'_> {
    /// A first use under trust on first use, confirmed and with its id proven, is recorded
    /// before anything secret is sent, and only if no station recorded a key for this id since
    /// it was looked up: another key recorded first is a changed key, refused like one found at
    /// the lookup ([`Ledger::record_first_use`](crate::Ledger::record_first_use)).
    pub(super) async fn record_first_use(
        &mut self,
        trusted: &Trusted,
        device: &ProvenDevice,
    ) -> Result<(), Error> {
        let Some(ledger) = &self.request.ledger else {
            return Ok(());
        };
        self.step = Step::ConfirmFirstUse;
        let key = trusted.key();
        let now = OffsetDateTime::now_utc();
        let record = AccessoryRecord {
            id: device.id().to_owned(),
            pin: key.pin.to_string(),
            fingerprint: key.fingerprint.clone(),
            model: Some(device.info().model.clone()).filter(|m| !m.is_empty()),
            firmware: Some(device.info().firmware.clone()).filter(|f| !f.is_empty()),
            first_seen: now,
            last_seen: now,
        };
        with_ledger(ledger, move |l| l.record_first_use(&record)).await
    }

    /// The ledger's record for a device id (trust on first use compares the key with it).
    pub(super) async fn recorded(&self, id: &str) -> Result<Option<AccessoryRecord>, Error> {
        match &self.request.ledger {
            Some(ledger) => {
                let id = id.to_owned();
                with_ledger(ledger, move |l| l.accessory(&id)).await
            }
            None => Ok(None),
        }
    }

    /// Right after the handshake: the key must be the one `--expect-fingerprint` names (if given);
    /// then it is trusted by the policy's pins or anchors, or (trust on first use) by the first-use
    /// decision, which needs the device id: the one on the label now, or the proven one later.
    pub(super) async fn verify(
        &mut self,
        connected: Connected,
        recorded: Option<AccessoryRecord>,
    ) -> Result<Verified, Error> {
        let trust_in = &self.request.trust;
        if let Some(expect) = &trust_in.expect {
            if let Err(e) = trusted::check_expected(connected.key(), expect) {
                self.step = Step::ConfirmFirstUse;
                return Err(e);
            }
        }
        if !trust_in.tofu {
            return Trusted::vouched(connected, trust_in, false).map(Verified::Trusted);
        }
        if self.request.device_id.is_none() {
            // Looked up by the id the accessory reports, once its certificate proved it.
            return Ok(Verified::ByReportedId(connected));
        }
        self.decide(connected, recorded)
            .await
            .map(Verified::Trusted)
    }

    /// The first-use decision (trust on first use), written once: the ledger's recorded key must
    /// be the one observed; without a record it is a first use, vouched by a pin or an anchor,
    /// or confirmed by `--expect-fingerprint` (checked against the key in [`Run::verify`]) or by a
    /// person.
    pub(super) async fn decide(
        &mut self,
        connected: Connected,
        recorded: Option<AccessoryRecord>,
    ) -> Result<Trusted, Error> {
        let request = self.request;
        if let Some(record) = &recorded {
            return Trusted::recorded(connected, record);
        }
        if trusted::vouches(&request.trust) {
            return Trusted::vouched(connected, &request.trust, true);
        }
        self.step = Step::ConfirmFirstUse;
        if let Some(expect) = &request.trust.expect {
            return Trusted::expected(connected, expect);
        }
        let key = connected.key();
        let unconfirmed = Error::FirstUseUnconfirmed {
            who: self
                .device_id
                .clone()
                .unwrap_or_else(|| request.accessory.authority()),
            fingerprint: key.fingerprint.clone(),
            pin: key.pin.to_string(),
        };
        match &request.first_use {
            FirstUse::Refuse => Err(unconfirmed),
            FirstUse::Ask(ask) => {
                let question = FirstUseQuestion {
                    address: request.accessory.authority(),
                    device_id: self.device_id.clone(),
                    fingerprint: key.fingerprint.clone(),
                    pin: key.pin.to_string(),
                };
                Trusted::asked(connected, question, ask.clone())
                    .await
                    .map_err(|_| unconfirmed)
            }
        }
    }
}
