//! A file in the shared SoftAP registry directory (`protocol::softap`), which the `sim` Wi-Fi
//! backend scans and the simulator sweeps: any text is an entry or `None` (a foreign file, a torn
//! write), never a panic, and an entry that reads writes back as the same entry.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use protocol::softap::RegistryEntry;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(entry) = RegistryEntry::parse(text) else {
        return;
    };
    let _ = entry.is_joinable();
    let _ = entry.path_in(Path::new("/run/accessory-softap"));
    assert_eq!(RegistryEntry::parse(&entry.to_json()), Some(entry));
});
