//! An API profile (`provision --api-profile FILE`, `sim --api-profile FILE`): any text is a profile
//! or a precise error with its code, line and column inside the text, never a panic. A profile
//! that reads renders its set-network body within the bound the client reserves (`max_len`: no
//! reallocation may leave a copy of the passphrase behind), reads it back, and reads and writes
//! device and status answers without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::api::{DeviceInfo, Reason, State, Status};
use protocol::profile::template::Values;
use protocol::profile::ApiProfile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let profile = match ApiProfile::parse("fuzz.toml", text) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.code.starts_with("profile."), "{e}");
            let lines = text.split('\n').count();
            assert!(e.line >= 1 && e.line <= lines.max(1), "{e} (the text has {lines} lines)");
            assert!(e.column >= 1, "{e}");
            return;
        }
    };
    let worst = "\u{1}\"&%+ é".repeat(9);
    for passphrase in ["", "correct horse", worst.as_str()] {
        let values = Values {
            ssid: &worst,
            passphrase,
            security: "wpa2-psk",
            hidden: true,
            device_id: "SIM-0001",
        };
        let body = &profile.set_network.body;
        let mut out = Vec::new();
        body.render(&values, &mut out);
        assert!(out.len() <= body.max_len(&values), "{} > {}", out.len(), body.max_len(&values));
        let _ = body.read(&out);
    }
    let _ = profile.set_network.path.render("SIM/0001 é");
    let _ = profile.status_path("SIM-0001", 30);
    let info = DeviceInfo {
        device_id: "SIM-0001".into(),
        model: "m".into(),
        firmware: "f".into(),
        api: serde_json::Value::Null,
        capabilities: vec![],
    };
    let _ = profile.read_device(&profile.device_answer(&info));
    for state in [State::Idle, State::Configured, State::Connecting, State::Connected, State::Failed] {
        for reason in [None, Some(Reason::AuthFailed), Some(Reason::NetworkNotFound), Some(Reason::Other("x".into()))] {
            let status = Status { state, reason: reason.clone(), ip: Some("192.168.1.50".into()) };
            let _ = profile.read_status(&profile.status_answer(&status));
        }
    }
});
