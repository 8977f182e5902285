//! The plain formats: a PEM bundle, curl's pin string, and JSON for scripts.

use serde::Serialize;

use super::{Export, ExportError, ExportInput, ExportedFile, Format};

pub(crate) fn pem_bundle(input: &ExportInput) -> Result<Export, ExportError> {
    if input.anchors.is_empty() {
        return Err(ExportError::Unsuitable(
            "a PEM bundle holds certificates, and none was given (use --format curl-pins for pins)"
                .to_owned(),
        ));
    }
    let mut text = String::new();
    for a in &input.anchors {
        text.push_str(&format!(
            "# {}\n# subject: {}\n# SHA-256: {}\n# pin: {}\n",
            a.label, a.subject, a.fingerprint, a.pin
        ));
        text.push_str(&crate::store::pem_of(&a.certificate));
    }
    Ok(Export {
        format: Format::PemBundle,
        files: vec![ExportedFile {
            path: "accessory-anchors.pem".into(),
            contents: text.into_bytes(),
        }],
        instructions: String::new(),
        warnings: pin_warning(input, "a PEM bundle"),
    })
}

/// curl's `--pinnedpubkey` matches the server's own key, so only pins of keys a server presents are
/// useful: given pins, and anchors that are server certificates themselves (self-signed accessories).
/// A CA root's key is never the server's; such anchors are left out with a warning.
pub(crate) fn curl_pins(input: &ExportInput) -> Result<Export, ExportError> {
    let mut pins: Vec<String> = input.pins.clone();
    let mut warnings = Vec::new();
    for a in &input.anchors {
        if a.names_a_server {
            pins.push(a.pin.clone());
        } else {
            warnings.push(format!(
                "{} left out: it is a CA, and curl's --pinnedpubkey matches the server's own key; use --format pem-bundle with curl --cacert for it",
                a.label
            ));
        }
    }
    let mut seen = Vec::new();
    pins.retain(|p| {
        let keep = !seen.contains(p);
        seen.push(p.clone());
        keep
    });
    if pins.is_empty() {
        return Err(ExportError::Unsuitable(
            "no pin to export: every anchor is a CA (curl pins the server's own key); give --pin or export a pem-bundle for --cacert".to_owned(),
        ));
    }
    let text: Vec<String> = pins
        .iter()
        .map(|p| format!("sha256//{}", p.strip_prefix("sha256/").unwrap_or(p)))
        .collect();
    Ok(Export {
        format: Format::CurlPins,
        files: vec![ExportedFile {
            path: "curl-pins.txt".into(),
            contents: format!("{}\n", text.join(";")).into_bytes(),
        }],
        instructions: String::new(),
        warnings,
    })
}

#[derive(Serialize)]
struct JsonExport<'a> {
    anchors: Vec<JsonAnchor<'a>>,
    pins: &'a [String],
}

#[derive(Serialize)]
struct JsonAnchor<'a> {
    label: &'a str,
    fingerprint: &'a str,
    pin: &'a str,
    subject: &'a str,
    not_after: &'a str,
    ca: bool,
    pem: String,
}

pub(crate) fn json(input: &ExportInput) -> Result<Export, ExportError> {
    let doc = JsonExport {
        anchors: input
            .anchors
            .iter()
            .map(|a| JsonAnchor {
                label: &a.label,
                fingerprint: &a.fingerprint,
                pin: &a.pin,
                subject: &a.subject,
                not_after: &a.not_after,
                ca: a.ca,
                pem: crate::store::pem_of(&a.certificate),
            })
            .collect(),
        pins: &input.pins,
    };
    let mut text =
        serde_json::to_vec_pretty(&doc).map_err(|e| ExportError::Plist(e.to_string()))?;
    text.push(b'\n');
    Ok(Export {
        format: Format::Json,
        files: vec![ExportedFile {
            path: "accessory-trust.json".into(),
            contents: text,
        }],
        instructions: String::new(),
        warnings: Vec::new(),
    })
}

fn pin_warning(input: &ExportInput, what: &str) -> Vec<String> {
    if input.pins.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "{} pin(s) left out: {what} holds certificates only (use --format curl-pins or android-nsc)",
            input.pins.len()
        )]
    }
}
