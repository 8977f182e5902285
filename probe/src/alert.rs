//! TLS alerts by their RFC names, as reports print them.
//!
//! rustls names alerts in CamelCase (`BadCertificate`); field reports, Apple's documentation and
//! OpenSSL's logs use the RFC spelling (`bad_certificate`, "SSL alert number 42"). The names come
//! from the IANA registry kept once, in `trust::diagnosis::alert_name` (spelled, with its one
//! fallback for an unassigned number, by `trust::diagnosis::alert_label`); what an alert *means* on
//! each platform is `trust::diagnose`'s business (and docs/alerts.md's).

use std::fmt;

use rustls::AlertDescription;
use serde::Serialize;

/// A TLS alert: its number on the wire and its RFC name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The description byte on the wire (42).
    pub number: u8,
    /// The RFC name (`bad_certificate`), or `alert_N` for an unassigned number.
    pub name: &'static str,
}

impl Alert {
    /// The alert with this number.
    pub fn from_number(number: u8) -> Self {
        let name = trust::diagnosis::alert_label(number);
        Self { number, name }
    }
}

impl From<AlertDescription> for Alert {
    fn from(d: AlertDescription) -> Self {
        Self::from_number(u8::from(d))
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_alerts_get_their_rfc_names() {
        assert_eq!(
            Alert::from(AlertDescription::BadCertificate).to_string(),
            "bad_certificate (42)"
        );
        assert_eq!(
            Alert::from(AlertDescription::CertificateRequired).name,
            "certificate_required"
        );
        assert_eq!(Alert::from(AlertDescription::UnknownCA).name, "unknown_ca");
        assert_eq!(Alert::from_number(200).name, "alert_200");
    }
}
