//! What the simulated accessory reads from a request before it touches any state, as its server
//! does (`accessory-sim/src/api/input.rs`): the query of `GET /v1/status?wait=S` (`parse_wait`),
//! the body of `PUT /v1/network` (`parse_network`: JSON, SSID, security, passphrase), whether a
//! body carries a credential (the request log), and the `Authorization: PoP` header
//! (`protocol::pop::verify`).
//! hyper parses the HTTP framing itself. The input is `QUERY-OR-HEADER \n BODY`.
//!
//! Any request is answered or refused with a 4xx and a code, never a panic; a wait is at most
//! `MAX_WAIT`; a network that reads has an SSID and passphrase the network rules accept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::api::MAX_WAIT;
use protocol::pop;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    match accessory_sim::parse_wait(Some(&head)) {
        Ok(wait) => assert!(wait <= MAX_WAIT, "{head}: {wait:?}"),
        // A bad wait is `invalid_wait`; a query too long or with too many pairs `invalid_query`.
        Err(e) => assert!(
            e.status() == 400 && matches!(e.code(), "invalid_wait" | "invalid_query"),
            "{head}: {} {}",
            e.status(),
            e.code()
        ),
    }
    match accessory_sim::parse_network(body) {
        Ok(network) => {
            assert!(protocol::validate_ssid(network.ssid()).is_ok());
            assert_eq!(
                network.has_passphrase(),
                network.security.needs_passphrase()
            );
        }
        Err(e) => assert_eq!(e.status(), 400, "{}", e.code()),
    }
    let _ = accessory_sim::carries_credential(body);
    let exporter = [7u8; pop::EXPORTER_LEN];
    let verdict = pop::verify(Some(&head), "4711-0815", &exporter);
    // Valid exactly when the header is the proof for this code and session (base64 of 32 bytes
    // has one spelling), after `PoP ` or `pop `.
    let proof = pop::authorization("4711-0815", &exporter);
    let expected = &proof["PoP ".len()..];
    let is_the_proof = head
        .strip_prefix("PoP ")
        .or_else(|| head.strip_prefix("pop "))
        .is_some_and(|p| p.trim() == expected);
    assert_eq!(verdict == pop::Verdict::Valid, is_the_proof, "{head}");
});
