//! The network rules both ends apply before anything is joined: the SSID's length, the passphrase's
//! form, and the kinds of security a home network may have.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest SSID, in bytes (IEEE 802.11: the SSID element holds 0 to 32 octets; an empty one is
/// the wildcard and names no network).
pub const SSID_MAX_LEN: usize = 32;

/// How a home network is secured: the `security` member of `PUT /v1/network`, of `GET
/// /v1/networks` entries and of a SoftAP registry entry, spelled the same in JSON, in
/// [`Display`](fmt::Display) and in [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// No passphrase.
    Open,
    /// WPA2-Personal.
    Wpa2Psk,
    /// WPA3-Personal (SAE).
    Wpa3Sae,
    /// WPA2/WPA3 transition mode.
    Wpa2Wpa3,
}

impl Security {
    /// Every kind, in the order help texts list them.
    pub const ALL: [Security; 4] = [
        Security::Open,
        Security::Wpa2Psk,
        Security::Wpa3Sae,
        Security::Wpa2Wpa3,
    ];

    /// The spelling on the wire and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Security::Open => "open",
            Security::Wpa2Psk => "wpa2-psk",
            Security::Wpa3Sae => "wpa3-sae",
            Security::Wpa2Wpa3 => "wpa2-wpa3",
        }
    }

    /// Whether joining takes a passphrase (every kind but [`Security::Open`]).
    pub const fn needs_passphrase(self) -> bool {
        !matches!(self, Security::Open)
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A security kind that is none of [`Security::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("security `{0}` is not one of open, wpa2-psk, wpa3-sae, wpa2-wpa3")]
pub struct ParseSecurityError(pub String);

impl FromStr for Security {
    type Err = ParseSecurityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Security::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ParseSecurityError(s.to_owned()))
    }
}

/// What is wrong with an SSID or a passphrase. The messages never contain the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// An SSID of 0 or more than 32 bytes.
    #[error("an SSID is 1 to 32 bytes, this one is {0}")]
    SsidLength(usize),
    /// A passphrase of the wrong length: this many characters.
    #[error("a passphrase is 8 to 63 printable ASCII characters or 64 hex digits; this one has {0} characters")]
    PassphraseLength(usize),
    /// A passphrase with a character outside printable ASCII (32 to 126), or 64 characters that
    /// are not all hex digits.
    #[error("a passphrase is 8 to 63 printable ASCII characters or 64 hex digits; this one has another character")]
    PassphraseCharacters,
}

/// An SSID is 1 to [`SSID_MAX_LEN`] bytes (of any value: IEEE 802.11 does not require UTF-8).
pub fn validate_ssid(ssid: &str) -> Result<(), NetworkError> {
    if ssid.is_empty() || ssid.len() > SSID_MAX_LEN {
        return Err(NetworkError::SsidLength(ssid.len()));
    }
    Ok(())
}

/// The IEEE 802.11 rule (802.11-2020 annex J.4.1): a passphrase is 8 to 63 ASCII characters each
/// from 32 to 126, or exactly 64 hex digits, which are the PSK itself. A character outside
/// printable ASCII (an accent, a tab) is refused even when the length fits, because the PSK
/// derivation is defined on those characters only and devices disagree on anything else.
pub fn validate_passphrase(passphrase: &str) -> Result<(), NetworkError> {
    let chars = passphrase.chars().count();
    if chars == 64 {
        return if passphrase.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(())
        } else {
            Err(NetworkError::PassphraseCharacters)
        };
    }
    if !(8..=63).contains(&chars) {
        return Err(NetworkError::PassphraseLength(chars));
    }
    if !passphrase.bytes().all(|b| (32..=126).contains(&b)) {
        return Err(NetworkError::PassphraseCharacters);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_kinds_read_and_print_as_the_wire_spells_them() {
        for kind in Security::ALL {
            assert_eq!(kind.to_string().parse::<Security>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        assert_eq!(
            serde_json::from_str::<Security>("\"wpa2-wpa3\"").unwrap(),
            Security::Wpa2Wpa3
        );
        assert!("wep".parse::<Security>().is_err());
        assert!("WPA2-PSK".parse::<Security>().is_err());
    }

    #[test]
    fn an_ssid_is_one_to_thirty_two_bytes() {
        assert!(validate_ssid("a").is_ok());
        assert!(validate_ssid(&"a".repeat(32)).is_ok());
        assert_eq!(validate_ssid(""), Err(NetworkError::SsidLength(0)));
        assert_eq!(
            validate_ssid(&"a".repeat(33)),
            Err(NetworkError::SsidLength(33))
        );
        // 11 characters, 33 bytes.
        assert_eq!(
            validate_ssid(&"\u{20ac}".repeat(11)),
            Err(NetworkError::SsidLength(33))
        );
    }

    #[test]
    fn passphrases_follow_the_ieee_802_11_rule() {
        assert!(validate_passphrase("12345678").is_ok());
        assert!(validate_passphrase(&"a".repeat(63)).is_ok());
        assert!(validate_passphrase(" ~ spaces and tildes ~ ").is_ok());
        assert!(validate_passphrase(&"ab".repeat(32)).is_ok());
        assert!(validate_passphrase(&"AB".repeat(32)).is_ok());
        assert_eq!(
            validate_passphrase("1234567"),
            Err(NetworkError::PassphraseLength(7))
        );
        assert_eq!(
            validate_passphrase(&"a".repeat(65)),
            Err(NetworkError::PassphraseLength(65))
        );
        assert_eq!(
            validate_passphrase(&"g".repeat(64)),
            Err(NetworkError::PassphraseCharacters)
        );
    }

    #[test]
    fn passphrases_the_two_old_rules_disagreed_on_are_refused() {
        // The client counted characters and took anything; the simulator took printable ASCII
        // bytes. These passed the first and failed the second: all fail now, on both sides.
        for p in [
            "12345678\u{e9}",             // 9 characters, 10 bytes, an accent
            "p\u{e4}ssw\u{f6}rd",         // 8 characters, umlauts
            "tab\there-ok",               // a control character
            &"\u{e9}".repeat(40),         // 40 characters, 80 bytes
            &("a".repeat(62) + "\u{e9}"), // 63 characters, 64 bytes
        ] {
            assert_eq!(
                validate_passphrase(p),
                Err(NetworkError::PassphraseCharacters),
                "{p:?}"
            );
        }
        // 64 characters of which one is not a hex digit: neither a passphrase nor a PSK.
        assert_eq!(
            validate_passphrase(&("a".repeat(63) + "\u{e9}")),
            Err(NetworkError::PassphraseCharacters)
        );
    }

    #[test]
    fn length_errors_count_characters_and_never_show_the_passphrase() {
        let e = validate_passphrase("s\u{e9}cret").unwrap_err().to_string();
        assert!(e.contains("6 characters"), "{e}");
        assert!(!e.contains("cret"), "{e}");
    }
}
