//! `ProvenDevice`: an accessory whose reported device id its verified certificate names.
//!
//! The ledger keys an accessory's record (the key trust on first use compares against) by its
//! device id, so that id must be one the certificate proves, not one the accessory merely says:
//! otherwise an accessory whose certificate names SIM-0003 could report SIM-0002, be provisioned
//! by pin, and become SIM-0002's recorded key. The id `GET /v1/device` reports is therefore
//! checked against the certificate the verifier accepted, by the same rule as `--device-id`
//! (`trust::check_device_id`, `trust::same_device_id`), in every mode, before anything secret
//! is sent. A certificate that names no device id at all is refused too: nothing could key the
//! record, and a run that provisioned it without one would leave no record to catch a later
//! change of key (`accessory certs mint` always names the id).
//!
//! Only [`ProvenDevice::check`] makes a `ProvenDevice`; the step that sends the home network and
//! the ledger record take one.

use rustls::pki_types::CertificateDer;

use protocol::api::DeviceInfo;

use crate::error::Error;

/// An accessory whose reported id its certificate names (and which is the id asked for, if one was).
#[derive(Debug)]
pub(crate) struct ProvenDevice {
    device: DeviceInfo,
}

impl ProvenDevice {
    /// Checks what `GET /v1/device` reported against `leaf` (the end-entity certificate the
    /// verifier accepted on this session) and against `asked` (`--device-id`).
    pub(crate) fn check(
        leaf: &CertificateDer<'_>,
        device: DeviceInfo,
        asked: Option<&str>,
    ) -> Result<Self, Error> {
        let reported = &device.device_id;
        if let Some(expected) = asked {
            if !trust::same_device_id(expected, reported) {
                return Err(Error::DeviceIdMismatch {
                    expected: expected.to_owned(),
                    reported: reported.clone(),
                });
            }
        }
        match trust::check_device_id(leaf, reported) {
            trust::DeviceIdCheck::Named => Ok(ProvenDevice { device }),
            trust::DeviceIdCheck::NamesOthers(names) => Err(Error::DeviceIdNotCertified {
                reported: reported.clone(),
                certified: names.join(", "),
            }),
            trust::DeviceIdCheck::NamesNone => Err(Error::DeviceIdUnproven {
                reported: reported.clone(),
            }),
        }
    }

    /// The device id, as the accessory reported it (the certificate names it, ignoring ASCII case).
    pub(crate) fn id(&self) -> &str {
        &self.device.device_id
    }

    /// What `GET /v1/device` answered.
    pub(crate) fn info(&self) -> &DeviceInfo {
        &self.device
    }

    pub(crate) fn into_info(self) -> DeviceInfo {
        self.device
    }
}
