//! How a certificate inspection reads to a person (`accessory trust inspect`).

use std::fmt;

use crate::Inspection;

/// One line per fact, each ending with a newline.
impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self;
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_owned()
            } else {
                v.join(", ")
            }
        };
        writeln!(f, "  subject:        {}", c.subject)?;
        writeln!(f, "  issuer:         {}", c.issuer)?;
        writeln!(f, "  serial:         {}", c.serial)?;
        writeln!(
            f,
            "  validity:       {} .. {} ({} days)",
            c.not_before, c.not_after, c.validity_days
        )?;
        writeln!(f, "  DNS names:      {}", list(&c.dns_names))?;
        let ips: Vec<String> = c.ip_addresses.iter().map(ToString::to_string).collect();
        writeln!(f, "  IP addresses:   {}", list(&ips))?;
        writeln!(
            f,
            "  CA:             {}{}",
            c.is_ca,
            if c.self_issued { " (self-issued)" } else { "" }
        )?;
        match &c.extended_key_usage {
            Some(eku) => writeln!(f, "  extended usage: {}", list(eku))?,
            None => writeln!(f, "  extended usage: (no extendedKeyUsage)")?,
        }
        writeln!(
            f,
            "  key:            {} {} bits",
            c.key_algorithm, c.key_bits
        )?;
        writeln!(f, "  signature:      {}", c.signature_algorithm)?;
        if !c.critical_extensions.is_empty() {
            writeln!(f, "  critical:       {}", list(&c.critical_extensions))?;
        }
        writeln!(f, "  pin:            {}", c.pin)?;
        writeln!(f, "  pin (curl):     {}", c.pin_curl)?;
        writeln!(f, "  fingerprint:    {}", c.fingerprint_sha256)?;
        Ok(())
    }
}
