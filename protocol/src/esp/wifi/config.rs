//! `prov-config`: send Wi-Fi credentials, apply them, and poll the connection status.
//!
//! Device rules (`wifi_config.c:141-224`, `handlers.c`, `manager.c:944-1019`): an SSID of 33 bytes
//! or more, a passphrase of 64 or more, or a BSSID that is not 0 or 6 bytes gives
//! `InvalidArgument`; apply before set gives `InternalError`. The status is `Connecting` until the
//! station gets an IP (`Connected` with its details) or fails for good (`ConnectionFailed` with
//! `AuthError` or `NetworkNotFound`). The device itself never reports `Disconnected`.

use std::net::Ipv4Addr;

use prost::Message;
use zeroize::Zeroizing;

use super::{check_msg, check_status, CommandStatus};
use crate::esp::error::{Error, Result};
use crate::esp::messages::{
    resp_get_status::State, wi_fi_config_payload::Payload, CmdApplyConfig, CmdGetStatus,
    CmdSetConfig, RespApplyConfig, RespGetStatus, RespSetConfig, WiFiConfigMsgType,
    WiFiConfigPayload, WifiAttemptFailed, WifiConnectFailedReason, WifiConnectedState,
    WifiStationState,
};

/// Credentials for the accessory's station interface. The passphrase is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct WifiConfig {
    /// The network name, 1 to 32 bytes.
    pub ssid: Vec<u8>,
    /// The passphrase, 0 to 63 bytes.
    pub passphrase: Zeroizing<Vec<u8>>,
    /// An access point to prefer (ESP-IDF's default handler ignores it).
    pub bssid: Option<[u8; 6]>,
    /// A channel hint, 0 for any (ESP-IDF's default handler ignores it).
    pub channel: u8,
}

impl std::fmt::Debug for WifiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WifiConfig")
            .field("ssid", &String::from_utf8_lossy(&self.ssid))
            .field("passphrase", &"<redacted>")
            .field("bssid", &self.bssid)
            .field("channel", &self.channel)
            .finish()
    }
}

impl WifiConfig {
    /// Credentials checked against the limits the device enforces.
    pub fn new(ssid: &[u8], passphrase: &[u8]) -> Result<Self> {
        let config = WifiConfig {
            ssid: ssid.to_vec(),
            passphrase: Zeroizing::new(passphrase.to_vec()),
            bssid: None,
            channel: 0,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the lengths the device checks (`wifi_config.c:161-173`), plus a non-empty SSID.
    pub fn validate(&self) -> Result<()> {
        if self.ssid.is_empty() || self.ssid.len() > 32 {
            return Err(Error::InvalidField {
                field: "ssid",
                reason: "must be 1 to 32 bytes",
            });
        }
        if self.passphrase.len() > 63 {
            return Err(Error::InvalidField {
                field: "passphrase",
                reason: "must be at most 63 bytes",
            });
        }
        Ok(())
    }

    /// Client: the plaintext `CmdSetConfig` body.
    pub fn request(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let cmd = CmdSetConfig {
            ssid: self.ssid.clone(),
            passphrase: self.passphrase.to_vec(),
            bssid: self.bssid.map(|b| b.to_vec()).unwrap_or_default(),
            channel: i32::from(self.channel),
        };
        let body = WiFiConfigPayload {
            msg: WiFiConfigMsgType::TypeCmdSetConfig as i32,
            payload: Some(Payload::CmdSetConfig(cmd)),
        }
        .encode_to_vec();
        Ok(body)
    }

    /// Device: the credentials of a `CmdSetConfig`, or an error for which the device answers
    /// `InvalidArgument` without storing anything.
    pub fn from_command(cmd: &CmdSetConfig) -> Result<Self> {
        let bssid = match cmd.bssid.len() {
            0 => None,
            6 => Some(cmd.bssid.as_slice().try_into().expect("six bytes")),
            _ => {
                return Err(Error::InvalidField {
                    field: "bssid",
                    reason: "must be 0 or 6 bytes",
                })
            }
        };
        let config = WifiConfig {
            ssid: cmd.ssid.clone(),
            passphrase: Zeroizing::new(cmd.passphrase.clone()),
            bssid,
            channel: u8::try_from(cmd.channel).unwrap_or(0),
        };
        config.validate()?;
        Ok(config)
    }
}

/// Why the station gave up (`WifiConnectFailedReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailReason {
    /// Wrong passphrase (4-way handshake timeout, auth fail, MIC failure).
    AuthError,
    /// No access point with that SSID (`WIFI_REASON_NO_AP_FOUND`).
    NetworkNotFound,
    /// A value this crate does not know.
    Unknown(i32),
}

/// The station's details once it has an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedInfo {
    /// The station's IPv4 address.
    pub ip: Ipv4Addr,
    /// The network joined.
    pub ssid: Vec<u8>,
    /// The access point joined (empty if the device did not say).
    pub bssid: Vec<u8>,
    /// Its channel.
    pub channel: i32,
    /// Its `WifiAuthMode` number.
    pub auth_mode: i32,
}

/// The answer to `CmdGetStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WifiStatus {
    /// The station joined and has an address; the device stops provisioning soon.
    Connected(ConnectedInfo),
    /// Still trying; `attempts_remaining` when the device retries a limited number of times.
    Connecting {
        /// Attempts left after a failed one (`WifiAttemptFailed`), if reported.
        attempts_remaining: Option<u32>,
    },
    /// The station gave up.
    Failed(FailReason),
    /// Not connected (defined by the protocol; ESP-IDF does not send it).
    Disconnected,
}

/// A decoded `prov-config` request (device side).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigRequest {
    /// `CmdGetStatus`.
    GetStatus,
    /// `CmdSetConfig`, as sent; check it with [`WifiConfig::from_command`].
    SetConfig(CmdSetConfig),
    /// `CmdApplyConfig`.
    ApplyConfig,
}

impl ConfigRequest {
    /// Device: decodes a request; an unknown command is an error (the socket is closed).
    pub fn parse(body: &[u8]) -> Result<Self> {
        let req =
            WiFiConfigPayload::decode(body).map_err(|e| Error::decode("WiFiConfigPayload", e))?;
        match (req.msg, req.payload) {
            (m, _) if m == WiFiConfigMsgType::TypeCmdGetStatus as i32 => {
                Ok(ConfigRequest::GetStatus)
            }
            (m, _) if m == WiFiConfigMsgType::TypeCmdApplyConfig as i32 => {
                Ok(ConfigRequest::ApplyConfig)
            }
            (m, Some(Payload::CmdSetConfig(cmd)))
                if m == WiFiConfigMsgType::TypeCmdSetConfig as i32 =>
            {
                Ok(ConfigRequest::SetConfig(cmd))
            }
            _ => Err(Error::UnexpectedMessage {
                expected: "CmdGetStatus, CmdSetConfig or CmdApplyConfig",
            }),
        }
    }
}

fn decode(body: &[u8]) -> Result<WiFiConfigPayload> {
    WiFiConfigPayload::decode(body).map_err(|e| Error::decode("WiFiConfigPayload", e))
}

/// Client: the plaintext `CmdApplyConfig` body.
pub fn apply_request() -> Vec<u8> {
    WiFiConfigPayload {
        msg: WiFiConfigMsgType::TypeCmdApplyConfig as i32,
        payload: Some(Payload::CmdApplyConfig(CmdApplyConfig {})),
    }
    .encode_to_vec()
}

/// Client: the plaintext `CmdGetStatus` body.
pub fn status_request() -> Vec<u8> {
    WiFiConfigPayload {
        msg: WiFiConfigMsgType::TypeCmdGetStatus as i32,
        payload: Some(Payload::CmdGetStatus(CmdGetStatus {})),
    }
    .encode_to_vec()
}

/// Client: checks a `RespSetConfig`; `InvalidArgument` and the like are [`Error::PeerStatus`].
pub fn parse_set_response(body: &[u8]) -> Result<()> {
    let resp = decode(body)?;
    check_msg(
        resp.msg,
        WiFiConfigMsgType::TypeRespSetConfig as i32,
        "RespSetConfig",
    )?;
    match resp.payload {
        Some(Payload::RespSetConfig(r)) => check_status(r.status),
        _ => check_status(0),
    }
}

/// Client: checks a `RespApplyConfig`.
pub fn parse_apply_response(body: &[u8]) -> Result<()> {
    let resp = decode(body)?;
    check_msg(
        resp.msg,
        WiFiConfigMsgType::TypeRespApplyConfig as i32,
        "RespApplyConfig",
    )?;
    match resp.payload {
        Some(Payload::RespApplyConfig(r)) => check_status(r.status),
        _ => check_status(0),
    }
}

/// Client: decodes a `RespGetStatus` into a [`WifiStatus`].
pub fn parse_status_response(body: &[u8]) -> Result<WifiStatus> {
    let resp = decode(body)?;
    check_msg(
        resp.msg,
        WiFiConfigMsgType::TypeRespGetStatus as i32,
        "RespGetStatus",
    )?;
    // An all-default RespGetStatus (Success, Connected, no oneof) encodes to nothing, and prost
    // then leaves the payload out; treat it as the empty message it is.
    let r = match resp.payload {
        Some(Payload::RespGetStatus(r)) => r,
        None => RespGetStatus::default(),
        Some(_) => {
            return Err(Error::UnexpectedMessage {
                expected: "RespGetStatus",
            })
        }
    };
    check_status(r.status)?;
    let state = WifiStationState::try_from(r.sta_state).ok();
    Ok(match (state, r.state) {
        (Some(WifiStationState::Connected), Some(State::Connected(c))) => {
            let ip = c.ip4_addr.parse().map_err(|_| Error::InvalidField {
                field: "ip4_addr",
                reason: "not an IPv4 address",
            })?;
            WifiStatus::Connected(ConnectedInfo {
                ip,
                ssid: c.ssid,
                bssid: c.bssid,
                channel: c.channel,
                auth_mode: c.auth_mode,
            })
        }
        (Some(WifiStationState::Connected), _) => {
            return Err(Error::UnexpectedMessage {
                expected: "connected state details",
            })
        }
        (Some(WifiStationState::Connecting), Some(State::AttemptFailed(a))) => {
            WifiStatus::Connecting {
                attempts_remaining: Some(a.attempts_remaining),
            }
        }
        (Some(WifiStationState::Connecting), _) => WifiStatus::Connecting {
            attempts_remaining: None,
        },
        (Some(WifiStationState::Disconnected), _) => WifiStatus::Disconnected,
        (Some(WifiStationState::ConnectionFailed), Some(State::FailReason(reason))) => {
            WifiStatus::Failed(match WifiConnectFailedReason::try_from(reason) {
                Ok(WifiConnectFailedReason::AuthError) => FailReason::AuthError,
                Ok(WifiConnectFailedReason::NetworkNotFound) => FailReason::NetworkNotFound,
                _ => FailReason::Unknown(reason),
            })
        }
        (Some(WifiStationState::ConnectionFailed), _) => {
            WifiStatus::Failed(FailReason::Unknown(-1))
        }
        (None, _) => {
            return Err(Error::UnexpectedMessage {
                expected: "a known sta_state",
            })
        }
    })
}

/// Device: the plaintext `RespSetConfig` body.
pub fn set_response(status: CommandStatus) -> Vec<u8> {
    WiFiConfigPayload {
        msg: WiFiConfigMsgType::TypeRespSetConfig as i32,
        payload: Some(Payload::RespSetConfig(RespSetConfig {
            status: status.to_wire(),
        })),
    }
    .encode_to_vec()
}

/// Device: the plaintext `RespApplyConfig` body.
pub fn apply_response(status: CommandStatus) -> Vec<u8> {
    WiFiConfigPayload {
        msg: WiFiConfigMsgType::TypeRespApplyConfig as i32,
        payload: Some(Payload::RespApplyConfig(RespApplyConfig {
            status: status.to_wire(),
        })),
    }
    .encode_to_vec()
}

/// Device: the plaintext `RespGetStatus` body for `status`, laid out as `wifi_config.c:49-139`.
pub fn status_response(status: &WifiStatus) -> Vec<u8> {
    let (sta_state, state) = match status {
        WifiStatus::Connected(c) => (
            WifiStationState::Connected,
            Some(State::Connected(WifiConnectedState {
                ip4_addr: c.ip.to_string(),
                auth_mode: c.auth_mode,
                ssid: c.ssid.clone(),
                bssid: c.bssid.clone(),
                channel: c.channel,
            })),
        ),
        WifiStatus::Connecting { attempts_remaining } => (
            WifiStationState::Connecting,
            attempts_remaining.map(|n| {
                State::AttemptFailed(WifiAttemptFailed {
                    attempts_remaining: n,
                })
            }),
        ),
        WifiStatus::Failed(reason) => (
            WifiStationState::ConnectionFailed,
            Some(State::FailReason(match reason {
                FailReason::AuthError => WifiConnectFailedReason::AuthError as i32,
                FailReason::NetworkNotFound => WifiConnectFailedReason::NetworkNotFound as i32,
                FailReason::Unknown(n) => *n,
            })),
        ),
        WifiStatus::Disconnected => (WifiStationState::Disconnected, None),
    };
    WiFiConfigPayload {
        msg: WiFiConfigMsgType::TypeRespGetStatus as i32,
        payload: Some(Payload::RespGetStatus(RespGetStatus {
            status: 0,
            sta_state: sta_state as i32,
            state,
        })),
    }
    .encode_to_vec()
}
