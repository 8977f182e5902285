//! What an accessory answers, as provision reads it (`flow.rs`: `serde_json::from_slice` of the
//! documented type, `ErrorBody::parse` of a refusal; `proven.rs`: the reported id against the
//! certificate): `GET /v1/device`, `GET /v1/networks`, `GET /v1/status`, an error body. Any bytes
//! are an answer or a precise error, never a panic; a reported device id is proven by a real
//! certificate (`fixtures/acc-0001-leaf.pem`, the catalogue's good-chain leaf) exactly when it is
//! the id that certificate names, and a status writes back as itself.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use protocol::api::{DeviceInfo, ErrorBody, NetworkList, Status};
use trust::CertificateDer;

fn leaf() -> &'static CertificateDer<'static> {
    static LEAF: OnceLock<CertificateDer<'static>> = OnceLock::new();
    LEAF.get_or_init(|| {
        let pem = include_bytes!("../fixtures/acc-0001-leaf.pem");
        trust::parse_certificates(Path::new("acc-0001-leaf.pem"), pem)
            .expect("the fixture is a certificate")
            .remove(0)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(device) = serde_json::from_slice::<DeviceInfo>(data) {
        let named = trust::check_device_id(leaf(), &device.device_id);
        let same = trust::same_device_id("ACC-0001", &device.device_id);
        // The certificate names ACC-0001 and nothing else: the reported id is proven exactly
        // when it is that one.
        assert_eq!(
            named == trust::DeviceIdCheck::Named,
            same,
            "{:?}",
            device.device_id
        );
    }
    if let Ok(list) = serde_json::from_slice::<NetworkList>(data) {
        for network in &list.networks {
            let _ = network.security.parse::<protocol::Security>();
            let _ = protocol::validate_ssid(&network.ssid);
        }
    }
    if let Ok(status) = serde_json::from_slice::<Status>(data) {
        let text = serde_json::to_string(&status).expect("a status serializes");
        let again: Status = serde_json::from_str(&text).expect("a written status reads back");
        assert_eq!(again, status);
    }
    let body = ErrorBody::parse(data);
    assert!(body.error.len() <= data.len().max(200) * 3);
});
