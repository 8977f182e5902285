//! The accessory's address as a person types it (`--accessory HOST[:PORT]`, `probe`, `sim
//! --listen`-like lab arguments): `192.168.4.1`, `[fe80::1]:8443`, `sim-0001.local:443`. Any text
//! is an address or a precise error, never a panic, and an address written as its authority (the
//! `Host` header) reads back as the same address, port required or not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::AccessoryAddress;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = AccessoryAddress::parse_with_port(text);
    let Ok(address) = text.parse::<AccessoryAddress>() else {
        return;
    };
    let authority = address.authority();
    assert_eq!(
        AccessoryAddress::parse_with_port(&authority).as_ref(),
        Ok(&address),
        "{text:?} -> {authority}"
    );
    assert_eq!(address.to_string(), authority);
});
