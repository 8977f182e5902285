//! `prov-ctrl`: reset the provisioning state machine after a failure, or reprovision.
//!
//! `CmdCtrlReset` succeeds only after a failed connection (`manager.c:1793-1797`);
//! `CmdCtrlReprov` only after success on a device built with `no_auto_stop` (`manager.c:1826-1830`).
//! Unlike `prov-config`, the status sits in the outer `WiFiCtrlPayload`.

use prost::Message;

use super::{check_msg, check_status, CommandStatus};
use crate::esp::error::{Error, Result};
use crate::esp::messages::{
    wi_fi_ctrl_payload::Payload, CmdCtrlReprov, CmdCtrlReset, RespCtrlReprov, RespCtrlReset,
    WiFiCtrlMsgType, WiFiCtrlPayload,
};

/// A `prov-ctrl` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtrlCommand {
    /// Return to the start after a failed connection, to try other credentials.
    Reset,
    /// Start provisioning again after a successful one.
    Reprov,
}

impl CtrlCommand {
    /// The plaintext request body.
    pub fn request(self) -> Vec<u8> {
        let (msg, payload) = match self {
            CtrlCommand::Reset => (
                WiFiCtrlMsgType::TypeCmdCtrlReset,
                Payload::CmdCtrlReset(CmdCtrlReset {}),
            ),
            CtrlCommand::Reprov => (
                WiFiCtrlMsgType::TypeCmdCtrlReprov,
                Payload::CmdCtrlReprov(CmdCtrlReprov {}),
            ),
        };
        WiFiCtrlPayload {
            msg: msg as i32,
            status: 0,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Client: checks the response to this command; a refusal is [`Error::PeerStatus`].
    pub fn parse_response(self, body: &[u8]) -> Result<()> {
        let resp =
            WiFiCtrlPayload::decode(body).map_err(|e| Error::decode("WiFiCtrlPayload", e))?;
        let (want, name) = match self {
            CtrlCommand::Reset => (WiFiCtrlMsgType::TypeRespCtrlReset, "RespCtrlReset"),
            CtrlCommand::Reprov => (WiFiCtrlMsgType::TypeRespCtrlReprov, "RespCtrlReprov"),
        };
        check_msg(resp.msg, want as i32, name)?;
        check_status(resp.status)
    }

    /// Device: decodes a request; an unknown command is an error (the socket is closed).
    pub fn parse_request(body: &[u8]) -> Result<Self> {
        let req = WiFiCtrlPayload::decode(body).map_err(|e| Error::decode("WiFiCtrlPayload", e))?;
        match req.msg {
            m if m == WiFiCtrlMsgType::TypeCmdCtrlReset as i32 => Ok(CtrlCommand::Reset),
            m if m == WiFiCtrlMsgType::TypeCmdCtrlReprov as i32 => Ok(CtrlCommand::Reprov),
            _ => Err(Error::UnexpectedMessage {
                expected: "CmdCtrlReset or CmdCtrlReprov",
            }),
        }
    }

    /// Device: the plaintext response body with `status`.
    pub fn response(self, status: CommandStatus) -> Vec<u8> {
        let (msg, payload) = match self {
            CtrlCommand::Reset => (
                WiFiCtrlMsgType::TypeRespCtrlReset,
                Payload::RespCtrlReset(RespCtrlReset {}),
            ),
            CtrlCommand::Reprov => (
                WiFiCtrlMsgType::TypeRespCtrlReprov,
                Payload::RespCtrlReprov(RespCtrlReprov {}),
            ),
        };
        WiFiCtrlPayload {
            msg: msg as i32,
            status: status.to_wire(),
            payload: Some(payload),
        }
        .encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_round_trips_and_a_refusal_is_a_peer_status() {
        let cmd = CtrlCommand::parse_request(&CtrlCommand::Reset.request()).unwrap();
        assert_eq!(cmd, CtrlCommand::Reset);
        assert_eq!(
            CtrlCommand::Reset.parse_response(&cmd.response(CommandStatus::Success)),
            Ok(())
        );
        assert_eq!(
            CtrlCommand::Reset.parse_response(&cmd.response(CommandStatus::InternalError)),
            Err(Error::PeerStatus(5))
        );
    }

    #[test]
    fn a_reprov_answer_does_not_pass_for_a_reset_answer() {
        let resp = CtrlCommand::Reprov.response(CommandStatus::Success);
        assert_eq!(CtrlCommand::Reprov.parse_response(&resp), Ok(()));
        assert!(matches!(
            CtrlCommand::Reset.parse_response(&resp),
            Err(Error::UnexpectedMessage { .. })
        ));
    }

    #[test]
    fn an_unknown_ctrl_command_is_an_error_for_the_device() {
        let body = WiFiCtrlPayload {
            msg: 0,
            status: 0,
            payload: None,
        }
        .encode_to_vec();
        assert!(CtrlCommand::parse_request(&body).is_err());
    }
}
