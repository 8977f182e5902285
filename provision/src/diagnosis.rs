//! Every provisioning failure as a `trust::Diagnosis`: TLS and network failures keep the codes
//! `trust` gives them (`cert.expired`, `tls.peer_alert.bad_certificate`, `net.refused`...), and the
//! failures only a provisioning flow has get codes of their own, listed in [`CATALOGUE`]:
//! what the accessory reported (`accessory.auth_failed`...), what it answered
//! (`accessory.pop_rejected`, `accessory.http_error`...), first-use confirmation (`tofu.*`), and
//! local problems (`provision.*`, `ledger.*`).

use trust::diagnosis::{apple, entry};
use trust::Diagnosis;

use crate::error::Error;

/// The stable codes this crate adds to `trust`'s.
pub mod codes {
    #![allow(missing_docs)]
    pub const AUTH_FAILED: &str = "accessory.auth_failed";
    pub const NETWORK_NOT_FOUND: &str = "accessory.network_not_found";
    pub const DHCP_FAILED: &str = "accessory.dhcp_failed";
    pub const JOIN_TIMEOUT: &str = "accessory.timeout";
    pub const JOIN_FAILED: &str = "accessory.join_failed";
    pub const DEVICE_ID_MISMATCH: &str = "accessory.device_id_mismatch";
    pub const DEVICE_ID_UNPROVEN: &str = "accessory.device_id_unproven";
    pub const POP_REJECTED: &str = "accessory.pop_rejected";
    pub const POP_REQUIRED: &str = "accessory.pop_required";
    pub const HTTP_ERROR: &str = "accessory.http_error";
    pub const MALFORMED_RESPONSE: &str = "accessory.malformed_response";
    pub const CONNECTION_LOST: &str = "accessory.connection_lost";
    pub const FIRST_USE_UNCONFIRMED: &str = "tofu.first_use_unconfirmed";
    pub const FINGERPRINT_MISMATCH: &str = "tofu.fingerprint_mismatch";
    pub const KEY_CHANGED: &str = "tofu.key_changed";
    pub const DEADLINE: &str = "provision.deadline";
    pub const INVALID_REQUEST: &str = "provision.invalid_request";
    pub const BIND_DEVICE: &str = "provision.bind_device";
    pub const CLIENT_IDENTITY: &str = "provision.client_identity";
    pub const RESOLVE: &str = "provision.resolve";
    pub const LEDGER: &str = "ledger.unusable";
    pub const LEDGER_TOO_NEW: &str = "ledger.too_new";
}

/// The codes this crate adds, with what they mean. (`tofu.key_changed` is `trust`'s.)
#[rustfmt::skip]
pub static CATALOGUE: &[Diagnosis] = &[
    entry(codes::AUTH_FAILED, "the accessory could not join the home network: the passphrase was refused",
        "the home network passphrase given is wrong (or the network's security type differs)",
        "check the passphrase file or ACCESSORY_NETWORK_PASSPHRASE and provision again",
        None, Some("WifiManager: AUTHENTICATION_FAILURE")),
    entry(codes::NETWORK_NOT_FOUND, "the accessory cannot see the home network",
        "the SSID is misspelt, the network is hidden or out of range, or it is 5 GHz and the accessory is 2.4 GHz only",
        "check the SSID (case matters); move the accessory closer; offer a 2.4 GHz network",
        None, Some("WifiManager: NETWORK_NOT_FOUND")),
    entry(codes::DHCP_FAILED, "the accessory joined the home network but got no address",
        "the router's DHCP server did not answer (pool exhausted, MAC filtering, client isolation)",
        "check the router's DHCP pool and MAC filter; reboot the router",
        None, Some("WifiManager: DHCP_FAILURE")),
    entry(codes::JOIN_TIMEOUT, "the accessory gave up joining the home network",
        "the network did not answer in time (weak signal, a slow or busy access point)",
        "move the accessory closer to the access point and provision again",
        None, None),
    entry(codes::JOIN_FAILED, "the accessory could not join the home network",
        "the accessory reported a reason this tool does not know (the detail names it)",
        "see the accessory's documentation for the reason it gave",
        None, None),
    entry(codes::DEVICE_ID_MISMATCH, "the accessory is not the device it claims or was asked for",
        "the accessory reports another device id than --device-id, or than its certificate names: a neighbour's SoftAP, a swapped label, or an impostor claiming another unit's id",
        "check the label; join the right accessory's SoftAP. Nothing secret was sent, and nothing was recorded under the reported id",
        None, None),
    entry(codes::DEVICE_ID_UNPROVEN, "the accessory's certificate does not name its device id",
        "the certificate names no device id (no subject CN or serialNumber, no DNS name <id>.accessory.local), so the id the accessory reports cannot be proven, and the ledger could not record it",
        "issue the accessory a certificate that names its device id (`accessory certs mint --device-id ID` does). Nothing secret was sent",
        None, None),
    entry(codes::POP_REJECTED, "the accessory refused the proof of possession",
        "the label code given with --pop-file is wrong (mistyped, or another unit's label)",
        "read the code from this accessory's label again. The proof is bound to the TLS session, so it cannot be replayed",
        apple("NSURLErrorUserAuthenticationRequired", -1013), Some("HTTP 403 Forbidden")),
    entry(codes::POP_REQUIRED, "the accessory requires proof of possession",
        "this accessory only accepts requests that prove knowledge of the code on its label",
        "give the label code with --pop-file FILE",
        apple("NSURLErrorUserAuthenticationRequired", -1013), Some("HTTP 401 Unauthorized")),
    entry(codes::HTTP_ERROR, "the accessory answered with an error",
        "the accessory refused the request (an invalid SSID or passphrase, an internal error); the detail has its answer",
        "read the accessory's answer in the detail; an internal error (500) is a firmware bug to report",
        apple("NSURLErrorBadServerResponse", -1011), None),
    entry(codes::MALFORMED_RESPONSE, "the accessory's answer is not the documented API",
        "invalid or truncated JSON, or a state this tool does not know: a firmware bug or another service on the port",
        "report the answer to the firmware team; check the port",
        apple("NSURLErrorCannotParseResponse", -1017), Some("com.google.gson.JsonSyntaxException")),
    entry(codes::CONNECTION_LOST, "the connection to the accessory was lost mid-exchange",
        "the accessory rebooted or crashed, or the link to its SoftAP dropped, and it did not come back in time",
        "stay joined to the accessory's SoftAP; provision again with a longer --deadline",
        apple("NSURLErrorNetworkConnectionLost", -1005), Some("java.io.EOFException")),
    entry(codes::FIRST_USE_UNCONFIRMED, "first use of this accessory: its key was not confirmed, so nothing was sent",
        "trust on first use needs the key confirmed against the label or QR code, and no --expect-fingerprint was given (or the answer was no)",
        "compare the observed fingerprint with the accessory's label, then run again with --expect-fingerprint FINGERPRINT",
        None, None),
    entry(codes::FINGERPRINT_MISMATCH, "the accessory's key is not the one on its label",
        "the fingerprint given with --expect-fingerprint differs from the key presented: another unit, or someone impersonating it",
        "check the label of the accessory you joined; if it is right, treat this as an attack. Nothing secret was sent",
        apple("errSSLXCertChainInvalid", -9807), Some("javax.net.ssl.SSLPeerUnverifiedException")),
    entry(codes::DEADLINE, "the deadline passed before provisioning finished",
        "the accessory is slow to join, or unreachable, or did not answer the long poll",
        "provision again with a longer --deadline; check the accessory's status",
        apple("NSURLErrorTimedOut", -1001), Some("java.net.SocketTimeoutException")),
    entry(codes::INVALID_REQUEST, "the request cannot be carried out as given",
        "an invalid SSID or passphrase, an empty trust policy, a malformed fingerprint or address",
        "correct the argument named in the detail",
        None, None),
    entry(codes::BIND_DEVICE, "the connection could not be bound to the Wi-Fi interface",
        "the interface does not exist, or binding needs CAP_NET_RAW (root)",
        "check the interface name; run with the needed privilege",
        None, None),
    entry(codes::CLIENT_IDENTITY, "the client certificate or key cannot be used",
        "the key does not match the certificate, or is of a type the TLS provider cannot sign with",
        "give the key that belongs to --client-cert (PEM, PKCS#8, SEC1 or PKCS#1)",
        None, None),
    entry(codes::RESOLVE, "the accessory's name does not resolve",
        "a misspelt host name, or no DNS on the SoftAP (accessories are normally reached by address)",
        "use the accessory's address (192.168.4.1 on most SoftAPs)",
        apple("NSURLErrorCannotFindHost", -1003), Some("java.net.UnknownHostException")),
    entry(codes::LEDGER, "the ledger cannot be used",
        "the ledger file cannot be created, opened or written (permissions, a full disk, a file that is not SQLite)",
        "check the path given with --ledger (or the default data directory) and its permissions",
        None, None),
    entry(codes::LEDGER_TOO_NEW, "the ledger was written by a newer version of this tool",
        "its schema version is newer than this build understands",
        "upgrade accessory, or use another --ledger",
        None, None),
];

fn ours(code: &str, detail: String) -> Diagnosis {
    let mut d = CATALOGUE
        .iter()
        .find(|d| d.code == code)
        .cloned()
        .unwrap_or_else(|| Diagnosis::for_code(code, ""));
    d.detail = detail;
    d
}

/// The diagnosis of a provisioning error.
pub fn of(error: &Error) -> Diagnosis {
    let detail = error.to_string();
    match error {
        Error::InvalidRequest(_) => ours(codes::INVALID_REQUEST, detail),
        Error::Resolve { .. } => ours(codes::RESOLVE, detail),
        Error::BindDevice { .. } => ours(codes::BIND_DEVICE, detail),
        Error::Connect { source, .. } | Error::Handshake { source, .. } => {
            // trust's detail names what was refused (dates, names, pins) or the socket error.
            let mut d = Diagnosis::from_io(source);
            if d.detail.is_empty() {
                d.detail = detail;
            }
            d
        }
        Error::ClientIdentity(_) => ours(codes::CLIENT_IDENTITY, detail),
        Error::FirstUseUnconfirmed { .. } => ours(codes::FIRST_USE_UNCONFIRMED, detail),
        Error::FingerprintMismatch { .. } => ours(codes::FINGERPRINT_MISMATCH, detail),
        Error::KeyChanged { .. } => Diagnosis::for_code(codes::KEY_CHANGED, detail),
        Error::DeviceIdMismatch { .. } | Error::DeviceIdNotCertified { .. } => {
            ours(codes::DEVICE_ID_MISMATCH, detail)
        }
        Error::DeviceIdUnproven { .. } => ours(codes::DEVICE_ID_UNPROVEN, detail),
        Error::PopRejected { sent: true, .. } => ours(codes::POP_REJECTED, detail),
        Error::PopRejected { sent: false, .. } => ours(codes::POP_REQUIRED, detail),
        Error::AccessoryHttp { .. } => ours(codes::HTTP_ERROR, detail),
        Error::Malformed { .. } => ours(codes::MALFORMED_RESPONSE, detail),
        Error::JoinFailed { reason, .. } => {
            let code = match reason.as_str() {
                "auth_failed" => codes::AUTH_FAILED,
                "network_not_found" => codes::NETWORK_NOT_FOUND,
                "dhcp_failed" => codes::DHCP_FAILED,
                "timeout" => codes::JOIN_TIMEOUT,
                _ => codes::JOIN_FAILED,
            };
            ours(code, detail)
        }
        Error::ConnectionLost { source, .. } => match tls_cause(source.as_ref()) {
            // A TLS 1.3 server refuses a client certificate (or its absence) after the client
            // finished the handshake: the alert arrives with the first answer.
            Some(tls) => {
                let mut d = trust::diagnose(tls);
                d.detail = detail;
                d
            }
            None => ours(codes::CONNECTION_LOST, detail),
        },
        Error::Deadline { .. } => ours(codes::DEADLINE, detail),
        Error::Ledger { .. } => ours(codes::LEDGER, detail),
        Error::LedgerTooNew { .. } => ours(codes::LEDGER_TOO_NEW, detail),
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
    fn every_code_in_the_catalogue_is_unique_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for d in CATALOGUE {
            assert!(seen.insert(d.code), "duplicate {}", d.code);
            assert!(!d.summary.is_empty() && !d.cause.is_empty() && !d.fix.is_empty());
        }
    }
}
