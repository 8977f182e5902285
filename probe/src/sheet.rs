//! The profile sheet (`accessory probe --list-profiles`): every client profile with the size of its
//! ClientHello and of its faithful hello, measured offline.

use rustls::pki_types::ServerName;

use crate::Error;

/// One client profile as `accessory probe --list-profiles` shows it: the profile, its ClientHello's
/// size towards an IP address (no SNI, as a phone on the SoftAP sends it), and the real platform's
/// hello when there is a capture of it.
#[derive(Debug, serde::Serialize)]
pub struct ProfileSheet {
    /// The profile.
    #[serde(flatten)]
    pub profile: &'static crate::ClientProfile,
    /// Measured towards an IP address (no SNI), as a phone on the SoftAP sends it.
    pub clienthello: crate::ClientHelloSize,
    /// The real platform's hello (a public capture, refreshed) towards an IP address.
    pub faithful: Option<FaithfulSize>,
}

/// What `accessory probe --list-profiles` prints for it: the profile, its hello's size, what it
/// emulates, and the size of the real platform's hello when there is a capture.
impl std::fmt::Display for ProfileSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:<11} ClientHello {:>5} bytes on the wire (to 192.168.4.1, no SNI)\n            {}",
            self.profile.name, self.clienthello.record_bytes, self.profile.emulates
        )?;
        if let Some(x) = &self.faithful {
            writeln!(
                f,
                "            real hello {:>5} bytes, {} segment(s) at MSS 1460: {}",
                x.record_bytes, x.segments_at_1460, x.source
            )?;
        }
        Ok(())
    }
}

/// The size of a profile's faithful hello.
#[derive(Debug, serde::Serialize)]
pub struct FaithfulSize {
    /// Where the capture comes from.
    pub source: &'static str,
    /// The whole TLS record, in bytes.
    pub record_bytes: usize,
    /// How many TCP segments it takes at an MSS of 1,460 bytes.
    pub segments_at_1460: usize,
}

/// Every profile's [`ProfileSheet`], measured towards 192.168.4.1 (offline: nothing is sent).
pub fn profile_sheet() -> Result<Vec<ProfileSheet>, Error> {
    let accessory = ServerName::IpAddress(std::net::Ipv4Addr::new(192, 168, 4, 1).into());
    let mut listed = Vec::new();
    for p in crate::profiles() {
        let clienthello = crate::measure(p, accessory.clone())?;
        let faithful = match crate::Template::of(p.name) {
            None => None,
            Some(t) => {
                let bytes = t.captured().refreshed(None)?.to_record().len();
                Some(FaithfulSize {
                    source: t.source,
                    record_bytes: bytes,
                    segments_at_1460: crate::Segmentation::default().segments(bytes),
                })
            }
        };
        listed.push(ProfileSheet {
            profile: p,
            clienthello,
            faithful,
        });
    }
    Ok(listed)
}
