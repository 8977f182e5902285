//! What `wpa_cli` answers the `wpa_supplicant` Wi-Fi backend (`provision::wifi`): `SCAN_RESULTS`
//! (tab-separated lines, SSIDs in wpa_supplicant's `printf_encode` escapes, which carry what any
//! access point in range chose to broadcast) and `STATUS` (`key=value` lines). Any text is read,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provision::wifi::{parse_scan_results, parse_status};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for network in parse_scan_results(text) {
        let _ = network.security();
    }
    let _ = parse_status(text);
});
