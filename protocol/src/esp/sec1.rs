//! Security 1: X25519 key agreement, proof of possession (PoP), AES-256-CTR.
//!
//! Device: ESP-IDF `components/protocomm/src/security/security1.c`; client: Espressif's
//! `security1.py`. The shared key is `X25519(priv, peer_pub) XOR SHA256(pop)` (no XOR for an empty
//! PoP). Key = that, IV = the device's 16 random bytes, and **one** CTR keystream serves both
//! directions in message order: Cmd1's `client_verify_data = CTR(device_pubkey)` (bytes 0..32),
//! Resp1's `device_verify_data = CTR(client_pubkey)` (32..64), then every endpoint body.

use aes::cipher::{KeyIvInit, StreamCipher};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::envelope::{check_status, decode_session, encode_session, SessionCipher};
use super::error::{Error, Result};
use super::messages::{
    sec1_payload::Payload, session_data::Proto, Sec1MsgType, Sec1Payload, SessionCmd0, SessionCmd1,
    SessionResp0, SessionResp1, Status,
};
use super::version::SecurityScheme;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// The security 1 data-phase cipher: one AES-256-CTR keystream for both directions.
pub struct Sec1Cipher {
    stream: Aes256Ctr,
}

impl std::fmt::Debug for Sec1Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sec1Cipher { .. }")
    }
}

impl Sec1Cipher {
    fn new(key: &[u8; 32], device_random: &[u8; 16]) -> Self {
        Sec1Cipher {
            stream: Aes256Ctr::new(key.into(), device_random.into()),
        }
    }

    fn apply(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        self.stream.apply_keystream(&mut out);
        out
    }
}

impl SessionCipher for Sec1Cipher {
    fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        Ok(self.apply(plaintext))
    }

    fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        Ok(self.apply(ciphertext))
    }
}

/// `X25519(secret, peer) XOR SHA256(pop)`, the session key of both sides.
fn session_key(secret: &StaticSecret, peer: &[u8; 32], pop: &[u8]) -> Zeroizing<[u8; 32]> {
    let shared = secret.diffie_hellman(&PublicKey::from(*peer));
    let mut key = Zeroizing::new(*shared.as_bytes());
    if !pop.is_empty() {
        let digest = Sha256::digest(pop);
        for (k, d) in key.iter_mut().zip(digest.iter()) {
            *k ^= d;
        }
    }
    key
}

fn to_array<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| Error::BadLength {
        field,
        got: bytes.len(),
        expected: N,
    })
}

fn sec1_message(body: &[u8]) -> Result<Sec1Payload> {
    match decode_session(body, SecurityScheme::Sec1)? {
        Proto::Sec1(p) => Ok(p),
        _ => Err(Error::UnexpectedMessage {
            expected: "sec1 payload",
        }),
    }
}

fn encode(msg: Sec1MsgType, payload: Payload) -> Vec<u8> {
    encode_session(
        SecurityScheme::Sec1,
        Proto::Sec1(Sec1Payload {
            msg: msg as i32,
            payload: Some(payload),
        }),
    )
}

/// Client side, first step: holds the key pair and sends `SessionCmd0`.
pub struct Sec1Client {
    secret: StaticSecret,
    public: [u8; 32],
    pop: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Sec1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec1Client").finish_non_exhaustive()
    }
}

impl Sec1Client {
    /// A new handshake with a fresh X25519 key; `pop` may be empty (device without PoP).
    pub fn new(pop: &[u8], rng: &mut impl CryptoRngCore) -> Self {
        let secret = StaticSecret::random_from_rng(rng);
        let public = PublicKey::from(&secret).to_bytes();
        Sec1Client {
            secret,
            public,
            pop: Zeroizing::new(pop.to_vec()),
        }
    }

    /// The `prov-session` body of `SessionCmd0` (the client's public key).
    pub fn command0(&self) -> Vec<u8> {
        encode(
            Sec1MsgType::SessionCommand0,
            Payload::Sc0(SessionCmd0 {
                client_pubkey: self.public.to_vec(),
            }),
        )
    }

    /// Takes the device's `SessionResp0`; returns the next step and the `SessionCmd1` body.
    pub fn on_response0(self, body: &[u8]) -> Result<(Sec1ClientVerify, Vec<u8>)> {
        let msg = sec1_message(body)?;
        let Some(Payload::Sr0(resp)) = msg.payload else {
            return Err(Error::UnexpectedMessage {
                expected: "sec1 SessionResp0",
            });
        };
        check_status(resp.status)?;
        let device_pubkey: [u8; 32] = to_array("device_pubkey", &resp.device_pubkey)?;
        let device_random: [u8; 16] = to_array("device_random", &resp.device_random)?;
        let key = session_key(&self.secret, &device_pubkey, &self.pop);
        let mut cipher = Sec1Cipher::new(&key, &device_random);
        let cmd1 = encode(
            Sec1MsgType::SessionCommand1,
            Payload::Sc1(SessionCmd1 {
                client_verify_data: cipher.apply(&device_pubkey),
            }),
        );
        Ok((
            Sec1ClientVerify {
                cipher,
                client_public: self.public,
            },
            cmd1,
        ))
    }
}

/// Client side, second step: checks the device's proof in `SessionResp1`.
#[derive(Debug)]
pub struct Sec1ClientVerify {
    cipher: Sec1Cipher,
    client_public: [u8; 32],
}

impl Sec1ClientVerify {
    /// Takes `SessionResp1`; a device that does not know the PoP gives
    /// [`Error::DeviceProofRejected`] (Python: `Failed to verify device!`).
    pub fn on_response1(mut self, body: &[u8]) -> Result<Sec1Cipher> {
        let msg = sec1_message(body)?;
        let Some(Payload::Sr1(resp)) = msg.payload else {
            return Err(Error::UnexpectedMessage {
                expected: "sec1 SessionResp1",
            });
        };
        check_status(resp.status)?;
        Error::check_len("device_verify_data", resp.device_verify_data.len(), 32)?;
        let plain = self.cipher.apply(&resp.device_verify_data);
        if bool::from(plain.ct_eq(&self.client_public)) {
            Ok(self.cipher)
        } else {
            Err(Error::DeviceProofRejected)
        }
    }
}

/// Device side of security 1 (`security1.c`): one session at a time.
pub struct Sec1Device {
    pop: Zeroizing<Vec<u8>>,
    state: DeviceState,
}

enum DeviceState {
    AwaitCmd0,
    AwaitCmd1 {
        client_pubkey: [u8; 32],
        device_pubkey: [u8; 32],
        cipher: Sec1Cipher,
    },
    Done(Sec1Cipher),
}

impl std::fmt::Debug for Sec1Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec1Device")
            .field("established", &self.is_established())
            .finish_non_exhaustive()
    }
}

impl Sec1Device {
    /// A device expecting `pop` (empty: no PoP).
    pub fn new(pop: &[u8]) -> Self {
        Sec1Device {
            pop: Zeroizing::new(pop.to_vec()),
            state: DeviceState::AwaitCmd0,
        }
    }

    /// Whether the handshake has finished.
    pub fn is_established(&self) -> bool {
        matches!(self.state, DeviceState::Done(_))
    }

    /// The data-phase cipher, or [`Error::NoSession`] before the handshake is done.
    pub fn cipher(&mut self) -> Result<&mut Sec1Cipher> {
        match &mut self.state {
            DeviceState::Done(c) => Ok(c),
            _ => Err(Error::NoSession),
        }
    }

    /// Handles one `prov-session` body. On any error the session returns to its start, and the
    /// caller must close the connection without answering, as ESP-IDF does.
    pub fn handle(&mut self, body: &[u8], rng: &mut impl CryptoRngCore) -> Result<Vec<u8>> {
        let result = self.step(body, rng);
        if result.is_err() {
            self.state = DeviceState::AwaitCmd0;
        }
        result
    }

    fn step(&mut self, body: &[u8], rng: &mut impl CryptoRngCore) -> Result<Vec<u8>> {
        let msg = sec1_message(body)?;
        match msg.payload {
            // A Cmd0 in any state starts over (security1.c:243-247).
            Some(Payload::Sc0(cmd)) if msg.msg == Sec1MsgType::SessionCommand0 as i32 => {
                let client_pubkey: [u8; 32] = to_array("client_pubkey", &cmd.client_pubkey)?;
                let secret = StaticSecret::random_from_rng(&mut *rng);
                let device_pubkey = PublicKey::from(&secret).to_bytes();
                let key = session_key(&secret, &client_pubkey, &self.pop);
                let mut device_random = [0u8; 16];
                rng.fill_bytes(&mut device_random);
                self.state = DeviceState::AwaitCmd1 {
                    client_pubkey,
                    device_pubkey,
                    cipher: Sec1Cipher::new(&key, &device_random),
                };
                Ok(encode(
                    Sec1MsgType::SessionResponse0,
                    Payload::Sr0(SessionResp0 {
                        status: Status::Success as i32,
                        device_pubkey: device_pubkey.to_vec(),
                        device_random: device_random.to_vec(),
                    }),
                ))
            }
            Some(Payload::Sc1(cmd)) if msg.msg == Sec1MsgType::SessionCommand1 as i32 => {
                let state = std::mem::replace(&mut self.state, DeviceState::AwaitCmd0);
                let DeviceState::AwaitCmd1 {
                    client_pubkey,
                    device_pubkey,
                    mut cipher,
                } = state
                else {
                    return Err(Error::OutOfOrder);
                };
                Error::check_len("client_verify_data", cmd.client_verify_data.len(), 32)?;
                let plain = cipher.apply(&cmd.client_verify_data);
                if !bool::from(plain.ct_eq(&device_pubkey)) {
                    // security1.c:166-176: "Key mismatch. Close connection".
                    return Err(Error::ClientProofRejected);
                }
                let device_verify_data = cipher.apply(&client_pubkey);
                self.state = DeviceState::Done(cipher);
                Ok(encode(
                    Sec1MsgType::SessionResponse1,
                    Payload::Sr1(SessionResp1 {
                        status: Status::Success as i32,
                        device_verify_data,
                    }),
                ))
            }
            _ => Err(Error::UnexpectedMessage {
                expected: "sec1 SessionCmd0 or SessionCmd1",
            }),
        }
    }
}
