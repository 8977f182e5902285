//! Security 2: SRP6a (username and password) and AES-256-GCM.
//!
//! Device: ESP-IDF `components/protocomm/src/security/security2.c` + `esp_srp.c`; client:
//! Espressif's `security2.py`. The SRP arithmetic is in [`super::srp`]. After the proofs:
//! key = `K[0..32]`, nonce = the device's 12 bytes (8 random, then a big-endian `u32` counter that
//! starts at 1). With `sec_patch_ver >= 1` both sides add 1 to the counter after **every** GCM
//! operation, encrypt or decrypt; older firmware (no `sec_patch_ver`) keeps the nonce fixed.
//! A 16-byte tag is appended, there is no AAD.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use num_bigint::BigUint;
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::envelope::{check_status, decode_session, encode_session, SessionCipher};
use super::error::{Error, Result};
use super::messages::{
    sec2_payload::Payload, session_data::Proto, S2SessionCmd0, S2SessionCmd1, S2SessionResp0,
    S2SessionResp1, Sec2MsgType, Sec2Payload, Status,
};
use super::srp::{self, Group, Sec2Verifier, GROUP_LEN, HASH_LEN};
use super::version::SecurityScheme;

/// Length of the device's GCM nonce.
pub const NONCE_LEN: usize = 12;

/// The security 2 data-phase cipher: AES-256-GCM with the device's nonce rule.
pub struct Sec2Cipher {
    aead: Aes256Gcm,
    nonce: [u8; NONCE_LEN],
    counting: bool,
}

impl std::fmt::Debug for Sec2Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec2Cipher")
            .field("counting", &self.counting)
            .finish_non_exhaustive()
    }
}

impl Sec2Cipher {
    /// A cipher for key `K[0..32]` and the device nonce; `sec_patch_ver >= 1` counts nonces.
    fn new(session_key: &[u8; HASH_LEN], nonce: [u8; NONCE_LEN], sec_patch_ver: u32) -> Self {
        Sec2Cipher {
            aead: Aes256Gcm::new_from_slice(&session_key[..32]).expect("32-byte key"),
            nonce,
            counting: sec_patch_ver >= 1,
        }
    }

    fn counter(&self) -> u32 {
        u32::from_be_bytes([self.nonce[8], self.nonce[9], self.nonce[10], self.nonce[11]])
    }

    /// The nonce for the next operation; the device refuses counter 0 (`security2.c:484-487`).
    fn current(&self) -> Result<[u8; NONCE_LEN]> {
        if self.counting && self.counter() == 0 {
            return Err(Error::NonceExhausted);
        }
        Ok(self.nonce)
    }

    fn advance(&mut self) {
        if self.counting {
            let next = self.counter().wrapping_add(1);
            self.nonce[8..].copy_from_slice(&next.to_be_bytes());
        }
    }
}

impl SessionCipher for Sec2Cipher {
    fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = self.current()?;
        let out = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| Error::DecryptFailed)?;
        self.advance();
        Ok(out)
    }

    fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        let nonce = self.current()?;
        let out = self
            .aead
            .decrypt(Nonce::from_slice(&nonce), ciphertext)
            .map_err(|_| Error::DecryptFailed)?;
        self.advance();
        Ok(out)
    }
}

fn sec2_message(body: &[u8]) -> Result<Sec2Payload> {
    match decode_session(body, SecurityScheme::Sec2)? {
        Proto::Sec2(p) => Ok(p),
        _ => Err(Error::UnexpectedMessage {
            expected: "sec2 payload",
        }),
    }
}

fn encode(msg: Sec2MsgType, payload: Payload) -> Vec<u8> {
    encode_session(
        SecurityScheme::Sec2,
        Proto::Sec2(Sec2Payload {
            msg: msg as i32,
            payload: Some(payload),
        }),
    )
}

fn check_username(username: &[u8]) -> Result<()> {
    if username.is_empty() || username.len() > usize::from(u16::MAX) {
        return Err(Error::InvalidField {
            field: "username",
            reason: "must be 1 to 65535 bytes",
        });
    }
    Ok(())
}

/// Client side, first step: the SRP secret `a` and `S2SessionCmd0`.
pub struct Sec2Client {
    username: Vec<u8>,
    password: Zeroizing<Vec<u8>>,
    a: Zeroizing<Vec<u8>>,
    a_pub: Vec<u8>,
    sec_patch_ver: u32,
}

impl std::fmt::Debug for Sec2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec2Client").finish_non_exhaustive()
    }
}

impl Sec2Client {
    /// A new handshake. `sec_patch_ver` comes from `proto-ver` (missing: 0).
    ///
    /// The device rejects an `A` that is not exactly 384 bytes, and hashes the bytes it got, so
    /// `a` is drawn again until `A` has no leading zero byte (Espressif's Python client does not do
    /// this and fails about one handshake in 256).
    pub fn new(
        username: &[u8],
        password: &[u8],
        sec_patch_ver: u32,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Self> {
        check_username(username)?;
        let group = Group::rfc5054_3072();
        loop {
            let a = srp::random(32, rng);
            let a_pub = group.g.modpow(&a, &group.n).to_bytes_be();
            if a_pub.len() == GROUP_LEN {
                return Ok(Sec2Client {
                    username: username.to_vec(),
                    password: Zeroizing::new(password.to_vec()),
                    a: Zeroizing::new(a.to_bytes_be()),
                    a_pub,
                    sec_patch_ver,
                });
            }
        }
    }

    /// The `prov-session` body of `S2SessionCmd0` (username and `A`).
    pub fn command0(&self) -> Vec<u8> {
        encode(
            Sec2MsgType::S2SessionCommand0,
            Payload::Sc0(S2SessionCmd0 {
                client_username: self.username.clone(),
                client_pubkey: self.a_pub.clone(),
            }),
        )
    }

    /// Takes `S2SessionResp0` (`B`, salt); returns the next step and the `S2SessionCmd1` body.
    pub fn on_response0(self, body: &[u8]) -> Result<(Sec2ClientVerify, Vec<u8>)> {
        let msg = sec2_message(body)?;
        let Some(Payload::Sr0(resp)) = msg.payload else {
            return Err(Error::UnexpectedMessage {
                expected: "sec2 S2SessionResp0",
            });
        };
        check_status(resp.status)?;
        let group = Group::rfc5054_3072();
        let b_pub = resp.device_pubkey;
        if b_pub.is_empty() || b_pub.len() > GROUP_LEN {
            return Err(Error::BadLength {
                field: "device_pubkey",
                got: b_pub.len(),
                expected: GROUP_LEN,
            });
        }
        let b = BigUint::from_bytes_be(&b_pub) % &group.n;
        if b == BigUint::ZERO {
            return Err(Error::DegenerateSrp("B mod N == 0"));
        }
        let u = srp::compute_u(&self.a_pub, &b_pub);
        if u == BigUint::ZERO {
            return Err(Error::DegenerateSrp("u == 0"));
        }
        let salt = resp.device_salt;
        let x = srp::compute_x(&salt, &self.username, &self.password);
        let a = BigUint::from_bytes_be(&self.a);
        // S = (B - k·g^x)^(a + u·x) mod N
        let kgx = (&group.k * group.g.modpow(&x, &group.n)) % &group.n;
        let base = (b + &group.n - kgx) % &group.n;
        let s = base.modpow(&(a + u * x), &group.n);
        let key = Zeroizing::new(srp::hash(&[&s.to_bytes_be()]));
        let m = srp::compute_m(&group, &self.username, &salt, &self.a_pub, &b_pub, &key[..]);
        let h_amk = srp::compute_h_amk(&self.a_pub, &m, &key[..]);
        let cmd1 = encode(
            Sec2MsgType::S2SessionCommand1,
            Payload::Sc1(S2SessionCmd1 {
                client_proof: m.to_vec(),
            }),
        );
        Ok((
            Sec2ClientVerify {
                key,
                h_amk,
                sec_patch_ver: self.sec_patch_ver,
            },
            cmd1,
        ))
    }
}

/// Client side, second step: checks the device's proof `H_AMK` in `S2SessionResp1`.
pub struct Sec2ClientVerify {
    key: Zeroizing<[u8; HASH_LEN]>,
    h_amk: [u8; HASH_LEN],
    sec_patch_ver: u32,
}

impl std::fmt::Debug for Sec2ClientVerify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec2ClientVerify").finish_non_exhaustive()
    }
}

impl Sec2ClientVerify {
    /// Takes `S2SessionResp1`; a device that does not hold the right verifier gives
    /// [`Error::DeviceProofRejected`] (Python: `Failed to verify device proof`).
    pub fn on_response1(self, body: &[u8]) -> Result<Sec2Cipher> {
        let msg = sec2_message(body)?;
        let Some(Payload::Sr1(resp)) = msg.payload else {
            return Err(Error::UnexpectedMessage {
                expected: "sec2 S2SessionResp1",
            });
        };
        check_status(resp.status)?;
        if !bool::from(resp.device_proof.ct_eq(&self.h_amk[..])) {
            return Err(Error::DeviceProofRejected);
        }
        let nonce: [u8; NONCE_LEN] =
            resp.device_nonce
                .as_slice()
                .try_into()
                .map_err(|_| Error::BadLength {
                    field: "device_nonce",
                    got: resp.device_nonce.len(),
                    expected: NONCE_LEN,
                })?;
        Ok(Sec2Cipher::new(&self.key, nonce, self.sec_patch_ver))
    }
}

/// Device side of security 2 (`security2.c`): one session at a time.
pub struct Sec2Device {
    verifier: Sec2Verifier,
    sec_patch_ver: u32,
    state: DeviceState,
}

enum DeviceState {
    AwaitCmd0,
    AwaitCmd1 {
        username: Vec<u8>,
        a_pub: Vec<u8>,
        b_pub: Vec<u8>,
        key: Zeroizing<[u8; HASH_LEN]>,
    },
    Done(Box<Sec2Cipher>),
}

impl std::fmt::Debug for Sec2Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec2Device")
            .field("established", &self.is_established())
            .finish_non_exhaustive()
    }
}

impl Sec2Device {
    /// A device holding `verifier`, advertising `sec_patch_ver` (ESP-IDF today: 1).
    pub fn new(verifier: Sec2Verifier, sec_patch_ver: u32) -> Self {
        Sec2Device {
            verifier,
            sec_patch_ver,
            state: DeviceState::AwaitCmd0,
        }
    }

    /// Whether the handshake has finished.
    pub fn is_established(&self) -> bool {
        matches!(self.state, DeviceState::Done(_))
    }

    /// The data-phase cipher, or [`Error::NoSession`] before the handshake is done.
    pub fn cipher(&mut self) -> Result<&mut Sec2Cipher> {
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
        let msg = sec2_message(body)?;
        match msg.payload {
            // A Cmd0 in any state starts over (security2.c:97-101).
            Some(Payload::Sc0(cmd)) if msg.msg == Sec2MsgType::S2SessionCommand0 as i32 => {
                self.state = DeviceState::AwaitCmd0;
                // security2.c:103-117: A is exactly 384 bytes, the username 1..=65535 bytes.
                Error::check_len("client_pubkey", cmd.client_pubkey.len(), GROUP_LEN)?;
                check_username(&cmd.client_username)?;
                let group = Group::rfc5054_3072();
                let a = BigUint::from_bytes_be(&cmd.client_pubkey);
                if &a % &group.n == BigUint::ZERO {
                    return Err(Error::DegenerateSrp("A mod N == 0"));
                }
                let v = BigUint::from_bytes_be(&self.verifier.verifier);
                let b = srp::random(32, rng); // esp_srp.c:344, 256 bits
                let b_pub_n = (&group.k * &v + group.g.modpow(&b, &group.n)) % &group.n;
                let b_pub = b_pub_n.to_bytes_be();
                let u = srp::compute_u(&cmd.client_pubkey, &b_pub);
                if u == BigUint::ZERO {
                    return Err(Error::DegenerateSrp("u == 0"));
                }
                let s = ((a * v.modpow(&u, &group.n)) % &group.n).modpow(&b, &group.n);
                let key = Zeroizing::new(srp::hash(&[&s.to_bytes_be()]));
                self.state = DeviceState::AwaitCmd1 {
                    username: cmd.client_username,
                    a_pub: cmd.client_pubkey,
                    b_pub: b_pub.clone(),
                    key,
                };
                Ok(encode(
                    Sec2MsgType::S2SessionResponse0,
                    Payload::Sr0(S2SessionResp0 {
                        status: Status::Success as i32,
                        device_pubkey: b_pub,
                        device_salt: self.verifier.salt.clone(),
                    }),
                ))
            }
            Some(Payload::Sc1(cmd)) if msg.msg == Sec2MsgType::S2SessionCommand1 as i32 => {
                let state = std::mem::replace(&mut self.state, DeviceState::AwaitCmd0);
                let DeviceState::AwaitCmd1 {
                    username,
                    a_pub,
                    b_pub,
                    key,
                } = state
                else {
                    return Err(Error::OutOfOrder);
                };
                Error::check_len("client_proof", cmd.client_proof.len(), HASH_LEN)?;
                let group = Group::rfc5054_3072();
                let m = srp::compute_m(
                    &group,
                    &username,
                    &self.verifier.salt,
                    &a_pub,
                    &b_pub,
                    &key[..],
                );
                if !bool::from(m.ct_eq(&cmd.client_proof[..])) {
                    // security2.c:247-254: "Failed to authenticate client proof!"
                    return Err(Error::ClientProofRejected);
                }
                let h_amk = srp::compute_h_amk(&a_pub, &m, &key[..]);
                let mut nonce = [0u8; NONCE_LEN];
                rng.fill_bytes(&mut nonce[..8]);
                nonce[8..].copy_from_slice(&1u32.to_be_bytes());
                self.state =
                    DeviceState::Done(Box::new(Sec2Cipher::new(&key, nonce, self.sec_patch_ver)));
                Ok(encode(
                    Sec2MsgType::S2SessionResponse1,
                    Payload::Sr1(S2SessionResp1 {
                        status: Status::Success as i32,
                        device_proof: h_amk.to_vec(),
                        device_nonce: nonce.to_vec(),
                    }),
                ))
            }
            _ => Err(Error::UnexpectedMessage {
                expected: "sec2 S2SessionCmd0 or S2SessionCmd1",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_counter_stops_with_an_error_instead_of_wrapping_to_a_used_nonce() {
        let mut nonce = [7u8; NONCE_LEN];
        nonce[8..].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut cipher = Sec2Cipher::new(&[1u8; HASH_LEN], nonce, 1);
        assert!(cipher.encrypt(b"last").is_ok());
        assert_eq!(cipher.encrypt(b"one too many"), Err(Error::NonceExhausted));
    }
}
