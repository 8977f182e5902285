//! Integration tests across crates: one test binary, one module per room (as ripgrep does).

// The certificate catalogue checked by openssl (a second implementation).
mod certs_openssl;

// `accessory probe` against simulated accessories (client profiles, alerts, certificate rules).
mod probe_sim;
// `accessory probe` as the real binary: exit statuses, text and JSON.
mod probe_cli;
// After the handshake: a 16 KB record against a small mbedTLS input buffer; MFL/RSL not honoured.
mod probe_records;
// The record-size checks against a running mbedTLS 2.28 (tests/scripts/mbedtls_server.c, gcc).
mod probe_mbedtls;
// docs/alerts.md held to the diagnosis catalogue and the measured ClientHello sizes.
mod probe_docs;
// `probe` against openssl s_server: a non-PQ stack completes ios26 with X25519; client-cert alerts.
mod probe_openssl;
// Faithful ClientHellos (real captures, refreshed) whole and split: single-read, limits, replay.
mod probe_fidelity;
// What each profile's ClientHello carries, read by a plain TCP listener (size and key shares).
mod probe_wire;
// `accessory explain CODE`: every field code the issue names, and every command it prints is real.
mod explain_cli;
// Every certificate profile under pin, anchors and both, through real handshakes on loopback.
mod trust_matrix;
// `accessory certs` (ca init, mint, catalogue) as the real binary, checked with openssl.
mod certs_cli;
// Labels: mint -> label.png (read back by zbarimg) -> `provision --label` against `sim --minted`;
// another key's label, a corrupted one, one on argv, a contradicting flag: each refused.
mod label_cli;
// x509-limbo's SERVER cases through the anchors mode: every FAILURE case is refused.
mod trust_limbo;
// `openssl verify -x509_strict -purpose sslserver` and the anchors mode on 103 OpenSSL-made
// situations: every disagreement documented (docs/differential.md).
mod trust_differential;
// Issue 10's verdicts with OpenSSL-made certificates: anchor roles, intermediates' keyCertSign, a
// clientAuth-only root, P-521, unsupported curves (offline and live), weak roots, PEM with text.
mod trust_soundness;
// The same refusals live, against a hostile server of Python's ssl serving OpenSSL-made chains:
// refused before a single application byte.
mod trust_hostile;
// The simulator's faults against curl, openssl s_client and Python's ssl.
mod sim_interop;
// Espressif's own Python client against the simulated ESP-IDF accessory (security 1 and 2, HTTP
// and HTTPS): provisioned, and refused the way a real device refuses.
mod esp_sim;
// `accessory provision --protocol esp` against the simulated ESP-IDF accessory: security 1 and 2, the
// ledger, every device failure's diagnosis, nothing secret on a refused session or security 0.
mod esp_provision;
// ESP-IDF through the namespace SoftAP (root): `sim softap --protocol esp` and `provision --protocol esp --wifi sim`.
mod esp_softap;
// Our ESP-IDF client's bytes decoded by the *_pb2 classes Espressif's client carries.
mod esp_pb2;
// `accessory provision --protocol esp` against the Python reference device (ESP-IDF's C logic on
// Espressif's Python security classes).
mod esp_reference;
// API profiles: each shipped profile provisioned by `provision --api-profile` against `sim
// --api-profile` with faults, nothing sent on a refused certificate, malformed profiles refused
// with code and line, the built-in /v1 profile equal to the default path.
mod api_profiles;
// The provisioning flow against simulated accessories: trust modes, every certificate fault refused
// before credentials are sent, accessory-side failures, reboot, PoP, first use and key changes.
mod provision_flow;
// `accessory provision` and `accessory ledger` as the real binary: exit statuses, the key-changed
// warning, and the passphrase never printed at any verbosity.
mod provision_cli;
// `accessory provision` against a hostile server (Python's ssl, OpenSSL-made certificates) that
// logs every decrypted byte: an id the certificate does not prove, a device id outside the
// accessory domain, a pin alone on loopback; nothing secret reaches it on any refusal.
mod provision_hostile;
// `accessory provision fleet` on 100 simulated accessories: good and faulty ones, each with the
// right outcome, one attempt each; interrupted at a random point and resumed: each provisioned once.
mod provision_fleet;
// `provision fleet` rows naming a label (units minted by `certs mint`, served by `sim --minted`)
// or an API profile (the shipped ones): provisioned; a contradicting or wrong label refused.
mod provision_fleet_rows;
// The ledger survives kill -9 mid-write (integrity_check, no committed record lost).
mod provision_ledger;
// The ledger of several stations on SQLite and PostgreSQL: migrations, claims and leases, shared keys.
mod ledger_stations;
// `trust lint` on the catalogue: every Apple rule caught on the profile that breaks it.
mod admin_lint;
// `accessory trust inspect|pin|verify` as the real binary: bad input, verdicts, exit statuses.
mod trust_cli;
// Namespace SoftAPs (root): DHCP join, provisioning bound to the interface, flap, no-route, latency,
// wrong passphrase, two SoftAPs on one subnet, and nothing left behind.
mod softap_namespace;
// The accessory API: bad requests, proof of possession, application faults, fleet.
mod sim_api;
// The simulator under connection pressure: a descriptor limit, idle connections shed first.
mod sim_load;
// The README's loopback session, run as written.
mod readme_session;
// `trust export` checked by plistlib, xml.etree and curl --pinnedpubkey against a simulated accessory.
mod admin_export;
// The trust store: racing `trust add` processes and kill -9 mid-write leave every completed add.
mod admin_store;
// `trust fetch` against simulated accessories: chain, pin and lint shown, nothing trusted or sent.
mod admin_fetch;
// `accessory sim` and `sim fleet` as the real binary: startup info, files, exit statuses.
mod sim_cli;
// `accessory sim softap` + `accessory provision --wifi sim` as processes (root): end to end, a refused
// SoftAP passphrase, SIGTERM clean-up, and the sweep after SIGKILL.
mod softap_cli;
// `provision` without --network-ssid: a numbered list on a terminal (a pty), usage.no_network elsewhere.
mod network_choice;
// The home network chosen after a SoftAP join, with and without an API profile, and `sim softap
// --api-profile` provisioned through the SoftAP (root).
mod network_choice_softap;
// `accessory scan --wifi sim` over a registry of our own, without root: table and JSON.
mod scan_cli;
// The wpa_supplicant backend against a real wpa_supplicant (wired driver) on a SoftAP's station end.
mod softap_backends;
// The binary in a shell pipeline: a reader that stops early is not an error.
mod cli_output;
// Progress events (terminal line, one line per event on a pipe, --events NDJSON) and interrupts:
// Ctrl-C exits 130 and SIGTERM 143 after recording the attempt as interrupted.
mod cli_progress;
// Every --json command's failure is JSON on stdout with its code; clap's errors carry usage.* codes.
mod cli_json;
// provision and trust verify take the trust store (--store, --anchor); export --label conflicts.
mod cli_trust_store;
// Small things: logs without escape codes off a terminal, completions with names, reads that never
// create a ledger, certs ca init --out, which credentials a refused PoP saw.
mod cli_small;
// `make demo` as root on a machine without dnsmasq: falls back to loopback and says why.
mod demo_fresh;
// Every input file is read with a bound: /dev/zero for each flag (issue 12, defect 2).
mod bounded_reads;
