//! What both security schemes share: the `prov-session` envelope (`SessionData` with its `sec_ver`)
//! and the data-phase cipher's trait.

use prost::Message;

use super::error::{Error, Result};
use super::messages::{session_data, SessionData};
use super::version::SecurityScheme;

/// Encrypts requests and decrypts responses (client), or the reverse (device), once a handshake
/// has finished. Both directions share state: call it for every message, in order.
pub trait SessionCipher {
    /// Encrypts one message body.
    fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>>;
    /// Decrypts one message body.
    fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>>;
}

/// Decodes a `SessionData` and checks it is for `scheme` (`security1.c:600-609`,
/// `security2.c:616-625`).
pub(super) fn decode_session(body: &[u8], scheme: SecurityScheme) -> Result<session_data::Proto> {
    let data = SessionData::decode(body).map_err(|e| Error::decode("SessionData", e))?;
    let expected = scheme.sec_ver();
    if data.sec_ver != i32::from(expected) {
        return Err(Error::SchemeMismatch {
            expected,
            got: data.sec_ver,
        });
    }
    match (scheme, data.proto) {
        (SecurityScheme::Sec1, Some(p @ session_data::Proto::Sec1(_)))
        | (SecurityScheme::Sec2, Some(p @ session_data::Proto::Sec2(_))) => Ok(p),
        (SecurityScheme::Sec1, _) => Err(Error::UnexpectedMessage {
            expected: "sec1 payload",
        }),
        (SecurityScheme::Sec2, _) => Err(Error::UnexpectedMessage {
            expected: "sec2 payload",
        }),
    }
}

/// Encodes a `SessionData` for `scheme` around `proto`.
pub(super) fn encode_session(scheme: SecurityScheme, proto: session_data::Proto) -> Vec<u8> {
    SessionData {
        sec_ver: i32::from(scheme.sec_ver()),
        proto: Some(proto),
    }
    .encode_to_vec()
}

/// A session response's status: anything but `Success` is the peer's refusal (security 1 and 2
/// answer alike).
pub(super) fn check_status(status: i32) -> Result<()> {
    if status == super::messages::Status::Success as i32 {
        Ok(())
    } else {
        Err(Error::PeerStatus(status))
    }
}
