//! The encrypted Wi-Fi endpoints of wifi_provisioning (and, wire-identical, network_provisioning):
//! `prov-config` ([`config`]), `prov-scan` ([`scan`]) and `prov-ctrl` ([`ctrl`]).
//!
//! Each module has client builders/parsers and device parsers/builders. The bodies here are
//! plaintext: pass them through the session's [`super::SessionCipher`]. A device answers every
//! command with `msg = request msg + 1` (`wifi_config.c:329`); an unknown command closes the
//! socket, so the device parsers return an error for it.

pub mod config;
pub mod ctrl;
pub mod scan;

pub use config::{ConfigRequest, ConnectedInfo, FailReason, WifiConfig, WifiStatus};
pub use ctrl::CtrlCommand;
pub use scan::{AccessPoint, ScanOptions, ScanRequest, ScanStatus};

use super::error::{Error, Result};
use super::messages::Status;

/// A command outcome as the device reports it in a response (`constants.proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandStatus {
    /// The command succeeded.
    Success,
    /// The arguments were rejected (e.g. an SSID of 33 bytes).
    InvalidArgument,
    /// The device could not do it (e.g. apply before set, reset when not failed).
    InternalError,
}

impl CommandStatus {
    fn to_wire(self) -> i32 {
        match self {
            CommandStatus::Success => Status::Success as i32,
            CommandStatus::InvalidArgument => Status::InvalidArgument as i32,
            CommandStatus::InternalError => Status::InternalError as i32,
        }
    }
}

/// Turns a response status into `Ok(())` or [`Error::PeerStatus`].
fn check_status(status: i32) -> Result<()> {
    if status == Status::Success as i32 {
        Ok(())
    } else {
        Err(Error::PeerStatus(status))
    }
}

/// Checks the response type; a device answers `msg + 1`.
fn check_msg(got: i32, want: i32, expected: &'static str) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::UnexpectedMessage { expected })
    }
}

#[cfg(test)]
mod tests;
