//! The one error type of the ESP-IDF provisioning protocol.

/// Everything that can go wrong while speaking ESP-IDF provisioning, in either role.
///
/// On the device side every variant means what ESP-IDF does on a handler failure: close the socket
/// without an HTTP response (`protocomm_httpd.c:148-151`, `httpd_uri.c:369-373`). The device never
/// puts a session `Status` code on the wire, so neither does this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protobuf message could not be decoded.
    #[error("malformed {message} message: {reason}")]
    Malformed {
        /// Which message was being decoded, e.g. `"SessionData"`.
        message: &'static str,
        /// What the decoder reported.
        reason: String,
    },
    /// A message decoded but is not the one this step of the protocol expects.
    #[error("unexpected message: expected {expected}")]
    UnexpectedMessage {
        /// What was expected at this point, e.g. `"sec1 SessionResp0"`.
        expected: &'static str,
    },
    /// The `proto-ver` answer is not the JSON ESP-IDF sends.
    #[error("invalid proto-ver answer: {0}")]
    InvalidVersion(String),
    /// The peer offers or asks for security 0 (no encryption, no proof); it is always refused.
    #[error("security scheme 0 (no encryption, no proof of possession) is refused")]
    SecurityZeroRefused,
    /// The peer uses a security scheme this crate does not speak.
    #[error("unsupported security scheme {0}")]
    UnsupportedSecurity(i64),
    /// The session message is for another security scheme than the one negotiated.
    #[error("security scheme mismatch: expected {expected}, got {got}")]
    SchemeMismatch {
        /// The scheme this session uses.
        expected: u8,
        /// The scheme named in the message.
        got: i32,
    },
    /// A key, proof, nonce or similar field has the wrong length.
    #[error("{field} has length {got}, expected {expected}")]
    BadLength {
        /// The field, e.g. `"client_pubkey"`.
        field: &'static str,
        /// Its length on the wire.
        got: usize,
        /// What the protocol requires.
        expected: usize,
    },
    /// A handshake message arrived in the wrong order.
    #[error("handshake message out of order")]
    OutOfOrder,
    /// The peer reported a non-success status in a handshake or command response.
    #[error("peer reported status {0}")]
    PeerStatus(i32),
    /// Device side: the client's proof is wrong (wrong PoP for sec1, wrong username or password for
    /// sec2). A device closes the connection.
    #[error("client proof rejected: wrong proof of possession or credentials")]
    ClientProofRejected,
    /// Client side: the device's proof is wrong; the device does not know the PoP or password.
    #[error("device proof rejected: the device does not know the shared secret")]
    DeviceProofRejected,
    /// An SRP value is degenerate (`A mod N == 0`, `u == 0`, `B mod N == 0`).
    #[error("degenerate srp value: {0}")]
    DegenerateSrp(&'static str),
    /// Encrypted data was sent or received before the handshake finished.
    #[error("secure session not established")]
    NoSession,
    /// AES-GCM authentication failed: the data was altered or the nonce is out of step.
    #[error("decryption failed: authentication tag mismatch")]
    DecryptFailed,
    /// The 32-bit GCM nonce counter would wrap (more than 4 billion messages).
    #[error("nonce counter exhausted")]
    NonceExhausted,
    /// A Wi-Fi field is out of the range the device accepts.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field, e.g. `"ssid"`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The result type of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds [`Error::Malformed`] from a prost decode error.
    pub(crate) fn decode(message: &'static str, err: prost::DecodeError) -> Self {
        Error::Malformed {
            message,
            reason: err.to_string(),
        }
    }

    /// Checks a field length, giving [`Error::BadLength`] on a mismatch.
    pub(crate) fn check_len(field: &'static str, got: usize, expected: usize) -> Result<()> {
        if got == expected {
            Ok(())
        } else {
            Err(Error::BadLength {
                field,
                got,
                expected,
            })
        }
    }
}
