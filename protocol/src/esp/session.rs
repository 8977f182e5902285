//! The data-phase cipher of either scheme and the device's one-session-at-a-time state machine.

use rand_core::CryptoRngCore;

use super::envelope::SessionCipher;
use super::error::Result;
use super::sec1::{Sec1Cipher, Sec1Device};
use super::sec2::{Sec2Cipher, Sec2Device};
use super::srp::Sec2Verifier;
use super::version::SecurityScheme;

/// The data-phase cipher of either scheme.
#[derive(Debug)]
#[non_exhaustive]
pub enum Cipher {
    /// Security 1: one AES-256-CTR keystream.
    Sec1(Sec1Cipher),
    /// Security 2: AES-256-GCM with the device's nonce.
    Sec2(Sec2Cipher),
}

impl SessionCipher for Cipher {
    fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        match self {
            Cipher::Sec1(c) => c.encrypt(plaintext),
            Cipher::Sec2(c) => c.encrypt(plaintext),
        }
    }

    fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        match self {
            Cipher::Sec1(c) => c.decrypt(ciphertext),
            Cipher::Sec2(c) => c.decrypt(ciphertext),
        }
    }
}

/// What a device needs to run the `prov-session` handshake. There is no security 0.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeviceSecurity {
    /// Security 1 with a proof of possession (empty: none, the `no_pop` capability).
    Sec1 {
        /// The proof of possession printed on the device.
        pop: Vec<u8>,
    },
    /// Security 2 with a stored SRP6a salt and verifier.
    Sec2 {
        /// The salt and verifier made from the username and password.
        verifier: Sec2Verifier,
        /// `sec_patch_ver` the device advertises: 1 or more selects the counter nonce.
        sec_patch_ver: u32,
    },
}

impl DeviceSecurity {
    /// The scheme this configuration speaks.
    pub fn scheme(&self) -> SecurityScheme {
        match self {
            DeviceSecurity::Sec1 { .. } => SecurityScheme::Sec1,
            DeviceSecurity::Sec2 { .. } => SecurityScheme::Sec2,
        }
    }
}

/// The device side of one protocomm session: the handshake, then encryption of the endpoints.
///
/// Every `Err` means what it means on ESP-IDF: close the socket without an HTTP response.
#[derive(Debug)]
pub struct DeviceSession {
    inner: DeviceInner,
}

#[derive(Debug)]
enum DeviceInner {
    Sec1(Box<Sec1Device>),
    Sec2(Sec2Device),
}

impl DeviceSession {
    /// A fresh session; ESP-IDF makes one for every new cookie (`protocomm_httpd.c:81-113`).
    pub fn new(security: &DeviceSecurity) -> Self {
        let inner = match security {
            DeviceSecurity::Sec1 { pop } => DeviceInner::Sec1(Box::new(Sec1Device::new(pop))),
            DeviceSecurity::Sec2 {
                verifier,
                sec_patch_ver,
            } => DeviceInner::Sec2(Sec2Device::new(verifier.clone(), *sec_patch_ver)),
        };
        DeviceSession { inner }
    }

    /// Handles one `prov-session` request body and returns the response body.
    pub fn handle_session(&mut self, body: &[u8], rng: &mut impl CryptoRngCore) -> Result<Vec<u8>> {
        match &mut self.inner {
            DeviceInner::Sec1(d) => d.handle(body, rng),
            DeviceInner::Sec2(d) => d.handle(body, rng),
        }
    }

    /// Whether the handshake has finished and endpoints may be used.
    pub fn is_established(&self) -> bool {
        match &self.inner {
            DeviceInner::Sec1(d) => d.is_established(),
            DeviceInner::Sec2(d) => d.is_established(),
        }
    }
}

impl SessionCipher for DeviceSession {
    fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        match &mut self.inner {
            DeviceInner::Sec1(d) => d.cipher()?.encrypt(plaintext),
            DeviceInner::Sec2(d) => d.cipher()?.encrypt(plaintext),
        }
    }

    fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        match &mut self.inner {
            DeviceInner::Sec1(d) => d.cipher()?.decrypt(ciphertext),
            DeviceInner::Sec2(d) => d.cipher()?.decrypt(ciphertext),
        }
    }
}
