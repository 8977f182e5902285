//! The shapes every certificate here starts from: a manufacturer root, an issuing intermediate, and a
//! good device leaf. A faulty profile is a good leaf with one thing changed (see `generate.rs`), so
//! that each profile tests exactly one fault.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::{device_id, Error, SOFTAP_IP};

/// subject serialNumber (X.520), where device certificates carry the unit's serial.
const SERIAL_NUMBER_OID: &[u64] = &[2, 5, 4, 5];

/// A validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// `days` long, starting a day ago (so that a client whose clock is a little behind still
    /// accepts it).
    pub(crate) fn days_from_yesterday(days: i64) -> Self {
        let not_before = now() - Duration::days(1);
        Validity {
            not_before,
            not_after: not_before + Duration::days(days),
        }
    }

    /// From `start` days to `end` days relative to now (negative is in the past).
    pub(crate) fn relative(start: i64, end: i64) -> Self {
        let now = now();
        Validity {
            not_before: now + Duration::days(start),
            not_after: now + Duration::days(end),
        }
    }

    /// What a good device leaf gets: a year around now.
    pub(crate) fn device() -> Self {
        Self::days_from_yesterday(365)
    }

    fn apply(self, params: &mut CertificateParams) {
        params.not_before = self.not_before;
        params.not_after = self.not_after;
    }
}

/// Now, to the second (certificates carry no fractions).
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A manufacturer root: CA:TRUE without a path length limit, valid 20 years.
pub(crate) fn root(organization: &str, common_name: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(organization, common_name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Validity::days_from_yesterday(20 * 365).apply(&mut p);
    p
}

/// An issuing CA under a root: CA:TRUE, pathlen 0 (it signs device leaves only), valid 10 years.
pub(crate) fn intermediate(organization: &str, common_name: &str) -> CertificateParams {
    let mut p = root(organization, common_name);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.use_authority_key_identifier_extension = true;
    Validity::days_from_yesterday(10 * 365).apply(&mut p);
    p
}

/// A good device leaf: subject serialNumber = the device id, CN and DNS SAN
/// `<id>.accessory.local`, IP SAN 192.168.4.1, CA:FALSE, digitalSignature, serverAuth, one year.
///
/// The CN repeats the DNS SAN, as the CA/Browser Forum's BR 7.1.4.3 requires of a CN (`trust lint`'s
/// `webpki.cn_in_san`): minted certificates lint clean. The device id stays proven by the
/// serialNumber and the DNS SAN's first label.
pub(crate) fn device_leaf(id: &str, validity: Validity) -> Result<CertificateParams, Error> {
    device_id::validate(id)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, device_id::dns_name(id));
    dn.push(
        DnType::CustomDnType(SERIAL_NUMBER_OID.to_vec()),
        DnValue::PrintableString(
            id.try_into()
                .map_err(|e| Error::generate("the device subject", e))?,
        ),
    );
    p.distinguished_name = dn;
    p.subject_alt_names = vec![
        SanType::DnsName(
            device_id::dns_name(id)
                .try_into()
                .map_err(|e| Error::generate("the device DNS name", e))?,
        ),
        SanType::IpAddress(SOFTAP_IP),
    ];
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    validity.apply(&mut p);
    Ok(p)
}

fn name(organization: &str, common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, organization);
    dn.push(DnType::CommonName, common_name);
    dn
}
