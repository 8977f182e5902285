//! The ClientHello in a classic pcap file (`--client-hello capture.pcap`): the first TCP stream whose
//! first payload starts a TLS handshake record, that direction's payload put in sequence order, and
//! its first record. pcapng is not read (convert with `editcap -F pcap`).

use std::collections::BTreeMap;

use crate::Error;

fn bad(what: &str) -> Error {
    Error::ClientHello {
        reason: format!("pcap: {what}"),
    }
}

/// True when `bytes` starts with a classic pcap magic number (either byte order, µs or ns).
pub(crate) fn is_pcap(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(
            [0xa1, 0xb2, 0xc3, 0xd4]
                | [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x4d, 0x3c, 0xb2, 0xa1]
        )
    )
}

/// True for a pcapng file, which is refused with a hint.
pub(crate) fn is_pcapng(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a])
}

type Flow = (Vec<u8>, u16, Vec<u8>, u16);

/// The first ClientHello record in the capture, byte for byte as the client sent it.
pub(crate) fn client_hello(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    if bytes.len() < 24 {
        return Err(bad("shorter than its file header"));
    }
    let little = bytes[0] == 0xd4 || bytes[0] == 0x4d;
    let u32_at = |b: &[u8], i: usize| -> u32 {
        let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let linktype = u32_at(bytes, 20) & 0x0fff_ffff;
    let mut flow: Option<Flow> = None;
    // seq -> payload, for the chosen direction.
    let mut segments: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32_at(bytes, at + 8) as usize;
        let start = at + 16;
        let Some(frame) = bytes.get(start..start + caplen) else {
            break;
        };
        at = start + caplen;
        let Some(ip) = strip_link(linktype, frame)? else {
            continue;
        };
        let Some((src, dst, tcp)) = ip_payload(ip) else {
            continue;
        };
        if tcp.len() < 20 {
            continue;
        }
        let sport = u16::from_be_bytes([tcp[0], tcp[1]]);
        let dport = u16::from_be_bytes([tcp[2], tcp[3]]);
        let seq = u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]);
        let offset = usize::from(tcp[12] >> 4) * 4;
        let Some(payload) = tcp.get(offset..) else {
            continue;
        };
        if payload.is_empty() {
            continue;
        }
        let this: Flow = (src.to_vec(), sport, dst.to_vec(), dport);
        match &flow {
            None if payload[0] == 22 => flow = Some(this),
            Some(f) if *f == this => {}
            _ => continue,
        }
        segments.entry(seq).or_insert_with(|| payload.to_vec());
    }
    if segments.is_empty() {
        return Err(bad("no TCP payload starting with a TLS handshake record"));
    }
    let (&first, _) = segments.iter().next().expect("not empty");
    let mut stream = Vec::new();
    for (seq, data) in &segments {
        let offset = seq.wrapping_sub(first) as usize;
        if offset > stream.len() {
            break; // a gap: a segment missing from the capture
        }
        let skip = stream.len() - offset;
        if skip < data.len() {
            stream.extend_from_slice(&data[skip..]);
        }
    }
    if stream.len() < 5 {
        return Err(bad("the TLS record header is cut short"));
    }
    let len = 5 + usize::from(u16::from_be_bytes([stream[3], stream[4]]));
    if stream.len() < len {
        return Err(bad(&format!(
            "the ClientHello record is {len} bytes but only {} were captured in sequence",
            stream.len()
        )));
    }
    stream.truncate(len);
    Ok(stream)
}

/// The IP packet inside a link-layer frame, `None` for frames that are not IP.
fn strip_link(linktype: u32, frame: &[u8]) -> Result<Option<&[u8]>, Error> {
    let (mut ethertype, mut rest) = match linktype {
        // Ethernet
        1 => match frame.get(12..14) {
            Some(t) => (u16::from_be_bytes([t[0], t[1]]), &frame[14..]),
            None => return Ok(None),
        },
        // Linux cooked capture (SLL)
        113 => match frame.get(14..16) {
            Some(t) => (u16::from_be_bytes([t[0], t[1]]), &frame[16..]),
            None => return Ok(None),
        },
        // Linux cooked capture v2 (SLL2)
        276 => match frame.get(0..2) {
            Some(t) if frame.len() >= 20 => (u16::from_be_bytes([t[0], t[1]]), &frame[20..]),
            _ => return Ok(None),
        },
        // Raw IP
        12 | 14 | 101 => return Ok(Some(frame)),
        228 => return Ok(Some(frame)),
        229 => return Ok(Some(frame)),
        other => {
            return Err(bad(&format!(
                "link type {other} is not read (Ethernet, Linux SLL, raw IP are)"
            )))
        }
    };
    // 802.1Q VLAN tags.
    while ethertype == 0x8100 && rest.len() >= 4 {
        ethertype = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
    }
    Ok(matches!(ethertype, 0x0800 | 0x86dd).then_some(rest))
}

/// (source, destination, TCP segment) of an IPv4 or IPv6 packet carrying TCP.
fn ip_payload(ip: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            if ip.get(9)? != &6 {
                return None;
            }
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let end = total.min(ip.len());
            Some((ip.get(12..16)?, ip.get(16..20)?, ip.get(ihl..end)?))
        }
        6 => {
            if ip.get(6)? != &6 {
                return None;
            }
            let len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let end = (40 + len).min(ip.len());
            Some((ip.get(8..24)?, ip.get(24..40)?, ip.get(40..end)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pcap_of_a_hello_in_two_segments_gives_back_the_whole_record() {
        let pcap = include_bytes!("../data/curl_cffi_safari270_ios_ip.pcap");
        let hex = include_str!("../data/curl_cffi_safari270_ios_ip.hex");
        let expected = crate::read_capture(hex.as_bytes()).unwrap();
        assert!(is_pcap(pcap));
        assert_eq!(client_hello(pcap).unwrap(), expected);
        assert_eq!(expected.len(), 1514);
    }

    #[test]
    fn a_pcap_without_a_clienthello_is_refused() {
        let mut pcap = include_bytes!("../data/curl_cffi_safari270_ios_ip.pcap")[..24].to_vec();
        pcap.extend_from_slice(&[0; 4]);
        assert!(client_hello(&pcap).is_err());
    }
}
