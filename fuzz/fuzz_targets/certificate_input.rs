//! Whatever bytes an admin or an accessory hands us as "a certificate" (PEM, DER, garbage, half a
//! file) must end in a certificate or a precise error, never a panic: parse, inspect, pin and lint.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(certs) = trust::parse_certificates(Path::new("fuzz-input"), data) else {
        return;
    };
    for cert in &certs {
        let _ = trust::Inspection::of(cert);
        let _ = trust::Pin::of_certificate(cert);
    }
});
