//! Every provisioning failure as a `trust::Diagnosis`: TLS and network failures keep the codes
//! `trust` gives them (`cert.expired`, `tls.peer_alert.bad_certificate`, `net.refused`...), and the
//! failures only a provisioning flow has get codes of their own: what the accessory reported
//! (`accessory.auth_failed`...), what it answered (`accessory.pop_rejected`,
//! `accessory.http_error`...), first-use confirmation (`tofu.*`), and local problems
//! (`provision.*`, `ledger.*`). The codes and their explanations live in `trust`'s one catalogue
//! (`trust::diagnosis::CATALOGUE`); this file only maps errors to them.

use trust::Diagnosis;

use protocol::api::Reason;

use crate::error::Error;

/// The codes of the provisioning flow, in `trust`'s one catalogue with every other code.
pub use trust::diagnosis::codes;

impl Error {
    /// The stable code, from the one catalogue (`accessory.auth_failed`, `cert.expired`, ...).
    pub fn code(&self) -> &'static str {
        of(self).code
    }

    /// What a caller does about it; the catalogue decides, per code (a refused certificate is
    /// [`trust::ErrorKind::Untrusted`], a peer's alert [`trust::ErrorKind::Unreachable`]).
    pub fn kind(&self) -> trust::ErrorKind {
        of(self).kind
    }
}

impl From<&Error> for Diagnosis {
    fn from(error: &Error) -> Self {
        of(error)
    }
}

/// The diagnosis of a provisioning error.
pub fn of(error: &Error) -> Diagnosis {
    let detail = error.to_string();
    match error {
        Error::InvalidRequest(_) => Diagnosis::new(codes::INVALID_REQUEST, detail),
        Error::Resolve { .. } => Diagnosis::new(codes::RESOLVE, detail),
        Error::BindDevice { .. } => Diagnosis::new(codes::BIND_DEVICE, detail),
        Error::Connect { source, .. } | Error::Handshake { source, .. } => {
            // trust's detail names what was refused (dates, names, pins) or the socket error.
            let mut d = Diagnosis::from_io(source);
            if d.detail.is_empty() {
                d.detail = detail;
            }
            d
        }
        Error::ClientCert(_) => Diagnosis::new(codes::CLIENT_IDENTITY, detail),
        Error::FirstUseUnconfirmed { .. } => Diagnosis::new(codes::FIRST_USE_UNCONFIRMED, detail),
        Error::FingerprintMismatch { .. } => Diagnosis::new(codes::FINGERPRINT_MISMATCH, detail),
        Error::KeyChanged { .. } => Diagnosis::new(codes::KEY_CHANGED, detail),
        Error::DeviceIdMismatch { .. } | Error::DeviceIdNotCertified { .. } => {
            Diagnosis::new(codes::DEVICE_ID_MISMATCH, detail)
        }
        Error::DeviceIdUnproven { .. } => Diagnosis::new(codes::DEVICE_ID_UNPROVEN, detail),
        Error::PopRejected { sent: true, .. } => Diagnosis::new(codes::POP_REJECTED, detail),
        Error::PopRejected { sent: false, .. } => Diagnosis::new(codes::POP_REQUIRED, detail),
        Error::HeaderRejected { .. } => Diagnosis::new(codes::HEADER_REJECTED, detail),
        Error::AccessoryHttp { .. } => Diagnosis::new(codes::HTTP_ERROR, detail),
        Error::Malformed { .. } => Diagnosis::new(codes::MALFORMED_RESPONSE, detail),
        Error::Esp { source, .. } => Diagnosis::new(esp_code(source), detail),
        Error::JoinFailed { reason, .. } => {
            let code = match reason {
                Reason::AuthFailed => codes::AUTH_FAILED,
                Reason::NetworkNotFound => codes::NETWORK_NOT_FOUND,
                Reason::DhcpFailed => codes::DHCP_FAILED,
                Reason::Timeout => codes::JOIN_TIMEOUT,
                Reason::Other(_) => codes::JOIN_FAILED,
            };
            Diagnosis::new(code, detail)
        }
        Error::ConnectionLost { source, .. } => match tls_cause(source.as_ref()) {
            // A TLS 1.3 server refuses a client certificate (or its absence) after the client
            // finished the handshake: the alert arrives with the first answer.
            Some(tls) => {
                let mut d = trust::diagnose(tls);
                d.detail = detail;
                d
            }
            None => Diagnosis::new(codes::CONNECTION_LOST, detail),
        },
        Error::Deadline { .. } => Diagnosis::new(codes::DEADLINE, detail),
        Error::Interrupted { .. } => Diagnosis::new(codes::INTERRUPTED, detail),
        Error::Ledger { .. } => Diagnosis::new(codes::LEDGER, detail),
        Error::LedgerTooNew { .. } => Diagnosis::new(codes::LEDGER_TOO_NEW, detail),
        Error::LedgerNoDefault => Diagnosis::new(codes::LEDGER_NO_DEFAULT, detail),
        Error::UnknownAccessory { .. } => Diagnosis::new(codes::LEDGER_UNKNOWN_ACCESSORY, detail),
    }
}

/// The rustls error somewhere in a chain of sources (hyper wraps the io::Error that wraps it).
pub(crate) fn tls_cause<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut cur = Some(error);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(tls);
            }
        }
        cur = e.source();
    }
    None
}

/// ESP-IDF protocol failures: an accessory that offers no proof (security 0, `no_pop`) is one that
/// requires none, which we refuse; a device proof that does not verify means the peer does not
/// hold the PoP or verifier; anything else is an answer we could not read.
fn esp_code(error: &protocol::esp::Error) -> &'static str {
    use protocol::esp::Error as E;
    match error {
        E::SecurityZeroRefused => codes::POP_REQUIRED,
        E::DeviceProofRejected | E::ClientProofRejected => codes::POP_REJECTED,
        _ => codes::MALFORMED_RESPONSE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_the_accessory_can_report_has_its_own_code() {
        for (reason, code) in [
            ("auth_failed", codes::AUTH_FAILED),
            ("network_not_found", codes::NETWORK_NOT_FOUND),
            ("dhcp_failed", codes::DHCP_FAILED),
            ("timeout", codes::JOIN_TIMEOUT),
            ("cosmic_rays", codes::JOIN_FAILED),
        ] {
            let e = Error::JoinFailed {
                ssid: "Home".into(),
                reason: reason.into(),
            };
            assert_eq!(of(&e).code, code);
        }
    }

    #[test]
    fn every_code_this_crate_produces_is_in_the_one_catalogue() {
        for code in [
            codes::AUTH_FAILED,
            codes::NETWORK_NOT_FOUND,
            codes::DHCP_FAILED,
            codes::JOIN_TIMEOUT,
            codes::JOIN_FAILED,
            codes::DEVICE_ID_MISMATCH,
            codes::DEVICE_ID_UNPROVEN,
            codes::POP_REJECTED,
            codes::POP_REQUIRED,
            codes::HTTP_ERROR,
            codes::MALFORMED_RESPONSE,
            codes::CONNECTION_LOST,
            codes::FIRST_USE_UNCONFIRMED,
            codes::FINGERPRINT_MISMATCH,
            codes::KEY_CHANGED,
            codes::DEADLINE,
            codes::INVALID_REQUEST,
            codes::BIND_DEVICE,
            codes::CLIENT_IDENTITY,
            codes::RESOLVE,
            codes::LEDGER,
            codes::LEDGER_TOO_NEW,
            codes::LEDGER_NO_DEFAULT,
            codes::LEDGER_UNKNOWN_ACCESSORY,
        ] {
            assert!(
                Diagnosis::lookup(code).is_some(),
                "{code} is not catalogued"
            );
        }
    }
}
