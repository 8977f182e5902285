//! The phone platforms a probe predicts for.

use std::fmt;

use serde::Serialize;

/// A platform that gets a verdict at the end of a report.
///
/// Each is predicted from the client profile that emulates its TLS stack and from the certificate
/// rules its trust evaluation applies (Apple's for iOS, Android's for Android).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Platform {
    /// iOS 26 / macOS 26 (Network.framework, URLSession): post-quantum key share by default.
    Ios26,
    /// iOS 18 / macOS 15: classical key shares only.
    Ios18,
    /// Android 10 and later, through the platform TLS stack (Conscrypt, BoringSSL inside).
    Android,
}

/// Which rule book judges the certificate chain on a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleBook {
    /// Apple's requirements for trusted certificates (SAN, serverAuth EKU, 825 days, RSA >= 2048,
    /// SHA-2), applied by iOS and macOS.
    Apple,
    /// Android's (Conscrypt and the platform `TrustManager`).
    Android,
}

impl Platform {
    /// All platforms, in report order.
    pub const ALL: [Platform; 3] = [Platform::Ios26, Platform::Ios18, Platform::Android];

    /// The name people read ("iOS 26").
    pub fn label(self) -> &'static str {
        match self {
            Platform::Ios26 => "iOS 26",
            Platform::Ios18 => "iOS 18",
            Platform::Android => "Android",
        }
    }

    /// The certificate rules this platform applies.
    pub fn rule_book(self) -> RuleBook {
        match self {
            Platform::Ios26 | Platform::Ios18 => RuleBook::Apple,
            Platform::Android => RuleBook::Android,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
