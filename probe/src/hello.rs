//! Faithful ClientHellos: the bytes a real phone sends, refreshed with fresh keys, sent as Wi-Fi
//! delivers them, and the accessory's first answer.
//!
//! rustls cannot emit what iOS or Android send (GREASE, CBC suites, the same signature scheme twice,
//! their extension order), and the size of the hello is the field failure: iOS 26's ClientHello
//! crosses the 1,460-byte Wi-Fi MSS and arrives in two TCP segments. So each platform profile also
//! has a template, a public capture of the real platform's ClientHello (`probe/data/*.hex`, sources
//! in docs/client-profiles.md), which the probe refreshes (client random, session id, real key
//! shares, the server name, the padding) and writes raw: once whole, once split into MSS-sized
//! segments with a small gap. What it reads back is only the first record header and the start of
//! the message, to classify the answer: a ServerHello or a HelloRetryRequest (accepted), an alert,
//! a reset, a close, a timeout. It never continues the handshake; the rustls handshakes of the
//! same profile do that, pinned.

use std::io;
use std::time::Duration;

use aws_lc_rs::{agreement, kem, rand};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::route::Route;
use crate::{Alert, Error};

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

/// The three TLS 1.3 magic bytes of a HelloRetryRequest's random (RFC 8446, 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_PADDING: u16 = 0x0015;
const EXT_KEY_SHARE: u16 = 0x0033;
const EXT_PRE_SHARED_KEY: u16 = 0x0029;
const EXT_EARLY_DATA: u16 = 0x002a;
const X25519: u16 = 0x001d;
const SECP256R1: u16 = 0x0017;
const SECP384R1: u16 = 0x0018;
const X25519MLKEM768: u16 = 0x11ec;

/// A ClientHello taken apart far enough to refresh it and put it back together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    record_version: [u8; 2],
    legacy_version: [u8; 2],
    random: [u8; 32],
    session_id: Vec<u8>,
    suites: Vec<u8>,
    compression: Vec<u8>,
    /// (type, body) in wire order.
    extensions: Vec<(u16, Vec<u8>)>,
}

fn bad(what: &str) -> Error {
    Error::ClientHello {
        reason: what.to_owned(),
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.0.len() < n {
            return Err(bad("the ClientHello is cut short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<usize, Error> {
        Ok(usize::from(self.take(1)?[0]))
    }
    fn u16(&mut self) -> Result<usize, Error> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
}

impl ClientHello {
    /// Parses one TLS record holding a whole ClientHello (a hello spread over several records is
    /// refused: no phone sends one).
    pub fn parse(record: &[u8]) -> Result<Self, Error> {
        let mut r = Reader(record);
        let header = r.take(5)?;
        if header[0] != 22 {
            return Err(bad("not a TLS handshake record (the first byte is not 22)"));
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let body = r.take(len)?;
        if !r.0.is_empty() {
            return Err(bad("bytes after the ClientHello record"));
        }
        let mut r = Reader(body);
        if r.u8()? != 1 {
            return Err(bad("the record does not hold a ClientHello"));
        }
        let hs = r.take(3)?;
        let hs_len = usize::from(hs[0]) << 16 | usize::from(hs[1]) << 8 | usize::from(hs[2]);
        if hs_len != r.0.len() {
            return Err(bad(
                "the ClientHello does not fill its record exactly (split over several records?)",
            ));
        }
        let legacy = r.take(2)?;
        let random = r.take(32)?;
        let n = r.u8()?;
        let session_id = r.take(n)?.to_vec();
        let n = r.u16()?;
        let suites = r.take(n)?.to_vec();
        let n = r.u8()?;
        let compression = r.take(n)?.to_vec();
        let n = r.u16()?;
        let mut e = Reader(r.take(n)?);
        if !r.0.is_empty() {
            return Err(bad("bytes after the extensions"));
        }
        let mut extensions = Vec::new();
        while !e.0.is_empty() {
            let t = e.u16()? as u16;
            let n = e.u16()?;
            extensions.push((t, e.take(n)?.to_vec()));
        }
        Ok(Self {
            record_version: [header[1], header[2]],
            legacy_version: [legacy[0], legacy[1]],
            random: random.try_into().expect("32 bytes"),
            session_id,
            suites,
            compression,
            extensions,
        })
    }

    /// The whole record: 5-byte header, handshake header, body.
    pub fn to_record(&self) -> Vec<u8> {
        let body = self.body();
        let mut out = Vec::with_capacity(body.len() + 9);
        let hs_len = body.len() + 4;
        out.push(22);
        out.extend_from_slice(&self.record_version);
        out.extend_from_slice(&(hs_len as u16).to_be_bytes());
        out.push(1);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(&body);
        out
    }

    fn body(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.legacy_version);
        b.extend_from_slice(&self.random);
        b.push(self.session_id.len() as u8);
        b.extend_from_slice(&self.session_id);
        b.extend_from_slice(&(self.suites.len() as u16).to_be_bytes());
        b.extend_from_slice(&self.suites);
        b.push(self.compression.len() as u8);
        b.extend_from_slice(&self.compression);
        let ext_len: usize = self.extensions.iter().map(|(_, d)| 4 + d.len()).sum();
        b.extend_from_slice(&(ext_len as u16).to_be_bytes());
        for (t, d) in &self.extensions {
            b.extend_from_slice(&t.to_be_bytes());
            b.extend_from_slice(&(d.len() as u16).to_be_bytes());
            b.extend_from_slice(d);
        }
        b
    }

    /// Extension types in wire order (GREASE included).
    pub fn extension_types(&self) -> Vec<u16> {
        self.extensions.iter().map(|(t, _)| *t).collect()
    }

    /// The groups of the key_share extension and the length of each share, in order.
    pub fn key_shares(&self) -> Vec<(u16, usize)> {
        let Some((_, body)) = self.extensions.iter().find(|(t, _)| *t == EXT_KEY_SHARE) else {
            return Vec::new();
        };
        let mut r = Reader(body.get(2..).unwrap_or(&[]));
        let mut out = Vec::new();
        while let (Ok(g), Ok(n)) = (r.u16(), r.u16()) {
            if r.take(n).is_err() {
                break;
            }
            out.push((g as u16, n));
        }
        out
    }

    /// The same hello with a fresh random and session id, real key shares (X25519, P-256, P-384,
    /// and for X25519MLKEM768 a real ML-KEM-768 encapsulation key followed by an X25519 public key,
    /// draft-ietf-tls-ecdhe-mlkem), the server name of `sni` (none for an IP address, as a phone
    /// sends it to 192.168.4.1), no pre_shared_key or early_data (a first connection has no
    /// ticket), and the padding recomputed by BoringSSL's rule when the capture
    /// had a padding extension. Shares of other groups (GREASE) are kept as captured.
    pub fn refreshed(&self, sni: Option<&str>) -> Result<Self, Error> {
        let mut out = self.clone();
        let crypto = |_| bad("aws-lc-rs could not make a key");
        rand::fill(&mut out.random).map_err(crypto)?;
        rand::fill(&mut out.session_id).map_err(crypto)?;
        let mut with_sni = Vec::new();
        for (t, body) in out.extensions.drain(..) {
            match t {
                EXT_SERVER_NAME => {
                    if let Some(name) = sni {
                        let n = name.as_bytes();
                        let mut d = Vec::with_capacity(n.len() + 5);
                        d.extend_from_slice(&((n.len() + 3) as u16).to_be_bytes());
                        d.push(0);
                        d.extend_from_slice(&(n.len() as u16).to_be_bytes());
                        d.extend_from_slice(n);
                        with_sni.push((t, d));
                    }
                }
                EXT_KEY_SHARE => with_sni.push((t, fresh_key_shares(&body)?)),
                // A resumption attempt in the capture (Android 13/14's has a 284-byte PSK): a phone
                // meeting the accessory for the first time has no ticket for it.
                EXT_PRE_SHARED_KEY | EXT_EARLY_DATA => {}
                _ => with_sni.push((t, body)),
            }
        }
        out.extensions = with_sni;
        if let Some(i) = out.extensions.iter().position(|(t, _)| *t == EXT_PADDING) {
            out.extensions.remove(i);
            // BoringSSL (ssl/extensions.cc): a hello between 256 and 511 bytes (handshake header
            // included) is padded to 512, because some F5 load balancers hang on those sizes.
            let unpadded = 4 + out.body().len();
            if unpadded > 0xff && unpadded < 0x200 {
                let mut n = 0x200 - unpadded;
                n = if n >= 5 { n - 4 } else { 1 };
                out.extensions.insert(i, (EXT_PADDING, vec![0; n]));
            }
        }
        Ok(out)
    }

    /// The smallest size [`padded_to`](Self::padded_to) can make: an empty padding extension.
    pub fn smallest_padded(&self) -> usize {
        let mut out = self.clone();
        out.extensions.retain(|(t, _)| *t != EXT_PADDING);
        9 + out.body().len() + 4
    }

    /// The same hello padded with a padding extension (appended or grown) to exactly
    /// `record_bytes` on the wire, for the size sweep. `None` when it is already larger.
    pub fn padded_to(&self, record_bytes: usize) -> Option<Self> {
        let mut out = self.clone();
        out.extensions.retain(|(t, _)| *t != EXT_PADDING);
        let base = self.smallest_padded();
        if record_bytes < base || record_bytes > 5 + 0xffff {
            return None;
        }
        out.extensions
            .push((EXT_PADDING, vec![0; record_bytes - base]));
        Some(out)
    }
}

fn fresh_key_shares(body: &[u8]) -> Result<Vec<u8>, Error> {
    let crypto = |_| bad("aws-lc-rs could not make a key");
    let mut r = Reader(body);
    let total = r.u16()?;
    let mut r = Reader(r.take(total)?);
    let mut shares = Vec::new();
    while !r.0.is_empty() {
        let group = r.u16()? as u16;
        let n = r.u16()?;
        let old = r.take(n)?;
        let new = match group {
            X25519 => ecdh(&agreement::X25519)?,
            SECP256R1 => ecdh(&agreement::ECDH_P256)?,
            SECP384R1 => ecdh(&agreement::ECDH_P384)?,
            X25519MLKEM768 => {
                let dk = kem::DecapsulationKey::generate(&kem::ML_KEM_768).map_err(crypto)?;
                let ek = dk.encapsulation_key().map_err(crypto)?;
                let mut share = ek.key_bytes().map_err(crypto)?.as_ref().to_vec();
                share.extend_from_slice(&ecdh(&agreement::X25519)?);
                share
            }
            _ => old.to_vec(),
        };
        shares.extend_from_slice(&group.to_be_bytes());
        shares.extend_from_slice(&(new.len() as u16).to_be_bytes());
        shares.extend_from_slice(&new);
    }
    let mut out = (shares.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&shares);
    Ok(out)
}

fn ecdh(alg: &'static agreement::Algorithm) -> Result<Vec<u8>, Error> {
    let crypto = |_| bad("aws-lc-rs could not make a key");
    let key = agreement::PrivateKey::generate(alg).map_err(crypto)?;
    Ok(key.compute_public_key().map_err(crypto)?.as_ref().to_vec())
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

/// How the hello is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segmentation {
    /// The largest TCP payload per write [default: 1,460, Wi-Fi's MSS with a 1,500-byte MTU].
    pub mss: usize,
    /// The pause between writes, so that each leaves as its own segment [default: 2 ms].
    #[serde(serialize_with = "as_millis")]
    pub gap: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Default for Segmentation {
    fn default() -> Self {
        Self {
            mss: 1460,
            gap: Duration::from_millis(2),
        }
    }
}

impl Segmentation {
    /// How many segments `bytes` takes.
    pub fn segments(&self, bytes: usize) -> usize {
        bytes.div_ceil(self.mss.max(1))
    }
}

/// The accessory's first answer to a raw ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// A ServerHello: it read the hello and goes on.
    ServerHello,
    /// A HelloRetryRequest: it read the hello and wants another key share (costs a round trip).
    HelloRetryRequest,
    /// A plaintext alert.
    Alert {
        /// The alert the accessory sent.
        alert: Alert,
    },
    /// The connection was reset.
    Reset,
    /// The accessory closed the connection without a word.
    Closed,
    /// No answer within the timeout.
    Timeout {
        /// How long the probe waited, in seconds.
        seconds: u64,
    },
    /// Something else (not TLS, a connect error).
    Other {
        /// What happened instead, in words (the I/O error, or the record type that came back).
        what: String,
    },
}

impl Answer {
    /// True when the accessory read the hello and answered it as TLS says.
    pub fn accepted(&self) -> bool {
        matches!(self, Answer::ServerHello | Answer::HelloRetryRequest)
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::ServerHello => f.write_str("ServerHello"),
            Answer::HelloRetryRequest => f.write_str("HelloRetryRequest"),
            Answer::Alert { alert } => write!(f, "alert {alert}"),
            Answer::Reset => f.write_str("reset"),
            Answer::Closed => f.write_str("closed without an answer"),
            Answer::Timeout { seconds } => write!(f, "no answer in {seconds} s"),
            Answer::Other { what } => f.write_str(what),
        }
    }
}

/// Connects to `addr`, writes `record` (whole when `split` is `None`, else in MSS-sized writes with
/// TCP_NODELAY and a gap), and classifies the first answer.
pub async fn send(
    route: impl Into<Route>,
    record: &[u8],
    split: Option<Segmentation>,
    timeout: Duration,
) -> Answer {
    let route = route.into();
    match tokio::time::timeout(timeout, exchange(&route, record, split)).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => Answer::Reset,
        Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Answer::Closed,
        Ok(Err(e)) => Answer::Other {
            what: e.to_string(),
        },
        Err(_) => Answer::Timeout {
            seconds: timeout.as_secs(),
        },
    }
}

async fn exchange(route: &Route, record: &[u8], split: Option<Segmentation>) -> io::Result<Answer> {
    let mut tcp = route.connect().await?;
    tcp.set_nodelay(true)?;
    match split {
        None => tcp.write_all(record).await?,
        Some(s) => {
            for (i, chunk) in record.chunks(s.mss.max(1)).enumerate() {
                if i > 0 {
                    tokio::time::sleep(s.gap).await;
                }
                // A reset after the first segment is the answer, not a write error.
                if let Err(e) = tcp.write_all(chunk).await {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return Err(io::ErrorKind::ConnectionReset.into());
                    }
                    return Err(e);
                }
            }
        }
    }
    tcp.flush().await?;
    let mut header = [0u8; 5];
    tcp.read_exact(&mut header).await?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    match header[0] {
        21 if len >= 2 => {
            let mut a = [0u8; 2];
            tcp.read_exact(&mut a).await?;
            Ok(Answer::Alert {
                alert: Alert::from_number(a[1]),
            })
        }
        22 if len >= 4 + 2 + 32 => {
            let mut m = [0u8; 4 + 2 + 32];
            tcp.read_exact(&mut m).await?;
            Ok(match m[0] {
                2 if m[6..] == HRR_RANDOM => Answer::HelloRetryRequest,
                2 => Answer::ServerHello,
                t => Answer::Other {
                    what: format!("handshake message {t} instead of a ServerHello"),
                },
            })
        }
        t => Ok(Answer::Other {
            what: format!("a record of type {t} instead of a ServerHello"),
        }),
    }
}

/// What one raw ClientHello got, whole and split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelloResult {
    /// Where the bytes came from.
    pub source: String,
    /// The record on the wire, header included.
    pub bytes: usize,
    /// How many segments it takes at `segmentation.mss`.
    pub segments: usize,
    /// The segment size and pause of the split write.
    pub segmentation: Segmentation,
    /// The answer to one write.
    pub whole: Answer,
    /// The answer to MSS-sized writes (absent when the hello fits one segment).
    pub split: Option<Answer>,
    /// The exact record sent (written by `--report DIR`, not serialized).
    #[serde(skip)]
    pub record: Vec<u8>,
}

impl HelloResult {
    /// Accepted whole and, when split, split too.
    pub fn accepted(&self) -> bool {
        self.whole.accepted() && self.split.as_ref().is_none_or(Answer::accepted)
    }

    /// "accepted whole, reset when split into 2 segments of at most 1460 bytes".
    pub fn summary(&self) -> String {
        let whole = match &self.whole {
            a if a.accepted() => format!("accepted whole ({a})"),
            a => format!("refused whole ({a})"),
        };
        match &self.split {
            None => format!("{whole}; fits one segment of {}", self.segmentation.mss),
            Some(a) => {
                let how = if a.accepted() {
                    format!("accepted ({a})")
                } else {
                    a.to_string()
                };
                format!(
                    "{whole}, {how} when split into {} segments of at most {} bytes",
                    self.segments, self.segmentation.mss
                )
            }
        }
    }
}

/// Sends `record` whole, then (if it takes more than one segment) split, and reports both.
pub async fn try_hello(
    route: impl Into<Route>,
    source: String,
    record: &[u8],
    segmentation: Segmentation,
    timeout: Duration,
) -> HelloResult {
    let route = route.into();
    let whole = send(route.clone(), record, None, timeout).await;
    let segments = segmentation.segments(record.len());
    let split = if segments > 1 {
        Some(send(route, record, Some(segmentation), timeout).await)
    } else {
        None
    };
    HelloResult {
        source,
        bytes: record.len(),
        segments,
        segmentation,
        whole,
        split,
        record: record.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_puts_itself_back_together_byte_for_byte() {
        for t in TEMPLATES {
            let raw = decode_hex(t.hex).unwrap();
            let hello = ClientHello::parse(&raw).unwrap();
            assert_eq!(hello.to_record(), raw, "{}", t.profile);
        }
    }

    #[test]
    fn ios26_to_an_ip_address_is_1514_bytes_two_segments_with_a_real_mlkem_share() {
        let t = Template::of("ios26").unwrap();
        let fresh = t.captured().refreshed(None).unwrap();
        let record = fresh.to_record();
        assert_eq!(record.len(), 1514);
        assert_eq!(Segmentation::default().segments(record.len()), 2);
        let shares = fresh.key_shares();
        assert!(shares.contains(&(X25519MLKEM768, 1216)), "{shares:?}");
        assert!(shares.contains(&(X25519, 32)), "{shares:?}");
        assert!(!fresh.extension_types().contains(&EXT_SERVER_NAME));
        // Fresh keys: not the captured ones.
        assert_ne!(fresh.key_shares(), Vec::new());
        assert_ne!(
            fresh.refreshed(None).unwrap().to_record(),
            record,
            "two refreshes are different"
        );
    }

    #[test]
    fn ios18_is_padded_to_512_bytes_of_handshake_as_boringssl_does() {
        let fresh = Template::of("ios18")
            .unwrap()
            .captured()
            .refreshed(None)
            .unwrap();
        assert_eq!(fresh.to_record().len(), 517);
        let named = Template::of("ios18")
            .unwrap()
            .captured()
            .refreshed(Some("sim-0001.accessory.local"))
            .unwrap();
        assert_eq!(named.to_record().len(), 517);
        assert!(named.extension_types().contains(&EXT_SERVER_NAME));
    }

    #[test]
    fn padding_reaches_the_size_asked_for_to_the_byte() {
        let base = Template::of("ios18").unwrap().captured();
        for size in [600, 1460, 1461, 1505, 4000] {
            let p = base.padded_to(size).unwrap();
            assert_eq!(p.to_record().len(), size);
            assert_eq!(ClientHello::parse(&p.to_record()).unwrap(), p);
        }
        assert!(base.padded_to(100).is_none());
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

/// The largest ClientHello an accessory accepts, whole and split: `probe --sweep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sweep {
    /// The largest record (header included) accepted in one write; `None` when even the smallest
    /// tried (`smallest`) was refused.
    pub whole: Option<usize>,
    /// The same, written in MSS-sized segments.
    pub split: Option<usize>,
    /// The smallest record tried, in bytes (the template with an empty padding extension).
    pub smallest: usize,
    /// The largest record tried, in bytes: [`MAX_RECORD`].
    pub largest: usize,
    /// The segment size and pause of every split write in the search.
    pub segmentation: Segmentation,
    /// What the real iOS 26 hello is, to this target (for comparison).
    pub ios26_bytes: usize,
    /// How many connections the search took.
    pub attempts: usize,
}

/// The largest TLS record: 2^14 bytes of plaintext and the 5-byte header.
pub const MAX_RECORD: usize = 16_384 + 5;

/// Finds the largest ClientHello `addr` accepts by binary search over padded hellos (the real
/// iOS 18 hello, refreshed, grown with the padding extension), whole and split.
pub async fn sweep(
    route: impl Into<Route>,
    sni: Option<&str>,
    segmentation: Segmentation,
    timeout: Duration,
) -> Result<Sweep, Error> {
    let base = Template::of("ios18")
        .expect("ios18 template")
        .captured()
        .refreshed(sni)?;
    let ios26_bytes = Template::of("ios26")
        .expect("ios26 template")
        .captured()
        .refreshed(sni)?
        .to_record()
        .len();
    let smallest = base.smallest_padded();
    let route = route.into();
    let (whole, a) = largest_accepted(&route, &base, smallest, None, timeout).await;
    let (split, b) = largest_accepted(&route, &base, smallest, Some(segmentation), timeout).await;
    let attempts = a + b;
    Ok(Sweep {
        whole,
        split,
        smallest,
        largest: MAX_RECORD,
        segmentation,
        ios26_bytes,
        attempts,
    })
}

/// Binary search for the largest padded hello accepted; also how many connections it took.
async fn largest_accepted(
    route: &Route,
    base: &ClientHello,
    smallest: usize,
    split: Option<Segmentation>,
    timeout: Duration,
) -> (Option<usize>, usize) {
    let mut tries = 0;
    let mut accepts = async |size: usize| {
        tries += 1;
        let record = base.padded_to(size).expect("size in range").to_record();
        send(route.clone(), &record, split, timeout)
            .await
            .accepted()
    };
    if !accepts(smallest).await {
        return (None, tries);
    }
    if accepts(MAX_RECORD).await {
        return (Some(MAX_RECORD), tries);
    }
    // Invariant: lo accepted, hi refused.
    let (mut lo, mut hi) = (smallest, MAX_RECORD);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if accepts(mid).await {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (Some(lo), tries)
}

impl std::fmt::Display for Sweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let says = |limit: Option<usize>| match limit {
            None => format!("refuses even {} bytes", self.smallest),
            Some(n) if n >= self.largest => {
                format!("accepts every size up to the largest record ({n} bytes)")
            }
            Some(n) => format!("accepts up to {n} bytes"),
        };
        writeln!(f, "whole (one write): {}", says(self.whole))?;
        writeln!(
            f,
            "split (segments of at most {} bytes, {} ms apart): {}",
            self.segmentation.mss,
            self.segmentation.gap.as_millis(),
            says(self.split)
        )?;
        let fits = |limit: Option<usize>| limit.is_some_and(|n| n >= self.ios26_bytes);
        writeln!(
            f,
            "iOS 26 sends {} bytes ({} segments at MSS {}): {}",
            self.ios26_bytes,
            self.segmentation.segments(self.ios26_bytes),
            self.segmentation.mss,
            if fits(self.whole) && fits(self.split) {
                "accepted"
            } else {
                "REFUSED"
            }
        )?;
        write!(f, "({} connections)", self.attempts)
    }
}
