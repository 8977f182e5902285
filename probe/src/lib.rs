//! Which phones will fail against an accessory, and why: `accessory probe`.
//!
//! A firmware team has a field report ("works on iOS 18, `errSSLPeerBadCert` on iOS 26") and an
//! accessory on the bench. This crate connects to it once per [`ClientProfile`] (a client) (`ios26`, `ios18`,
//! `android`, and the diagnostic `tls12-only` and `tls13-only`), each a rustls client built with the
//! aws-lc-rs provider to offer what that phone offers: versions, key-exchange groups (iOS 26 sends
//! the post-quantum X25519MLKEM768 share, which grows its ClientHello past 1.4 KB) and cipher suites.
//! For every profile the [`Report`] says whether the handshake completed, the alert received or
//! sent, what was negotiated, the ClientHello's size on the wire, and the error the real platform
//! would show (Apple's `errSSL…` name and number, Android's exception, from `trust::diagnose`). The
//! served chain is linted with Apple's and Android's certificate rules (`trust::lint`). The report
//! ends with a [`Verdict`] per platform (iOS 26, iOS 18, Android) and the fix, in plain words.
//!
//! rustls cannot send what the phones send, so each platform profile also sends its **faithful
//! hello** ([`Template`], module `hello`): a public capture of the real platform's ClientHello
//! (GREASE, CBC suites, extension order; iOS 26's is 1,514 bytes to an IP address), refreshed with
//! fresh random and real keys (a real ML-KEM-768 encapsulation key in the X25519MLKEM768 share),
//! written raw once whole and once in MSS-sized segments ([`Segmentation`], 1,460 bytes, 2 ms), as
//! Wi-Fi delivers it. Its first answer ([`Answer`]: ServerHello, HelloRetryRequest, alert, reset,
//! close, timeout) is in the report, and a refusal, whole or split, fails the platform. [`sweep`]
//! finds the largest hello an accessory accepts; [`read_capture`] reads a capture to replay.
//!
//! # Never sending credentials, never trusting what it sees
//!
//! The probe knows nothing about the accessory in advance, yet it never uses a verifier that
//! accepts everything (there is none in this project). Instead:
//!
//! 1. **Capture.** A handshake with `trust::ChainCapture`, a verifier that records the chain and
//!    then always refuses. The chosen profiles are tried first, then the others: an accessory that
//!    cuts a large ClientHello still shows its chain to a small one. A capture attempt that fails
//!    before the certificate arrives is that profile's result (a second attempt would fail the same
//!    way before any verifier is asked).
//! 2. **Pinned handshakes.** One per profile, with `trust::AccessoryVerifier` in pin mode, pinned to
//!    the captured leaf's key: the accessory must still prove possession of that key with the
//!    handshake signature (a genuine certificate served with another key fails as
//!    `tls.bad_handshake_signature`). The identity checked is the one the leaf names itself; names
//!    are judged by the certificate rules, not by the handshake.
//! 3. **Nothing but the handshake**, and one request without credentials. No client
//!    certificate, no session resumption: after the handshake the probe sends `close_notify` and
//!    waits for the accessory's answer (in TLS 1.3 an accessory objects to the client's
//!    certificate only after the client finished). The one exception is the record-size check
//!    ([`RecordChecks`]): after a pinned handshake, one HTTP `GET /` padded to 16,384 bytes of
//!    plaintext, carrying nothing but a filler header, to see whether the accessory can read a
//!    record as large as a phone may send; and two raw hellos offering smaller records
//!    (`max_fragment_length`, `record_size_limit`), whose flights are read, never answered.
//!
//! # Map
//!
//! - `profile`: the client profiles and their rustls configurations.
//! - `clienthello`: measuring a ClientHello, offline ([`measure`]) and on the wire.
//! - `hello`: a ClientHello taken apart, refreshed (fresh keys), padded, put back together.
//! - `template`: the captured hellos of the platform profiles, and reading a capture to replay.
//! - `delivery`: a raw hello written whole or in MSS-sized segments, and the first answer.
//! - `sweep`: the largest hello an accessory accepts ([`sweep`]).
//! - `large_record`: after a pinned handshake, one 16,384-byte application record ([`LargeRecord`]).
//! - `limit_offer`: `max_fragment_length` and `record_size_limit` offered, honoured? ([`LimitOffer`]).
//! - `reply`: what an application record got back ([`Reply`]).
//! - `handshake`: one hand-driven handshake that records what it saw.
//! - `probe`: capture, pinned handshakes, lint, verdicts ([`run`]).
//! - `verdict`: why a profile failed (comparing profiles) and the per-platform verdict.
//! - `app_trust`: would the phone trust the chain, given what the app trusts ([`AppTrust`]).
//! - `lint`: the served chain against Apple's and Android's rules, through `trust::lint`.
//! - `report`: the report, as JSON and as text.
//! - `route`: the accessory's address and the interface connections leave by ([`Route`]).
//! - `report_dir`: `--report DIR`, the report, the exact ClientHellos and a transcript per attempt.
//! - `sheet`: the profiles and their hello sizes, offline ([`profile_sheet`]).
//! - `alert`, `platform`, `target`: TLS alert names, the platforms, `HOST:PORT`.
//! - `fetch`: capturing the chain an accessory presents, trusting nothing ([`fetch_chain`]).
//! - `error`: the one error type.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod alert;
mod app_trust;
mod clienthello;
mod delivery;
mod error;
mod fetch;
mod handshake;
mod hello;
mod large_record;
mod limit_offer;
mod lint;
mod pcap;
mod platform;
mod probe;
mod profile;
mod reply;
mod report;
mod report_dir;
mod route;
mod sheet;
mod sweep;
mod target;
mod template;
mod verdict;

pub use alert::Alert;
pub use app_trust::{AppTrust, TRUST_NOT_CHECKED};
pub use clienthello::{measure, ClientHelloSize};
pub use delivery::{send, try_hello, Answer, HelloResult, Segmentation};
pub use error::Error;
pub use fetch::{fetch_chain, Fetched, Link};
pub use hello::ClientHello;
pub use large_record::{LargeRecord, RecordTry, RECORD_SIZES};
pub use limit_offer::{Honoured, LimitExtension, LimitOffer, OFFERED_LIMIT};
pub use platform::{Platform, RuleBook};
pub use probe::{run, run_observed, run_with, Options, ProbeStep};
pub use profile::{profiles, ClientProfile, Group, Version};
pub use reply::Reply;
pub use report::{AppleError, Chain, PlatformError, ProfileResult, RecordChecks, Report};
pub use report_dir::write_report_dir;
pub use route::Route;
pub use sheet::{profile_sheet, FaithfulSize, ProfileSheet};
pub use sweep::{sweep, Sweep, MAX_RECORD};
pub use target::Target;
pub use template::{read_capture, read_capture_file, Template};
pub use verdict::{Reason, Verdict};
