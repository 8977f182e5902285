//! Byte-for-byte agreement with Espressif's Python client classes, without running Python:
//! the vectors in `kat_vectors.rs` come from `tests/scripts/esp/make_vectors.py`.

use rand_core::{CryptoRng, RngCore};

use super::kat_vectors::*;
use super::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Hands out fixed bytes, so the Rust side draws exactly the secrets the vectors used.
struct FixedRng(Vec<u8>);

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(
            self.0.len() >= dest.len(),
            "the vectors hold no more randomness"
        );
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FixedRng {}

#[test]
fn sec1_client_sends_the_bytes_espressifs_client_sends() {
    let client = Sec1Client::new(&unhex(SEC1_POP), &mut FixedRng(unhex(SEC1_CLIENT_SECRET)));
    assert_eq!(client.command0(), unhex(SEC1_CMD0));
    let (verify, cmd1) = client.on_response0(&unhex(SEC1_RESP0)).unwrap();
    assert_eq!(cmd1, unhex(SEC1_CMD1));
    let mut cipher = verify.on_response1(&unhex(SEC1_RESP1)).unwrap();
    assert_eq!(
        cipher.encrypt(b"hello device").unwrap(),
        unhex(SEC1_REQUEST)
    );
}

#[test]
fn sec1_device_answers_espressifs_client_with_the_expected_bytes() {
    let mut rng = FixedRng(unhex(SEC1_DEVICE_SECRET_AND_RANDOM));
    let mut device = Sec1Device::new(&unhex(SEC1_POP));
    assert_eq!(
        device.handle(&unhex(SEC1_CMD0), &mut rng).unwrap(),
        unhex(SEC1_RESP0)
    );
    assert_eq!(
        device.handle(&unhex(SEC1_CMD1), &mut rng).unwrap(),
        unhex(SEC1_RESP1)
    );
    let plain = device
        .cipher()
        .unwrap()
        .decrypt(&unhex(SEC1_REQUEST))
        .unwrap();
    assert_eq!(plain, b"hello device");
}

#[test]
fn sec1_device_with_another_pop_rejects_espressifs_client() {
    let mut rng = FixedRng(unhex(SEC1_DEVICE_SECRET_AND_RANDOM));
    let mut device = Sec1Device::new(b"abcd1235");
    device.handle(&unhex(SEC1_CMD0), &mut rng).unwrap();
    assert_eq!(
        device.handle(&unhex(SEC1_CMD1), &mut rng),
        Err(Error::ClientProofRejected)
    );
}

#[test]
fn sec2_verifier_equals_the_one_espressifs_srp6a_makes() {
    let v = verifier_with_salt(
        &unhex(SEC2_USERNAME),
        &unhex(SEC2_PASSWORD),
        unhex(SEC2_SALT),
    );
    assert_eq!(v.verifier, unhex(SEC2_VERIFIER));
}

#[test]
fn sec2_client_sends_the_bytes_espressifs_client_sends() {
    let mut rng = FixedRng(unhex(SEC2_CLIENT_SECRET));
    let client =
        Sec2Client::new(&unhex(SEC2_USERNAME), &unhex(SEC2_PASSWORD), 1, &mut rng).unwrap();
    assert_eq!(client.command0(), unhex(SEC2_CMD0));
    let (verify, cmd1) = client.on_response0(&unhex(SEC2_RESP0)).unwrap();
    assert_eq!(cmd1, unhex(SEC2_CMD1));
    let mut cipher = verify.on_response1(&unhex(SEC2_RESP1)).unwrap();
    assert_eq!(
        cipher.encrypt(b"hello device").unwrap(),
        unhex(SEC2_REQUEST1)
    );
    assert_eq!(
        cipher.encrypt(b"hello device").unwrap(),
        unhex(SEC2_REQUEST2)
    );
}

#[test]
fn sec2_device_answers_espressifs_client_with_the_expected_bytes() {
    let verifier = Sec2Verifier {
        salt: unhex(SEC2_SALT),
        verifier: unhex(SEC2_VERIFIER),
    };
    let mut rng = FixedRng(unhex(SEC2_DEVICE_SECRET_AND_NONCE));
    let mut device = Sec2Device::new(verifier, 1);
    assert_eq!(
        device.handle(&unhex(SEC2_CMD0), &mut rng).unwrap(),
        unhex(SEC2_RESP0)
    );
    assert_eq!(
        device.handle(&unhex(SEC2_CMD1), &mut rng).unwrap(),
        unhex(SEC2_RESP1)
    );
    let cipher = device.cipher().unwrap();
    assert_eq!(
        cipher.decrypt(&unhex(SEC2_REQUEST1)).unwrap(),
        b"hello device"
    );
    assert_eq!(
        cipher.decrypt(&unhex(SEC2_REQUEST2)).unwrap(),
        b"hello device"
    );
    // The counter moved on to 3: replaying request 1 (counter 1) fails.
    assert_eq!(
        cipher.decrypt(&unhex(SEC2_REQUEST1)),
        Err(Error::DecryptFailed)
    );
}

#[test]
fn sec2_device_holding_another_password_rejects_espressifs_client() {
    let verifier = verifier_with_salt(&unhex(SEC2_USERNAME), b"abcd1235", unhex(SEC2_SALT));
    let mut rng = FixedRng(unhex(SEC2_DEVICE_SECRET_AND_NONCE));
    let mut device = Sec2Device::new(verifier, 1);
    device.handle(&unhex(SEC2_CMD0), &mut rng).unwrap();
    assert_eq!(
        device.handle(&unhex(SEC2_CMD1), &mut rng),
        Err(Error::ClientProofRejected)
    );
}
