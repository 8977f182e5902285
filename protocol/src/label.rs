//! The accessory's label: one line of text, printed as a QR code, that carries everything a
//! provisioning client needs to find the accessory, know its key, and prove possession of it.
//!
//! ```text
//! ACCESSORY:v1;id=PLUG-0042;ssid=Accessory-0042;key=sha256/BASE64;pop=CODE;crc=1A2B3C4D
//! ```
//!
//! - `ACCESSORY:` names the format, `v1` its version. A reader refuses another version
//!   ([`LabelError::UnsupportedVersion`]) before reading anything else: a later version may lay out
//!   its fields, or checksum them, differently, and guessing would be worse than refusing.
//! - Fields are `name=value`, separated by `;`, in this order, each exactly once; v1 knows no others.
//!   Values are percent-encoded (RFC 3986, upper-case hex) outside letters, digits and `-._~/+:=`,
//!   so an SSID may hold any byte (`;`, `=`, `%`, spaces, UTF-8).
//! - `key` is the SHA-256 of the leaf's SubjectPublicKeyInfo as a pin, `sha256/BASE64`: the form
//!   `--pin` and `--expect-fingerprint` take. A key, not a certificate, so renewing the certificate
//!   with the same key keeps the label true.
//! - `crc` is the CRC-32 (IEEE 802.3, the one zlib and PNG use) of every byte before `;crc=`, as 8
//!   upper-case hex digits. A CRC, not a truncated hash: a label is protected against misreading and
//!   mistyping, not against forgery (whoever prints a label can compute any checksum), and a CRC-32
//!   detects *every* error burst up to 32 bits long, so every single-character change is caught,
//!   where a 32-bit truncated SHA-256 misses one in 2^32. The QR code's own Reed-Solomon code
//!   protects the image; the CRC protects the text when it is copied, typed or OCR'd.
//!
//! docs/labels.md has the reasoning (esp_prov's and Matter's payloads) and what a label shows.

use std::fmt;

/// What every label begins with.
pub const PREFIX: &str = "ACCESSORY:";
/// The version this module writes and reads.
pub const VERSION: u32 = 1;
/// The longest payload read: a v1 label is under 200 bytes; anything much longer is not one.
pub const MAX_LEN: usize = 1024;

/// What one label says.
#[derive(Clone, PartialEq, Eq)]
pub struct Label {
    /// The device id (letters, digits, hyphens), what the certificate names and the accessory reports.
    pub device_id: String,
    /// The SSID of the accessory's SoftAP (1 to 32 bytes).
    pub ssid: String,
    /// SHA-256 of the leaf certificate's SubjectPublicKeyInfo.
    pub key_sha256: [u8; 32],
    /// The proof-of-possession code ([`crate::pop::validate_code`]). A secret: it is never printed by
    /// `Debug`.
    pub pop: String,
}

impl Drop for Label {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pop);
    }
}

// By hand, so that the PoP code never reaches a log.
impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Label")
            .field("device_id", &self.device_id)
            .field("ssid", &self.ssid)
            .field("key", &self.key_pin())
            .finish_non_exhaustive()
    }
}

/// Why a payload is not a label this reader accepts. Each variant has a stable [`code`](LabelError::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// It does not begin with [`PREFIX`] and a version.
    #[error("not an accessory label: it should begin with `{PREFIX}v1;`")]
    NotALabel,
    /// Longer than [`MAX_LEN`].
    #[error("not an accessory label: {len} bytes, a label is at most {MAX_LEN}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A version this reader does not know.
    #[error("label version `{version}` is not supported: this reader knows v{VERSION} only; use a newer `accessory`")]
    UnsupportedVersion {
        /// The version as written (`v2`).
        version: String,
    },
    /// No checksum, or one that does not match the text: the label was misread or mistyped.
    #[error("the label's checksum {reason}: it was misread or mistyped; scan or copy it again")]
    Checksum {
        /// What is wrong: `is missing`, `is not 8 hex digits`, or `is X, the text's is Y`.
        reason: String,
    },
    /// A field v1 requires is absent.
    #[error("the label has no `{field}` field")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A field v1 does not define, or one given twice, or out of order.
    #[error("the label's field `{field}` is not expected here (v1 fields: id, ssid, key, pop, in that order)")]
    UnexpectedField {
        /// The field as written.
        field: String,
    },
    /// A field whose value cannot be used.
    #[error("the label's `{field}` is invalid: {reason}")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl LabelError {
    /// The stable code: `label.not_a_label`, `label.unsupported_version`, `label.checksum`,
    /// `label.missing_field`, `label.unexpected_field`, `label.invalid_field`.
    pub fn code(&self) -> &'static str {
        match self {
            LabelError::NotALabel | LabelError::TooLong { .. } => "label.not_a_label",
            LabelError::UnsupportedVersion { .. } => "label.unsupported_version",
            LabelError::Checksum { .. } => "label.checksum",
            LabelError::MissingField { .. } => "label.missing_field",
            LabelError::UnexpectedField { .. } => "label.unexpected_field",
            LabelError::InvalidField { .. } => "label.invalid_field",
        }
    }
}

const FIELDS: [&str; 4] = ["id", "ssid", "key", "pop"];

impl Label {
    /// The key as a pin, `sha256/BASE64`.
    pub fn key_pin(&self) -> String {
        use base64::Engine as _;
        format!(
            "sha256/{}",
            base64::engine::general_purpose::STANDARD.encode(self.key_sha256)
        )
    }

    /// The payload: what `label.txt` holds and the QR code encodes (no line end).
    pub fn payload(&self) -> String {
        let body = format!(
            "{PREFIX}v{VERSION};id={};ssid={};key={};pop={}",
            escape(&self.device_id),
            escape(&self.ssid),
            self.key_pin(),
            escape(&self.pop)
        );
        let crc = crc32(body.as_bytes());
        format!("{body};crc={crc:08X}")
    }

    /// Reads a payload. Surrounding whitespace (a file's line end) is ignored; nothing else is.
    pub fn parse(text: &str) -> Result<Label, LabelError> {
        let text = text.trim();
        if text.len() > MAX_LEN {
            return Err(LabelError::TooLong { len: text.len() });
        }
        let rest = text.strip_prefix(PREFIX).ok_or(LabelError::NotALabel)?;
        let version = rest.split(';').next().unwrap_or_default();
        if version != format!("v{VERSION}") {
            let looks_versioned = version.len() > 1
                && version.starts_with('v')
                && version[1..].bytes().all(|b| b.is_ascii_digit());
            return Err(match looks_versioned {
                true => LabelError::UnsupportedVersion {
                    version: version.to_owned(),
                },
                false => LabelError::NotALabel,
            });
        }
        let Some(at) = text.rfind(";crc=") else {
            return Err(LabelError::Checksum {
                reason: "is missing".into(),
            });
        };
        let (body, written) = (&text[..at], &text[at + ";crc=".len()..]);
        let written = match (written.len(), u32::from_str_radix(written, 16)) {
            // Upper case only, as written: `1a2b...` for `1A2B...` is a corruption too.
            (8, Ok(v))
                if written
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')) =>
            {
                v
            }
            _ => {
                return Err(LabelError::Checksum {
                    reason: "is not 8 upper-case hex digits".into(),
                })
            }
        };
        let computed = crc32(body.as_bytes());
        if written != computed {
            return Err(LabelError::Checksum {
                reason: format!("is {written:08X}, the text's is {computed:08X}"),
            });
        }
        // The version was checked: the fields follow it.
        let fields = body[PREFIX.len() + version.len()..]
            .strip_prefix(';')
            .unwrap_or_default();
        let mut values: Vec<String> = Vec::with_capacity(FIELDS.len());
        for (i, field) in fields.split(';').filter(|f| !f.is_empty()).enumerate() {
            let (name, value) = field.split_once('=').unwrap_or((field, ""));
            if FIELDS.get(i) != Some(&name) {
                return Err(match FIELDS.iter().position(|f| *f == name) {
                    Some(p) if p > i => LabelError::MissingField { field: FIELDS[i] },
                    _ => LabelError::UnexpectedField {
                        field: name.to_owned(),
                    },
                });
            }
            values.push(unescape(value).map_err(|reason| LabelError::InvalidField {
                field: FIELDS[i],
                reason,
            })?);
        }
        if let Some(missing) = FIELDS.get(values.len()) {
            return Err(LabelError::MissingField { field: missing });
        }
        let [device_id, ssid, key, pop] = <[String; 4]>::try_from(values).expect("four fields");
        let invalid = |field, reason: String| LabelError::InvalidField { field, reason };
        validate_device_id(&device_id).map_err(|r| invalid("id", r))?;
        crate::validate_ssid(&ssid).map_err(|e| invalid("ssid", e.to_string()))?;
        let key_sha256 = parse_key(&key).map_err(|r| invalid("key", r))?;
        crate::pop::validate_code(&pop).map_err(|r| invalid("pop", r.to_owned()))?;
        Ok(Label {
            device_id,
            ssid,
            key_sha256,
            pop,
        })
    }
}

/// A device id as the certificates name it: 1 to 64 letters, digits and hyphens.
fn validate_device_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err(format!("{} characters; a device id has 1 to 64", id.len()));
    }
    match id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        Some(c) => Err(format!(
            "{c:?} is not a letter, digit or hyphen (a device id is made of those)"
        )),
        None => Ok(()),
    }
}

fn parse_key(key: &str) -> Result<[u8; 32], String> {
    use base64::Engine as _;
    let b64 = key
        .strip_prefix("sha256/")
        .ok_or_else(|| "not a pin `sha256/BASE64`".to_owned())?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("not base64: {e}"))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("{} bytes; a SHA-256 is 32", bytes.len()))
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/+:=".contains(&b)
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if is_plain(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = value
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .ok_or_else(|| format!("`%` at byte {i} is not followed by two hex digits"))?;
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 3;
            }
            b if is_plain(b) => {
                out.push(b);
                i += 1;
            }
            b => return Err(format!("byte {b:#04x} must be percent-encoded")),
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 once decoded".to_owned())
}

/// CRC-32 as IEEE 802.3, zlib and PNG compute it (reflected, polynomial 0xEDB88320, initial and
/// final XOR 0xFFFFFFFF). Bitwise: a label is a few hundred bytes, and a table or a crate would buy
/// nothing here. Its check value, CRC-32("123456789") = 0xCBF43926, is tested below.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label() -> Label {
        Label {
            device_id: "PLUG-0042".into(),
            ssid: "Accessory-0042".into(),
            key_sha256: [0x3f; 32],
            pop: "K7Q2M9XW4TPA8D3R".into(),
        }
    }

    #[test]
    fn crc32_has_the_standard_check_value() {
        // The "check" value of CRC-32/ISO-HDLC in every CRC catalogue (and `python3 -c 'import
        // zlib; print(hex(zlib.crc32(b"123456789")))'`).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn a_label_round_trips_through_its_payload() {
        let l = label();
        let text = l.payload();
        assert!(
            text.starts_with("ACCESSORY:v1;id=PLUG-0042;ssid=Accessory-0042;key=sha256/Pz8/"),
            "{text}"
        );
        assert_eq!(Label::parse(&text).unwrap(), l);
        assert_eq!(Label::parse(&format!("  {text}\n")).unwrap(), l);
    }

    #[test]
    fn an_ssid_and_code_of_any_characters_round_trip() {
        let mut l = label();
        for ssid in ["a;b=c%d", "Café Wi-Fi", " ", "x/y+z:~", "\u{1F4A1}lamp"] {
            l.ssid = ssid.into();
            l.pop = "p;o=p%20 ok".into();
            let text = l.payload();
            assert_eq!(text.matches(';').count(), 5, "{text}");
            assert_eq!(Label::parse(&text).unwrap(), l, "{text}");
        }
    }

    /// A small deterministic generator (xorshift64*): the same labels on every run, no dependency.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn pick<T: Copy>(&mut self, from: &[T]) -> T {
            from[(self.next() % from.len() as u64) as usize]
        }
        fn text(&mut self, from: &[char], min: usize, max: usize, max_bytes: usize) -> String {
            let len = min + (self.next() as usize % (max - min + 1));
            let mut s = String::new();
            while s.chars().count() < len {
                let c = self.pick(from);
                if s.len() + c.len_utf8() > max_bytes {
                    break;
                }
                s.push(c);
            }
            s
        }
    }

    #[test]
    fn ten_thousand_generated_labels_round_trip() {
        let id_chars: Vec<char> = "ABCXYZ019-".chars().collect();
        let any: Vec<char> = "aZ09 ;=%/+:~._-&?#\"'\u{e9}\u{4e16}\u{1F4A1}\t"
            .chars()
            .collect();
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        for _ in 0..10_000 {
            let mut key_sha256 = [0u8; 32];
            key_sha256.iter_mut().for_each(|b| *b = g.next() as u8);
            let mut l = Label {
                device_id: g.text(&id_chars, 1, 64, 64),
                ssid: g.text(&any, 1, 32, 32),
                key_sha256,
                pop: g.text(&any, 6, 62, 256),
            };
            l.pop = l.pop.replace('\t', "x");
            if l.pop.trim() != l.pop {
                l.pop = format!("x{}x", l.pop.trim());
            }
            let text = l.payload();
            assert_eq!(Label::parse(&text).as_ref(), Ok(&l), "{text}");
            assert!(text.len() <= MAX_LEN, "{}", text.len());
        }
    }

    #[test]
    fn every_single_character_corruption_is_caught() {
        let text = label().payload();
        let alphabet: Vec<char> =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-=;:/+%._~ "
                .chars()
                .collect();
        let mut tried = 0;
        for (i, original) in text.char_indices() {
            for &c in &alphabet {
                if c == original {
                    continue;
                }
                let mut bad = text.clone();
                bad.replace_range(i..i + original.len_utf8(), &c.to_string());
                // Whitespace at either end is ignored by design: it is not a corruption.
                if bad.trim() != bad {
                    continue;
                }
                tried += 1;
                let err = Label::parse(&bad).expect_err(&bad);
                // In the prefix or version it is not (this version of) a label; anywhere else the
                // checksum catches it.
                if i >= PREFIX.len() + 3 {
                    assert_eq!(err.code(), "label.checksum", "{bad}: {err}");
                }
            }
        }
        assert!(tried > 5000, "{tried}");
    }

    #[test]
    fn a_later_version_is_refused_not_guessed() {
        let text = label().payload().replace("v1;", "v2;");
        let err = Label::parse(&text).unwrap_err();
        assert_eq!(err.code(), "label.unsupported_version");
        assert!(err.to_string().contains("v2"), "{err}");
        // Even with a checksum that is right for the new text, and fields v1 never had.
        let body = "ACCESSORY:v2;id=X;colour=red";
        let v2 = format!("{body};crc={:08X}", crc32(body.as_bytes()));
        assert_eq!(
            Label::parse(&v2).unwrap_err().code(),
            "label.unsupported_version"
        );
        assert_eq!(
            Label::parse("ACCESSORY:vX;id=1").unwrap_err().code(),
            "label.not_a_label"
        );
        assert_eq!(
            Label::parse("WIFI:S:Home;T:WPA;P:x;;").unwrap_err().code(),
            "label.not_a_label"
        );
    }

    fn sealed(body: &str) -> String {
        format!("{body};crc={:08X}", crc32(body.as_bytes()))
    }

    #[test]
    fn fields_missing_unexpected_or_invalid_are_named() {
        let key = label().key_pin();
        let cases = [
            (
                format!("ACCESSORY:v1;id=A;ssid=S;key={key}"),
                "label.missing_field",
                "pop",
            ),
            (
                format!("ACCESSORY:v1;id=A;key={key};pop=12345678"),
                "label.missing_field",
                "ssid",
            ),
            (
                format!("ACCESSORY:v1;id=A;ssid=S;key={key};pop=12345678;colour=red"),
                "label.unexpected_field",
                "colour",
            ),
            (
                format!("ACCESSORY:v1;id=A;id=A;ssid=S;key={key};pop=12345678"),
                "label.unexpected_field",
                "id",
            ),
            (
                format!("ACCESSORY:v1;id=A_B;ssid=S;key={key};pop=12345678"),
                "label.invalid_field",
                "id",
            ),
            (
                format!("ACCESSORY:v1;id=A;ssid=;key={key};pop=12345678"),
                "label.invalid_field",
                "ssid",
            ),
            (
                "ACCESSORY:v1;id=A;ssid=S;key=sha256/AAAA;pop=12345678".into(),
                "label.invalid_field",
                "key",
            ),
            (
                format!("ACCESSORY:v1;id=A;ssid=S;key={key};pop=1"),
                "label.invalid_field",
                "pop",
            ),
            (
                format!("ACCESSORY:v1;id=A;ssid=S%2;key={key};pop=12345678"),
                "label.invalid_field",
                "ssid",
            ),
        ];
        for (body, code, field) in cases {
            let err = Label::parse(&sealed(&body)).unwrap_err();
            assert_eq!(err.code(), code, "{body}: {err}");
            assert!(err.to_string().contains(field), "{body}: {err}");
        }
        let no_crc = format!("ACCESSORY:v1;id=A;ssid=S;key={key};pop=12345678");
        assert_eq!(Label::parse(&no_crc).unwrap_err().code(), "label.checksum");
        let long = format!("ACCESSORY:v1;{}", "x".repeat(MAX_LEN));
        assert_eq!(Label::parse(&long).unwrap_err().code(), "label.not_a_label");
    }

    #[test]
    fn debug_never_shows_the_pop_code() {
        let text = format!("{:?}", label());
        assert!(!text.contains("K7Q2M9XW4TPA8D3R"), "{text}");
        assert!(text.contains("PLUG-0042"), "{text}");
    }
}
