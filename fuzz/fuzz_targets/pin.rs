//! A pin as a person types it (`--pin`, `trust pin add`): `sha256/BASE64`, curl's `sha256//BASE64`,
//! 64 hex digits with or without colons, surrounding space. Any text is a pin or a precise error,
//! never a panic, and a pin read back from any of its own spellings is the same pin.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trust::Pin;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pin) = text.parse::<Pin>() else {
        return;
    };
    for spelling in [
        pin.to_string(),
        pin.to_curl(),
        pin.to_hex(),
        format!("sha256/{}", pin.to_base64()),
    ] {
        assert_eq!(
            spelling.parse::<Pin>().ok(),
            Some(pin),
            "{spelling} does not read back"
        );
    }
});
