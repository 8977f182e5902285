//! Offering a smaller record size: `max_fragment_length` (RFC 6066 section 4) and
//! `record_size_limit` (RFC 8449), and whether the accessory honours it.
//!
//! The probe offers each alone, at 512 bytes, in the real iOS 18 hello (a public capture,
//! refreshed: `template`, `hello`), written raw, and reads the accessory's first flight without
//! answering it. How it tells whether the offer was honoured:
//!
//! - **TLS 1.2**: the ServerHello is in clear, and a server that accepts either extension echoes
//!   it there (RFC 6066 section 4, RFC 8449 section 4); its Certificate records are in clear too,
//!   and each must then carry at most 512 bytes.
//! - **TLS 1.3**: the acceptance is in EncryptedExtensions, encrypted. The probe does not run the
//!   key schedule for its own key share; it reads the *sizes* of the server's protected records,
//!   which are visible without keys: a record of N bytes on the wire carries N - 17 bytes of
//!   content (a 16-byte AEAD tag and the content-type byte; nobody pads a handshake flight). A
//!   record over the limit is proof the offer was not honoured. All records within it prove
//!   nothing alone (a short chain fits anyway), so the same hello *without* the offer is sent
//!   too: when that flight has a record over the limit and the offered one does not, the offer
//!   was honoured. Decrypting EncryptedExtensions would say "accepted" directly, but sizes are
//!   what an honouring server must change, need no key schedule here, and are the property the
//!   client cares about.
//!
//! What each counts: `max_fragment_length` 512 limits the plaintext fragment to 512 bytes;
//! `record_size_limit` 512 does too in TLS 1.2, and in TLS 1.3 counts the content type byte, so
//! the content is at most 511 bytes (RFC 8449 section 4).

use std::io;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::route::Route;
use crate::template::Template;
use crate::{Alert, Error, Version};

/// The limit offered, in bytes.
pub const OFFERED_LIMIT: usize = 512;

const EXT_MAX_FRAGMENT_LENGTH: u16 = 0x0001;
const EXT_RECORD_SIZE_LIMIT: u16 = 0x001c;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_KEY_SHARE: u16 = 0x0033;
/// The three TLS 1.3 magic bytes of a HelloRetryRequest's random (RFC 8446, 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];
/// After the first record, this long without a byte ends the server's flight.
const QUIET: Duration = Duration::from_millis(1000);

/// The two ways to ask for smaller records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitExtension {
    /// RFC 6066 section 4, extension 1: 2^9, 2^10, 2^11 or 2^12 bytes.
    MaxFragmentLength,
    /// RFC 8449, extension 28: any size from 64.
    RecordSizeLimit,
}

impl LimitExtension {
    /// The extension's RFC name.
    pub fn name(self) -> &'static str {
        match self {
            LimitExtension::MaxFragmentLength => "max_fragment_length",
            LimitExtension::RecordSizeLimit => "record_size_limit",
        }
    }

    fn rfc(self) -> &'static str {
        match self {
            LimitExtension::MaxFragmentLength => "RFC 6066",
            LimitExtension::RecordSizeLimit => "RFC 8449",
        }
    }

    fn code(self) -> u16 {
        match self {
            LimitExtension::MaxFragmentLength => EXT_MAX_FRAGMENT_LENGTH,
            LimitExtension::RecordSizeLimit => EXT_RECORD_SIZE_LIMIT,
        }
    }

    /// The extension body offering 512 bytes.
    fn body(self) -> Vec<u8> {
        match self {
            // 1 = 2^9 (RFC 6066 section 4).
            LimitExtension::MaxFragmentLength => vec![1],
            LimitExtension::RecordSizeLimit => (OFFERED_LIMIT as u16).to_be_bytes().to_vec(),
        }
    }

    /// The most content a record may carry once the offer is honoured.
    fn content_limit(self, version: Version) -> usize {
        match (self, version) {
            (LimitExtension::RecordSizeLimit, Version::Tls13) => OFFERED_LIMIT - 1,
            _ => OFFERED_LIMIT,
        }
    }
}

/// Whether an offer was honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Honoured {
    /// Accepted and every record within the limit.
    Yes,
    /// Not accepted, or a record over the limit.
    No,
    /// The records fit the limit anyway, and nothing else says: cannot tell.
    Unknown,
    /// The hello carrying the offer was refused (while the same hello without it was not).
    HelloRefused,
}

impl std::fmt::Display for Honoured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Honoured::Yes => "yes",
            Honoured::No => "no",
            Honoured::Unknown => "cannot tell",
            Honoured::HelloRefused => "NO: the hello offering it was refused",
        })
    }
}

/// One offer and what the accessory did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitOffer {
    /// Which extension.
    pub extension: LimitExtension,
    /// The limit offered, in bytes (512).
    pub limit: usize,
    /// The version the accessory chose.
    pub version: Option<Version>,
    /// TLS 1.2: whether the ServerHello echoed the extension; `None` in TLS 1.3 (encrypted).
    pub acknowledged: Option<bool>,
    /// The most content any server record carried, in bytes.
    pub largest_record: Option<usize>,
    /// The same without the offer.
    pub largest_without_offer: Option<usize>,
    /// The verdict.
    pub honoured: Honoured,
    /// Why, in words.
    pub why: String,
}

impl LimitOffer {
    /// "honours max_fragment_length 512 (RFC 6066): yes (TLS 1.2: ...)".
    pub fn line(&self) -> String {
        format!(
            "honours {} {} ({}): {} ({})",
            self.extension.name(),
            self.limit,
            self.extension.rfc(),
            self.honoured,
            self.why
        )
    }
}

/// The server's first flight, as far as it can be read without keys.
#[derive(Debug, Default)]
struct Flight {
    /// The ServerHello's extension types, when one came.
    extensions: Option<Vec<u16>>,
    version: Option<Version>,
    retry: bool,
    /// The group a HelloRetryRequest asked for.
    retry_group: Option<u16>,
    /// The content length of every record the server sent (in clear: its length; protected,
    /// TLS 1.3: its length less 17 bytes).
    records: Vec<usize>,
    alert: Option<Alert>,
    /// How the read ended when no ServerHello came: a reset, a close, a timeout.
    failure: Option<String>,
}

impl Flight {
    fn largest(&self) -> Option<usize> {
        self.records.iter().copied().max()
    }

    /// Why there is no ServerHello to judge by, if there is none.
    fn refused(&self) -> Option<String> {
        if self.extensions.is_some() {
            return None;
        }
        Some(match (&self.alert, &self.failure) {
            (Some(a), _) => format!("alert {a}"),
            (None, Some(f)) => f.clone(),
            (None, None) => "no ServerHello".to_owned(),
        })
    }
}

/// Offers `max_fragment_length` and `record_size_limit` (512 bytes), one per connection, and
/// says whether each was honoured.
pub(crate) async fn check(
    route: &Route,
    sni: Option<&str>,
    timeout: Duration,
) -> Result<Vec<LimitOffer>, Error> {
    let mut base = Template::of("ios18").expect("ios18 template").captured();
    // An accessory that supports none of the groups iOS 18 sends a share for (P-256 only) asks
    // for another with a HelloRetryRequest; every hello then carries a share of that group.
    let probe_hello = base.refreshed(sni)?.to_record();
    let first = flight(route, &probe_hello, timeout).await;
    let retried = first.retry_group.filter(|_| first.retry);
    let without = match retried {
        Some(group) => {
            base = base.with_key_share_for(group);
            flight(route, &base.refreshed(sni)?.to_record(), timeout).await
        }
        None => first,
    };
    let mut out = Vec::new();
    for ext in [
        LimitExtension::MaxFragmentLength,
        LimitExtension::RecordSizeLimit,
    ] {
        let record = base
            .with_extension(ext.code(), ext.body())
            .refreshed(sni)?
            .to_record();
        let with = flight(route, &record, timeout).await;
        let mut offer = judge(ext, &with, Some(&without));
        if let Some(group) = retried {
            offer.why.push_str(&format!(
                "; the accessory asked for group 0x{group:04x} with a HelloRetryRequest, so \
                 every hello carried a share of it"
            ));
        }
        out.push(offer);
    }
    Ok(out)
}

fn judge(ext: LimitExtension, with: &Flight, without: Option<&Flight>) -> LimitOffer {
    let mut offer = LimitOffer {
        extension: ext,
        limit: OFFERED_LIMIT,
        version: with.version,
        acknowledged: None,
        largest_record: with.largest(),
        largest_without_offer: without.and_then(Flight::largest),
        honoured: Honoured::Unknown,
        why: String::new(),
    };
    if let Some(refusal) = with.refused() {
        let plain_ok = without.is_some_and(|w| w.refused().is_none());
        (offer.honoured, offer.why) = if plain_ok {
            (
                Honoured::HelloRefused,
                format!("{refusal}, while the same hello without it was answered"),
            )
        } else {
            (
                Honoured::Unknown,
                format!("the hello was not answered with a ServerHello ({refusal}), with or without the offer"),
            )
        };
        return offer;
    }
    if with.retry {
        offer.why = "the accessory asked for another key share (HelloRetryRequest); the flight \
                     was not read"
            .to_owned();
        return offer;
    }
    let version = with.version.unwrap_or(Version::Tls12);
    let limit = ext.content_limit(version);
    let over = with.records.iter().copied().filter(|n| *n > limit).max();
    let records = |n: Option<usize>| match n {
        Some(n) => format!("largest record {n} bytes"),
        None => "no record".to_owned(),
    };
    match version {
        Version::Tls12 => {
            let echoed = with
                .extensions
                .as_ref()
                .is_some_and(|e| e.contains(&ext.code()));
            offer.acknowledged = Some(echoed);
            (offer.honoured, offer.why) = match (echoed, over) {
                (true, None) => (
                    Honoured::Yes,
                    format!(
                        "TLS 1.2: echoed in the ServerHello; {}",
                        records(with.largest())
                    ),
                ),
                (true, Some(n)) => (
                    Honoured::No,
                    format!("TLS 1.2: echoed in the ServerHello, yet a record of {n} bytes"),
                ),
                (false, _) => (
                    Honoured::No,
                    format!(
                        "TLS 1.2: not in the ServerHello; {}",
                        records(with.largest())
                    ),
                ),
            };
        }
        Version::Tls13 => {
            let baseline = without.and_then(Flight::largest);
            (offer.honoured, offer.why) = match (over, baseline) {
                (Some(n), _) => (
                    Honoured::No,
                    format!("TLS 1.3: a protected record of {n} bytes of content"),
                ),
                (None, Some(b)) if b > limit => (
                    Honoured::Yes,
                    format!(
                        "TLS 1.3: {}, {} without the offer",
                        records(with.largest()),
                        b
                    ),
                ),
                (None, _) => (
                    Honoured::Unknown,
                    format!(
                        "TLS 1.3: {}, and as small without the offer: the flight fits anyway",
                        records(with.largest())
                    ),
                ),
            };
        }
    }
    offer
}

/// Writes `record`, then reads the server's flight: records until an alert, the ServerHelloDone
/// (TLS 1.2), the end of the connection, or [`QUIET`] without a byte.
async fn flight(route: &Route, record: &[u8], timeout: Duration) -> Flight {
    let mut f = Flight::default();
    let read = async {
        let mut tcp = route.connect().await?;
        tcp.set_nodelay(true)?;
        tcp.write_all(record).await?;
        let mut handshake = Vec::new();
        let mut first = true;
        loop {
            let mut header = [0u8; 5];
            let wait = if first { timeout } else { QUIET };
            match tokio::time::timeout(wait, tcp.read_exact(&mut header)).await {
                Err(_) if first => return Err(io::Error::from(io::ErrorKind::TimedOut)),
                Err(_) => return Ok(()),
                Ok(Err(e)) if !first && e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(r) => r?,
            };
            first = false;
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let mut body = vec![0u8; len];
            tokio::time::timeout(timeout, tcp.read_exact(&mut body))
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
            match header[0] {
                21 if len >= 2 => {
                    f.alert = Some(Alert::from_number(body[1]));
                    return Ok(());
                }
                // Handshake in clear: the ServerHello, and in TLS 1.2 the rest of the flight.
                22 => {
                    handshake.extend_from_slice(&body);
                    f.records.push(len);
                    if read_messages(&mut handshake, &mut f) {
                        return Ok(());
                    }
                }
                // Protected (TLS 1.3): content, content type, 16-byte tag.
                23 => f.records.push(len.saturating_sub(17)),
                _ => {}
            }
        }
    };
    if let Err(e) = read.await {
        f.failure = Some(match e.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => "reset".to_owned(),
            io::ErrorKind::UnexpectedEof => "closed without an answer".to_owned(),
            io::ErrorKind::TimedOut => format!("no answer in {} s", timeout.as_secs()),
            _ => e.to_string(),
        });
    }
    f
}

/// Takes the complete handshake messages off `buf`: the ServerHello fills in `f`; returns true
/// at the ServerHelloDone (TLS 1.2) or a HelloRetryRequest, where the flight ends.
fn read_messages(buf: &mut Vec<u8>, f: &mut Flight) -> bool {
    loop {
        if buf.len() < 4 {
            return false;
        }
        let len = usize::from(buf[1]) << 16 | usize::from(buf[2]) << 8 | usize::from(buf[3]);
        if buf.len() < 4 + len {
            return false;
        }
        let message: Vec<u8> = buf.drain(..4 + len).collect();
        match message[0] {
            2 => {
                server_hello(&message[4..], f);
                if f.retry {
                    return true;
                }
            }
            14 => return true,
            _ => {}
        }
    }
}

fn server_hello(body: &[u8], f: &mut Flight) {
    let mut extensions = Vec::new();
    let mut version = Version::Tls12;
    let mut parse = || -> Option<()> {
        let random = body.get(2..34)?;
        f.retry = random == HRR_RANDOM;
        let sid = usize::from(*body.get(34)?);
        let mut at = 35 + sid + 2 + 1;
        let total = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
        at += 2;
        let end = (at + total).min(body.len());
        while at + 4 <= end {
            let t = u16::from_be_bytes([body[at], body[at + 1]]);
            let n = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
            if t == EXT_SUPPORTED_VERSIONS && body.get(at + 4..at + 6) == Some(&[3, 4]) {
                version = Version::Tls13;
            }
            if t == EXT_KEY_SHARE && n == 2 {
                f.retry_group = Some(u16::from_be_bytes([body[at + 4], body[at + 5]]));
            }
            extensions.push(t);
            at += 4 + n;
        }
        Some(())
    };
    let _ = parse();
    f.extensions = Some(extensions);
    f.version = Some(version);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hello::ClientHello;

    fn flight(version: Version, extensions: Vec<u16>, records: Vec<usize>) -> Flight {
        Flight {
            extensions: Some(extensions),
            version: Some(version),
            records,
            ..Flight::default()
        }
    }

    #[test]
    fn tls12_is_judged_by_the_echo_and_the_records_in_clear() {
        let mfl = LimitExtension::MaxFragmentLength;
        let yes = judge(mfl, &flight(Version::Tls12, vec![1], vec![512, 300]), None);
        assert_eq!(yes.honoured, Honoured::Yes, "{}", yes.why);
        let silent = judge(mfl, &flight(Version::Tls12, vec![], vec![1200]), None);
        assert_eq!(silent.honoured, Honoured::No);
        assert_eq!(silent.acknowledged, Some(false));
        let liar = judge(mfl, &flight(Version::Tls12, vec![1], vec![513]), None);
        assert_eq!(liar.honoured, Honoured::No);
    }

    #[test]
    fn tls13_needs_a_larger_flight_without_the_offer_to_say_yes() {
        let rsl = LimitExtension::RecordSizeLimit;
        let small = flight(Version::Tls13, vec![43], vec![511, 100]);
        let big = flight(Version::Tls13, vec![43], vec![1400]);
        assert_eq!(judge(rsl, &small, Some(&big)).honoured, Honoured::Yes);
        assert_eq!(judge(rsl, &small, Some(&small)).honoured, Honoured::Unknown);
        // record_size_limit counts the content type in TLS 1.3: 512 bytes of content is over.
        let edge = flight(Version::Tls13, vec![43], vec![512]);
        assert_eq!(judge(rsl, &edge, Some(&big)).honoured, Honoured::No);
        let mfl = LimitExtension::MaxFragmentLength;
        assert_eq!(judge(mfl, &edge, Some(&big)).honoured, Honoured::Yes);
    }

    #[test]
    fn a_hello_refused_only_with_the_offer_is_reported_as_such() {
        let refused = Flight {
            alert: Some(Alert::from_number(47)),
            ..Flight::default()
        };
        let fine = flight(Version::Tls12, vec![], vec![900]);
        let o = judge(LimitExtension::MaxFragmentLength, &refused, Some(&fine));
        assert_eq!(o.honoured, Honoured::HelloRefused);
        assert!(o.why.contains("illegal_parameter"), "{}", o.why);
    }

    #[test]
    fn the_offers_are_in_the_hello_on_the_wire() {
        let base = Template::of("ios18").unwrap().captured();
        for ext in [
            LimitExtension::MaxFragmentLength,
            LimitExtension::RecordSizeLimit,
        ] {
            let hello = base
                .with_extension(ext.code(), ext.body())
                .refreshed(None)
                .unwrap();
            let parsed = ClientHello::parse(&hello.to_record()).unwrap();
            assert!(parsed.extension_types().contains(&ext.code()));
        }
    }
}
