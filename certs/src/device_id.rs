//! Device ids: what may be written into a certificate, and "another device" for the wrong-name fault.

use crate::Error;

/// The DNS suffix of device names: a leaf for `SIM-0001` names `SIM-0001.accessory.local`. The
/// verifier's own constant, so what is minted is what a device id is checked against.
pub const DNS_SUFFIX: &str = trust::ACCESSORY_DOMAIN;

/// Checks that `id` can be the subject CN, the subject serialNumber (a PrintableString) and the first
/// label of a DNS name: 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen.
pub fn validate(id: &str) -> Result<(), Error> {
    let refuse = |reason| {
        Err(Error::InvalidDeviceId {
            device_id: id.to_owned(),
            reason,
        })
    };
    if id.is_empty() {
        return refuse("it is empty");
    }
    if id.len() > 63 {
        return refuse("it is longer than 63 characters (a DNS label)");
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return refuse("only letters, digits and hyphens are allowed (it becomes a DNS label)");
    }
    if id.starts_with('-') || id.ends_with('-') {
        return refuse("it may not start or end with a hyphen (it becomes a DNS label)");
    }
    Ok(())
}

/// `<id>.accessory.local`.
pub(crate) fn dns_name(id: &str) -> String {
    format!("{id}.{DNS_SUFFIX}")
}

/// A plausible id of another unit of the same product: the trailing number incremented with its
/// width kept (`SIM-0001` -> `SIM-0002`), or `-2` appended when there is no trailing number.
pub fn another(id: &str) -> String {
    let digits = id.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (stem, number) = id.split_at(id.len() - digits);
    match number.parse::<u64>() {
        Ok(n) if digits > 0 => {
            let next = n.wrapping_add(1);
            let width = digits;
            let text = format!("{next:0width$}");
            // 9999 -> 10000 would lengthen the id; wrap to keep the shape.
            let text = if text.len() > width {
                format!("{:0width$}", 0)
            } else {
                text
            };
            format!("{stem}{text}")
        }
        _ => format!("{id}-2"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_device_increments_the_serial_keeping_its_width() {
        assert_eq!(another("SIM-0001"), "SIM-0002");
        assert_eq!(another("SIM-9999"), "SIM-0000");
        assert_eq!(another("plug"), "plug-2");
        assert_ne!(another("A1"), "A1");
    }

    #[test]
    fn device_ids_that_cannot_be_a_dns_label_are_refused() {
        assert!(validate("SIM-0001").is_ok());
        for bad in ["", "-a", "a-", "a b", "a.b", "a_b", &"x".repeat(64)] {
            let err = validate(bad).unwrap_err();
            assert_eq!(err.code(), "certs.invalid_device_id", "{bad}");
        }
    }
}
