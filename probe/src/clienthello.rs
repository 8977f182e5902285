//! Measuring the ClientHello a profile sends.
//!
//! The size is the point of the iOS 26 field report: the post-quantum key share grows the ClientHello
//! from about 250 bytes to about 1.5 KB, and an embedded stack that reads the first record into a
//! 1 KB buffer cuts the connection or answers with an alert. So every connection a probe makes
//! records the first TLS record it puts on the wire, and [`measure`] produces the same number without
//! a network (rustls writes the ClientHello into a buffer as soon as the connection is created).

use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, RootCertStore};
use serde::Serialize;

use crate::{ClientProfile, Error};

/// The size of a ClientHello as it went on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClientHelloSize {
    /// The whole first TLS record: the 5-byte record header and the handshake message. This is
    /// what a stack that reads "one record" must buffer.
    pub record_bytes: usize,
    /// The ClientHello handshake message alone (4-byte handshake header and body), the number
    /// packet captures and most write-ups quote.
    pub handshake_bytes: usize,
}

impl ClientHelloSize {
    /// Reads the size from the first bytes a client wrote: a handshake record holding a ClientHello.
    /// `None` when `first_bytes` does not start with one.
    pub fn parse(first_bytes: &[u8]) -> Option<Self> {
        const HANDSHAKE: u8 = 22;
        const CLIENT_HELLO: u8 = 1;
        let header = first_bytes.get(..9)?;
        if header[0] != HANDSHAKE || header[5] != CLIENT_HELLO {
            return None;
        }
        let record_len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let body_len =
            usize::from(header[6]) << 16 | usize::from(header[7]) << 8 | usize::from(header[8]);
        Some(Self {
            record_bytes: 5 + record_len,
            handshake_bytes: 4 + body_len,
        })
    }
}

/// The ClientHello `profile` sends to `server_name`, measured without connecting.
///
/// The server name matters: a DNS name goes into the SNI extension, an IP address (an accessory on
/// its SoftAP at 192.168.4.1) does not.
pub fn measure(
    profile: &ClientProfile,
    server_name: ServerName<'static>,
) -> Result<ClientHelloSize, Error> {
    // The verifier is never asked anything: no byte is read. rustls's webpki verifier with no roots
    // refuses everything, which is the right thing to hold if it ever were.
    let mut config = profile
        .builder()?
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    let mut conn =
        ClientConnection::new(Arc::new(config), server_name).map_err(|e| Error::ClientProfile {
            profile: profile.name,
            reason: e.to_string(),
        })?;
    let mut wire = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut wire)
            .map_err(|e| Error::ClientProfile {
                profile: profile.name,
                reason: e.to_string(),
            })?;
    }
    ClientHelloSize::parse(&wire).ok_or(Error::ClientProfile {
        profile: profile.name,
        reason: "rustls did not write a ClientHello".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles;

    fn accessory_ip() -> ServerName<'static> {
        ServerName::IpAddress(std::net::Ipv4Addr::new(192, 168, 4, 1).into())
    }

    #[test]
    fn ios26_clienthello_is_past_one_kilobyte_because_of_the_post_quantum_share() {
        let ios26 = measure(ClientProfile::by_name("ios26").unwrap(), accessory_ip()).unwrap();
        let ios18 = measure(ClientProfile::by_name("ios18").unwrap(), accessory_ip()).unwrap();
        assert!(ios26.record_bytes > 1024, "{ios26:?}");
        assert!(ios18.record_bytes < 1024, "{ios18:?}");
        // The hybrid share is 1,216 bytes (1,184 of ML-KEM-768 and 32 of X25519), plus the group and
        // length fields; the rest of the two hellos is nearly the same.
        assert!(
            ios26.record_bytes - ios18.record_bytes >= 1216,
            "{ios26:?} {ios18:?}"
        );
    }

    #[test]
    fn record_and_handshake_sizes_differ_by_the_record_header() {
        for p in profiles() {
            let size = measure(p, accessory_ip()).unwrap();
            assert_eq!(size.record_bytes, size.handshake_bytes + 5, "{}", p.name);
        }
    }

    #[test]
    fn a_dns_name_adds_the_sni_extension() {
        let p = ClientProfile::by_name("ios18").unwrap();
        let by_ip = measure(p, accessory_ip()).unwrap();
        let by_name =
            measure(p, ServerName::try_from("sim-0001.accessory.local").unwrap()).unwrap();
        assert!(by_name.record_bytes > by_ip.record_bytes);
    }

    #[test]
    fn parse_refuses_what_is_not_a_clienthello() {
        assert_eq!(ClientHelloSize::parse(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(ClientHelloSize::parse(&[22, 3, 1]), None);
    }

    #[test]
    fn measured_sizes_per_profile() {
        // Printed with `--nocapture`; the numbers docs/alerts.md quotes come from here.
        for p in profiles() {
            let size = measure(p, accessory_ip()).unwrap();
            println!(
                "{:<11} {:>5} bytes record, {:>5} bytes handshake",
                p.name, size.record_bytes, size.handshake_bytes
            );
        }
    }
}
