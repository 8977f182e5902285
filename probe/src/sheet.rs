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
