//! `prov-scan`: ask the accessory which networks it sees.
//!
//! `CmdScanStart` (blocking by default) → `CmdScanStatus` (finished, count) → `CmdScanResult`
//! pages (`wifi_scan.c`). The status sits in the outer `WiFiScanPayload`; a page past the end of
//! the list gives `InternalError` (`wifi_scan.c:115-187`).

use prost::Message;

use super::{check_msg, check_status, CommandStatus};
use crate::esp::error::{Error, Result};
use crate::esp::messages::{
    wi_fi_scan_payload::Payload, CmdScanResult, CmdScanStart, CmdScanStatus, RespScanResult,
    RespScanStart, RespScanStatus, WiFiScanMsgType, WiFiScanPayload, WiFiScanResult,
};

/// How the accessory should scan (`CmdScanStart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Answer only when the scan has finished.
    pub blocking: bool,
    /// Listen instead of probing.
    pub passive: bool,
    /// Channels per group, so the SoftAP keeps serving between groups (0: all at once).
    pub group_channels: u32,
    /// Dwell time per channel in milliseconds.
    pub period_ms: u32,
}

impl Default for ScanOptions {
    /// What Espressif's client sends over SoftAP: blocking, active, 5 channels a group, 120 ms.
    fn default() -> Self {
        ScanOptions {
            blocking: true,
            passive: false,
            group_channels: 5,
            period_ms: 120,
        }
    }
}

/// `RespScanStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanStatus {
    /// Whether the scan is over.
    pub finished: bool,
    /// How many results the device holds.
    pub result_count: u32,
}

/// One network the accessory saw (`WiFiScanResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPoint {
    /// The network name (up to 32 bytes, not necessarily UTF-8).
    pub ssid: Vec<u8>,
    /// The channel.
    pub channel: u32,
    /// Signal strength in dBm.
    pub rssi: i32,
    /// The access point's MAC address (6 bytes from ESP-IDF).
    pub bssid: Vec<u8>,
    /// The `WifiAuthMode` number (0 open, 3 WPA2-PSK, …).
    pub auth: i32,
}

/// A decoded `prov-scan` request (device side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScanRequest {
    /// Start a scan.
    Start(ScanOptions),
    /// Ask whether it finished.
    Status,
    /// Ask for `count` results from `start_index`.
    Result {
        /// First result wanted.
        start_index: u32,
        /// How many.
        count: u32,
    },
}

fn payload(msg: WiFiScanMsgType, status: i32, payload: Payload) -> Vec<u8> {
    WiFiScanPayload {
        msg: msg as i32,
        status,
        payload: Some(payload),
    }
    .encode_to_vec()
}

fn decode(body: &[u8]) -> Result<WiFiScanPayload> {
    WiFiScanPayload::decode(body).map_err(|e| Error::decode("WiFiScanPayload", e))
}

impl ScanRequest {
    /// Client: the plaintext request body.
    pub fn request(&self) -> Vec<u8> {
        match *self {
            ScanRequest::Start(o) => payload(
                WiFiScanMsgType::TypeCmdScanStart,
                0,
                Payload::CmdScanStart(CmdScanStart {
                    blocking: o.blocking,
                    passive: o.passive,
                    group_channels: o.group_channels,
                    period_ms: o.period_ms,
                }),
            ),
            ScanRequest::Status => payload(
                WiFiScanMsgType::TypeCmdScanStatus,
                0,
                Payload::CmdScanStatus(CmdScanStatus {}),
            ),
            ScanRequest::Result { start_index, count } => payload(
                WiFiScanMsgType::TypeCmdScanResult,
                0,
                Payload::CmdScanResult(CmdScanResult { start_index, count }),
            ),
        }
    }

    /// Device: decodes a request; an unknown command is an error (the socket is closed).
    pub fn parse(body: &[u8]) -> Result<Self> {
        let req = decode(body)?;
        let start = WiFiScanMsgType::TypeCmdScanStart as i32;
        let status = WiFiScanMsgType::TypeCmdScanStatus as i32;
        let result = WiFiScanMsgType::TypeCmdScanResult as i32;
        match (req.msg, req.payload) {
            (m, Some(Payload::CmdScanStart(c))) if m == start => {
                Ok(ScanRequest::Start(ScanOptions {
                    blocking: c.blocking,
                    passive: c.passive,
                    group_channels: c.group_channels,
                    period_ms: c.period_ms,
                }))
            }
            (m, None) if m == start => Ok(ScanRequest::Start(ScanOptions {
                blocking: false,
                passive: false,
                group_channels: 0,
                period_ms: 0,
            })),
            (m, _) if m == status => Ok(ScanRequest::Status),
            (m, Some(Payload::CmdScanResult(c))) if m == result => Ok(ScanRequest::Result {
                start_index: c.start_index,
                count: c.count,
            }),
            (m, None) if m == result => Ok(ScanRequest::Result {
                start_index: 0,
                count: 0,
            }),
            _ => Err(Error::UnexpectedMessage {
                expected: "CmdScanStart, CmdScanStatus or CmdScanResult",
            }),
        }
    }
}

/// Client: checks a `RespScanStart`.
pub fn parse_start_response(body: &[u8]) -> Result<()> {
    let resp = decode(body)?;
    check_msg(
        resp.msg,
        WiFiScanMsgType::TypeRespScanStart as i32,
        "RespScanStart",
    )?;
    check_status(resp.status)
}

/// Client: decodes a `RespScanStatus`.
pub fn parse_status_response(body: &[u8]) -> Result<ScanStatus> {
    let resp = decode(body)?;
    check_msg(
        resp.msg,
        WiFiScanMsgType::TypeRespScanStatus as i32,
        "RespScanStatus",
    )?;
    check_status(resp.status)?;
    let r = match resp.payload {
        Some(Payload::RespScanStatus(r)) => r,
        _ => RespScanStatus::default(),
    };
    Ok(ScanStatus {
        finished: r.scan_finished,
        result_count: r.result_count,
    })
}

/// Client: decodes a `RespScanResult` page.
pub fn parse_result_response(body: &[u8]) -> Result<Vec<AccessPoint>> {
    let resp = decode(body)?;
    check_msg(
        resp.msg,
        WiFiScanMsgType::TypeRespScanResult as i32,
        "RespScanResult",
    )?;
    check_status(resp.status)?;
    let entries = match resp.payload {
        Some(Payload::RespScanResult(r)) => r.entries,
        _ => Vec::new(),
    };
    Ok(entries
        .into_iter()
        .map(|e| AccessPoint {
            ssid: e.ssid,
            channel: e.channel,
            rssi: e.rssi,
            bssid: e.bssid,
            auth: e.auth,
        })
        .collect())
}

/// Device: the plaintext `RespScanStart` body.
pub fn start_response(status: CommandStatus) -> Vec<u8> {
    payload(
        WiFiScanMsgType::TypeRespScanStart,
        status.to_wire(),
        Payload::RespScanStart(RespScanStart {}),
    )
}

/// Device: the plaintext `RespScanStatus` body.
pub fn status_response(status: ScanStatus) -> Vec<u8> {
    payload(
        WiFiScanMsgType::TypeRespScanStatus,
        0,
        Payload::RespScanStatus(RespScanStatus {
            scan_finished: status.finished,
            result_count: status.result_count,
        }),
    )
}

/// Device: the `RespScanResult` for the page `[start_index, start_index + count)` of `all`. As on
/// ESP-IDF, an index past the end stops the page there and sets `InternalError`.
pub fn result_response(all: &[AccessPoint], start_index: u32, count: u32) -> Vec<u8> {
    let mut status = CommandStatus::Success;
    let mut entries = Vec::new();
    for i in u64::from(start_index)..u64::from(start_index) + u64::from(count) {
        match usize::try_from(i).ok().and_then(|i| all.get(i)) {
            Some(ap) => entries.push(WiFiScanResult {
                ssid: ap.ssid.clone(),
                channel: ap.channel,
                rssi: ap.rssi,
                bssid: ap.bssid.clone(),
                auth: ap.auth,
            }),
            None => {
                status = CommandStatus::InternalError;
                break;
            }
        }
    }
    payload(
        WiFiScanMsgType::TypeRespScanResult,
        status.to_wire(),
        Payload::RespScanResult(RespScanResult { entries }),
    )
}
