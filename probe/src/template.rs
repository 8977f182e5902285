//! The captured ClientHellos the platform profiles send (`probe/data/*.hex`, sources in
//! docs/client-profiles.md), and reading a capture to replay (`probe --client-hello FILE`).

use serde::Serialize;

use crate::hello::{bad, ClientHello};
use crate::Error;

/// A captured ClientHello that a profile sends, with where it came from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Template {
    /// The profile it belongs to (`ios26`).
    pub profile: &'static str,
    /// Where the bytes come from (tool, version, entry, date).
    pub source: &'static str,
    #[serde(skip)]
    hex: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        profile: "ios26",
        source: "testssl.sh 3.3dev (9fdf8028, 2026-06-25) etc/client-simulation.txt, \
                 \"Safari 26.4 (iOS+iPadOS 26.4)\", JA4 t13d2013h2_a09f3c656075_7f0f34a4126d",
        hex: include_str!("../data/ios26.hex"),
    },
    Template {
        profile: "ios18",
        source: "testssl.sh 3.3dev (9fdf8028, 2026-06-25) etc/client-simulation.txt, \
                 \"Safari 18.4 (iOS 18.4)\", JA4 t13d2014h2_a09f3c656075_e42f34c56612",
        hex: include_str!("../data/ios18.hex"),
    },
    Template {
        profile: "android",
        source: "testssl.sh 3.3dev (9fdf8028, 2026-06-25) etc/client-simulation.txt, \
                 \"Android 13/14 (native)\", JA4 t13d1713h1_5b57614c22b0_352634941f3a",
        hex: include_str!("../data/android.hex"),
    },
];

impl Template {
    /// The template of `profile`, if it has one (the diagnostic profiles do not).
    pub fn of(profile: &str) -> Option<&'static Template> {
        TEMPLATES.iter().find(|t| t.profile == profile)
    }

    /// The captured ClientHello as it was recorded.
    pub fn captured(&self) -> ClientHello {
        ClientHello::parse(&decode_hex(self.hex).expect("template hex"))
            .expect("template is a ClientHello")
    }
}

/// Reads a captured ClientHello from a file's bytes: a classic pcap (the first TLS stream's first
/// record, reassembled from its TCP segments), the raw record, or hex text (whitespace, `0x` and
/// `:` separators ignored).
pub fn read_capture(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    if crate::pcap::is_pcap(bytes) {
        return crate::pcap::client_hello(bytes);
    }
    if crate::pcap::is_pcapng(bytes) {
        return Err(bad(
            "pcapng is not read: convert it with `editcap -F pcap in.pcapng out.pcap`",
        ));
    }
    if bytes.first() == Some(&22) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| bad("neither a TLS record (first byte 22) nor hex text"))?;
    let cleaned: String = text
        .replace("0x", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    decode_hex(&cleaned).ok_or_else(|| bad("the hex text has a character that is not hex"))
}

/// Reads a captured ClientHello from a file (`accessory probe --client-hello FILE`): [`read_capture`]
/// of its bytes, checked to parse as a ClientHello. The record is returned byte for byte.
pub fn read_capture_file(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    // Bounded: a capture of one handshake is kilobytes; `/dev/zero` is refused, not read forever.
    let bytes =
        trust::read_file_bounded(path, 16 << 20).map_err(|io| Error::CaptureUnreadable {
            path: path.to_owned(),
            io,
        })?;
    let record = read_capture(&bytes).and_then(|r| ClientHello::parse(&r).map(|_| r));
    record.map_err(|e| Error::Capture {
        path: path.to_owned(),
        error: Box::new(e),
    })
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hello::ClientHello;

    #[test]
    fn every_template_parses_and_puts_itself_back_together_byte_for_byte() {
        for t in TEMPLATES {
            let raw = decode_hex(t.hex).unwrap();
            let hello = ClientHello::parse(&raw).unwrap();
            assert_eq!(hello.to_record(), raw, "{}", t.profile);
        }
    }

    #[test]
    fn hex_and_raw_captures_are_both_read() {
        let raw = decode_hex(Template::of("android").unwrap().hex).unwrap();
        assert_eq!(read_capture(&raw).unwrap(), raw);
        let text = Template::of("android").unwrap().hex;
        assert_eq!(read_capture(text.as_bytes()).unwrap(), raw);
        assert!(read_capture(b"not hex at all").is_err());
    }
}
