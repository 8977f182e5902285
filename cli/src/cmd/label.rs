//! `accessory provision --label FILE`: the accessory's label (docs/labels.md) fills --device-id,
//! the SoftAP's --ssid (with --wifi), the key the accessory must present (--expect-fingerprint, and
//! --pin when no other trust mode is given: the label is the out-of-band record of the key, as a
//! pin is) and the proof-of-possession code. A flag that says something else than the label is an
//! error naming the flag, never silently overridden. Reading the label is `provision::label`.

use std::path::Path;

use provision::{ExpectedKey, Secret};

use super::wifi_join::WifiArgs;
use crate::exit::{codes, fail, failed};

/// The `provision` flags a label answers.
pub struct Flags<'a> {
    /// `--device-id`.
    pub device_id: &'a mut Option<String>,
    /// `--expect-fingerprint`.
    pub expect_fingerprint: &'a mut Option<ExpectedKey>,
    /// `--pin`.
    pub pins: &'a mut Vec<trust::Pin>,
    /// Whether another trust mode was given (`--anchors`, `--store`, `--tofu`).
    pub other_trust: bool,
    /// `--wifi`, `--ssid`, `--ssid-prefix`.
    pub wifi: &'a mut WifiArgs,
    /// `--pop-file`.
    pub pop_file: Option<&'a Path>,
}

/// Reads the label `arg` names (`--label`), fills the flags it answers, and returns its PoP code.
pub fn apply(arg: &str, args: Flags<'_>) -> anyhow::Result<Secret> {
    let label = provision::label::read(arg).or_else(failed)?;
    let conflict = |flag: &str, given: &str, labelled: &str| {
        fail(
            codes::LABEL_CONFLICT,
            anyhow::anyhow!(
                "{flag} {given} contradicts the label, which says {labelled}: drop {flag} (the label fills it), or check that this is this accessory's label"
            ),
        )
    };
    match args.device_id {
        Some(id) if !id.eq_ignore_ascii_case(&label.device_id) => {
            return conflict("--device-id", id, &label.device_id)
        }
        _ => *args.device_id = Some(label.device_id.clone()),
    }
    let pin: trust::Pin = label
        .key_pin()
        .parse()
        .expect("a label's key is a SHA-256, which is a pin");
    match args.expect_fingerprint {
        Some(ExpectedKey::Pin(p)) if *p == pin => {}
        Some(other) => {
            return conflict(
                "--expect-fingerprint",
                &other.to_string(),
                &format!("pin {pin}"),
            )
        }
        None => *args.expect_fingerprint = Some(ExpectedKey::Pin(pin)),
    }
    // No trust mode given: the label's key is the pin.
    if args.pins.is_empty() && !args.other_trust {
        args.pins.push(pin);
    }
    if args.wifi.wifi.is_some() {
        match (&args.wifi.ssid, &args.wifi.ssid_prefix) {
            (Some(ssid), _) if *ssid != label.ssid => return conflict("--ssid", ssid, &label.ssid),
            (None, Some(prefix)) if !label.ssid.starts_with(prefix.as_str()) => {
                return conflict("--ssid-prefix", prefix, &label.ssid)
            }
            _ => {
                args.wifi.ssid_prefix = None;
                args.wifi.ssid = Some(label.ssid.clone());
            }
        }
    }
    if let Some(path) = args.pop_file {
        let given = Secret::from_file(path, "proof-of-possession code").or_else(failed)?;
        if given.expose() != label.pop {
            // Neither code is printed: both are credentials.
            return fail(
                codes::LABEL_CONFLICT,
                anyhow::anyhow!(
                    "--pop-file {} holds another proof-of-possession code than the label: drop --pop-file (the label carries the code), or check that this is this accessory's label",
                    path.display()
                ),
            );
        }
    }
    Ok(Secret::new(label.pop.clone()))
}
