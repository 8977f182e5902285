//! Apple configuration profiles: one `com.apple.security.root` payload per anchor.
//!
//! The profile installs each anchor as a root. iOS then still refuses to use a manually installed root
//! for TLS until the user turns on full trust for it in Settings > General > About > Certificate Trust
//! Settings (a profile delivered by MDM is trusted without that step). macOS asks in Keychain Access.
//! The instructions returned with the export say so, because this is the step that gets missed.
//! Pins have no place in a profile (an app pins with `NSPinnedDomains` in its own Info.plist), so
//! pins given to this format are reported and left out.

use plist::{Dictionary, Value};

use super::{stable_uuid, Export, ExportError, ExportInput, ExportedFile, Format};

pub(crate) fn export(input: &ExportInput) -> Result<Export, ExportError> {
    if input.anchors.is_empty() {
        return Err(ExportError::Unsuitable(
            "a configuration profile installs certificates, and none was given (pins alone cannot go in a profile: an iOS app pins with NSPinnedDomains in its Info.plist)".to_owned(),
        ));
    }
    check_identifier(&input.identifier)?;
    let mut payloads = Vec::new();
    for anchor in &input.anchors {
        let mut p = Dictionary::new();
        p.insert(
            "PayloadCertificateFileName".into(),
            Value::String(format!("{}.cer", file_stem(&anchor.label))),
        );
        p.insert(
            "PayloadContent".into(),
            Value::Data(anchor.certificate.as_ref().to_vec()),
        );
        p.insert(
            "PayloadDescription".into(),
            Value::String(format!(
                "Trust anchor {} (SHA-256 {})",
                anchor.subject, anchor.fingerprint
            )),
        );
        p.insert(
            "PayloadDisplayName".into(),
            Value::String(anchor.label.clone()),
        );
        p.insert(
            "PayloadIdentifier".into(),
            Value::String(format!(
                "{}.root.{}",
                input.identifier,
                &anchor.fingerprint[..16]
            )),
        );
        p.insert(
            "PayloadType".into(),
            Value::String("com.apple.security.root".into()),
        );
        p.insert(
            "PayloadUUID".into(),
            Value::String(stable_uuid(&format!(
                "{}/root/{}",
                input.identifier, anchor.fingerprint
            ))),
        );
        p.insert("PayloadVersion".into(), Value::Integer(1.into()));
        payloads.push(Value::Dictionary(p));
    }

    let mut top = Dictionary::new();
    top.insert("PayloadContent".into(), Value::Array(payloads));
    top.insert(
        "PayloadDescription".into(),
        Value::String(
            "Installs the roots that Wi-Fi accessories present during setup. After installing, enable full trust in Settings > General > About > Certificate Trust Settings.".into(),
        ),
    );
    top.insert(
        "PayloadDisplayName".into(),
        Value::String(input.display_name.clone()),
    );
    top.insert(
        "PayloadIdentifier".into(),
        Value::String(input.identifier.clone()),
    );
    if let Some(org) = &input.organization {
        top.insert("PayloadOrganization".into(), Value::String(org.clone()));
    }
    top.insert("PayloadRemovalDisallowed".into(), Value::Boolean(false));
    top.insert("PayloadType".into(), Value::String("Configuration".into()));
    let all: Vec<&str> = input
        .anchors
        .iter()
        .map(|a| a.fingerprint.as_str())
        .collect();
    top.insert(
        "PayloadUUID".into(),
        Value::String(stable_uuid(&format!(
            "{}/profile/{}",
            input.identifier,
            all.join(",")
        ))),
    );
    top.insert("PayloadVersion".into(), Value::Integer(1.into()));

    let mut xml = Vec::new();
    Value::Dictionary(top)
        .to_writer_xml(&mut xml)
        .map_err(|e| ExportError::Plist(e.to_string()))?;
    xml.push(b'\n');

    let mut warnings = Vec::new();
    if !input.pins.is_empty() {
        warnings.push(format!(
            "{} pin(s) left out: a configuration profile cannot hold pins (an iOS app pins with NSPinnedDomains in its Info.plist)",
            input.pins.len()
        ));
    }
    let names: Vec<String> = input
        .anchors
        .iter()
        .map(|a| format!("  - {} (SHA-256 {})", a.label, a.fingerprint))
        .collect();
    let instructions = format!(
        "accessory-trust.mobileconfig: an Apple configuration profile installing {count} root(s):
{names}

iOS / iPadOS:
  1. Send the profile to the device (AirDrop, Mail, a web page, or your MDM).
  2. Settings > General > VPN & Device Management (\"Profile Downloaded\") > Install.
  3. Manual step, easy to miss: Settings > General > About > Certificate Trust Settings, and turn ON
     full trust for each root above. Until you do, iOS refuses the accessory's certificate for TLS
     even though the profile is installed. (Profiles installed by MDM are trusted without this step.)
macOS:
  Open the profile, then System Settings > Privacy & Security > Profiles > Install; check the root in
  Keychain Access (System keychain) shows \"This certificate is marked as trusted for all users\".

Check the fingerprints above against the ones your manufacturer published before installing.
Re-exporting the same anchors gives the same PayloadUUIDs, so re-installing replaces the old profile.
",
        count = input.anchors.len(),
        names = names.join("\n"),
    );
    Ok(Export {
        format: Format::Mobileconfig,
        files: vec![ExportedFile {
            path: "accessory-trust.mobileconfig".into(),
            contents: xml,
        }],
        instructions,
        warnings,
    })
}

fn check_identifier(id: &str) -> Result<(), ExportError> {
    let ok = !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(ExportError::InvalidValue {
            what: "profile identifier",
            value: id.to_owned(),
            reason: "use reverse-DNS form, letters, digits, '-' and '_' between dots (com.example.accessory)",
        })
    }
}

/// A file name for the certificate inside the profile (shown by iOS).
fn file_stem(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "anchor".to_owned()
    } else {
        s.to_owned()
    }
}
