//! The WPA pre-shared key, as an access point stores it and a station derives it.

use zeroize::Zeroize;

/// A 32-byte WPA PSK, wiped from memory when dropped. Compared in constant time.
#[derive(Clone)]
pub struct Psk([u8; 32]);

impl Psk {
    /// A PSK from its 64 hex digits (as a registry entry or `hostapd.conf` spells it).
    pub fn from_hex(hex: &str) -> Option<Psk> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex, &mut out).ok()?;
        Some(Psk(out))
    }

    /// The 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for Psk {
    /// Without an early exit.
    fn eq(&self, other: &Psk) -> bool {
        self.0
            .iter()
            .zip(other.0)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for Psk {}

impl std::fmt::Debug for Psk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Psk(..)")
    }
}

impl Drop for Psk {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The PSK of a passphrase on a network (IEEE 802.11i annex H.4): 64 hex digits are the PSK
/// itself; anything else is PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 rounds, 32 bytes). Two
/// spellings of one key (the passphrase and its hex PSK) give the same [`Psk`].
pub fn wpa_psk(passphrase: &str, ssid: &str) -> Psk {
    if passphrase.len() == 64 {
        if let Some(psk) = Psk::from_hex(passphrase) {
            return psk;
        }
    }
    let mut out = Psk([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase.as_bytes(), ssid.as_bytes(), 4096, &mut out.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IEEE 802.11i-2004 annex H.4.3, first vector.
    const IEEE_VECTOR: &str = "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e";

    #[test]
    fn the_psk_matches_the_ieee_802_11i_test_vector() {
        assert_eq!(wpa_psk("password", "IEEE").to_hex(), IEEE_VECTOR);
    }

    #[test]
    fn a_hex_psk_and_its_passphrase_are_the_same_key() {
        assert_eq!(wpa_psk(IEEE_VECTOR, "IEEE"), wpa_psk("password", "IEEE"));
        assert_eq!(
            wpa_psk(&IEEE_VECTOR.to_uppercase(), "other ssid"),
            wpa_psk("password", "IEEE")
        );
        assert_ne!(wpa_psk("passwort", "IEEE"), wpa_psk("password", "IEEE"));
        assert_ne!(wpa_psk("password", "IEEF"), wpa_psk("password", "IEEE"));
        assert!(Psk::from_hex("abc").is_none());
    }
}
