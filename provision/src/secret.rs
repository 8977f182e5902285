//! A credential held in memory: the home network passphrase, the proof-of-possession code.
//!
//! The value is wiped when dropped (`zeroize`), prints as `Secret(..)` in Debug output whatever the
//! verbosity, and has no `Display` and no `Serialize`: the only way to reach the bytes is
//! [`Secret::expose`], which the flow calls at the one place a credential leaves the process (the
//! body of `PUT /v1/network`, the HMAC key of the proof of possession), after the peer was verified.

use std::fmt;

use zeroize::Zeroizing;

/// A credential, wiped on drop, never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a credential. Trailing newline characters (what `echo pass > file` leaves) are removed,
    /// nothing else: a passphrase may begin or end with spaces.
    pub fn new(mut value: String) -> Self {
        while value.ends_with('\n') || value.ends_with('\r') {
            value.pop();
        }
        Self(Zeroizing::new(value))
    }

    /// The credential itself. Call only where it is about to be sent to a verified peer.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in characters (for validation messages that must not show the value).
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_value() {
        let s = Secret::new("hunter2-correct-horse".to_owned());
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(format!("{s:#?}"), "Secret(..)");
    }

    #[test]
    fn trailing_newlines_from_a_file_are_removed_but_spaces_are_kept() {
        assert_eq!(
            Secret::new(" pass word \r\n".into()).expose(),
            " pass word "
        );
    }
}
