//! The protobuf messages of ESP-IDF provisioning, generated at build time from the vendored
//! `.proto` files (`proto/esp/`, Apache-2.0, provenance in `proto/esp/SOURCE.md`).
//!
//! * protocomm: `SessionData` with `Sec0Payload`/`Sec1Payload`/`Sec2Payload` and the shared `Status`.
//! * wifi_provisioning: `WiFiConfigPayload` (`prov-config`), `WiFiScanPayload` (`prov-scan`),
//!   `WiFiCtrlPayload` (`prov-ctrl`) and the constants.
//!
//! ESP-IDF 6's external `network_provisioning` component renames these messages
//! (`NetworkConfigPayload`, `CmdSetWifiConfig`, …) but keeps every field number and enum value for
//! Wi-Fi, so the bytes on the wire are the same (`network_config.c:78-140`); only the `proto-ver`
//! `ver` string differs (`"netprov-v1.2"`). One set of types therefore serves both.
//!
//! The files declare no `package`, so prost-build writes one file, `_.rs`, and every type sits at
//! the top of this module. prost omits proto3 default values exactly as protobuf-c does.
#![allow(missing_docs, clippy::all)]

include!(concat!(env!("OUT_DIR"), "/esp/_.rs"));
