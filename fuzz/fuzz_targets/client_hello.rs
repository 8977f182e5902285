//! A captured ClientHello (`accessory probe --client-hello FILE`: a pcap, the raw record or hex
//! text) and the hello templates the probe refreshes: any bytes are a ClientHello or a precise
//! error, never a panic. A parsed hello writes back byte for byte, can be padded to any size it
//! offers, and refreshed (new random, session id, key shares) still parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe::{read_capture, ClientHello, ClientHelloSize};

fuzz_target!(|data: &[u8]| {
    let _ = ClientHelloSize::parse(data);
    let Ok(record) = read_capture(data) else {
        return;
    };
    let Ok(hello) = ClientHello::parse(&record) else {
        return;
    };
    assert_eq!(hello.to_record(), record, "the record does not write back");
    let _ = hello.extension_types();
    let _ = hello.key_shares();
    let smallest = hello.smallest_padded();
    let size = smallest + data.len() % 300;
    if let Some(padded) = hello.padded_to(size) {
        let bytes = padded.to_record();
        assert_eq!(bytes.len(), size);
        assert_eq!(ClientHello::parse(&bytes).ok().as_ref(), Some(&padded));
    }
    if let Ok(fresh) = hello.refreshed(Some("sim-0001.accessory.local")) {
        let bytes = fresh.to_record();
        assert!(
            ClientHello::parse(&bytes).is_ok(),
            "a refreshed hello does not parse"
        );
    }
});
