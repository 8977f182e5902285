//! Faithful ClientHellos: the bytes a real phone sends, taken apart far enough to refresh them
//! (client random, session id, real key shares, the server name, the padding), pad them to a size
//! (`--sweep`), or add an extension (the record-size offers), and put back together byte for byte.
//!
//! rustls cannot emit what iOS or Android send (GREASE, CBC suites, the same signature scheme twice,
//! their extension order), and the size of the hello is the field failure: iOS 26's ClientHello
//! crosses the 1,460-byte Wi-Fi MSS and arrives in two TCP segments. So each platform profile also
//! has a template (`template`), a public capture of the real platform's ClientHello, which the
//! probe refreshes here and writes raw (`delivery`): once whole, once split into MSS-sized
//! segments with a small gap. It never continues the handshake; the rustls handshakes of the
//! same profile do that, pinned.

use aws_lc_rs::{agreement, kem, rand};

use crate::Error;

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

pub(crate) fn bad(what: &str) -> Error {
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

    /// The same hello with one more extension, before the padding extension if there is one (so
    /// that [`refreshed`](Self::refreshed) pads it as the platform would), else last.
    pub fn with_extension(&self, kind: u16, body: Vec<u8>) -> Self {
        let mut out = self.clone();
        let at = out
            .extensions
            .iter()
            .position(|(t, _)| *t == EXT_PADDING)
            .unwrap_or(out.extensions.len());
        out.extensions.insert(at, (kind, body));
        out
    }

    /// The same hello with one key share, of `group`, in place of the captured ones: what a
    /// client sends after a HelloRetryRequest asked for that group, here as a new connection's
    /// first hello. The share itself is made by [`refreshed`](Self::refreshed) (X25519, P-256,
    /// P-384, X25519MLKEM768; another group's stays empty, and the server will refuse it).
    pub fn with_key_share_for(&self, group: u16) -> Self {
        let mut out = self.clone();
        let mut body = 4u16.to_be_bytes().to_vec();
        body.extend_from_slice(&group.to_be_bytes());
        body.extend_from_slice(&0u16.to_be_bytes());
        for (t, b) in &mut out.extensions {
            if *t == EXT_KEY_SHARE {
                *b = body.clone();
            }
        }
        out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Segmentation, Template};

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
}
