//! The fleet inventory: which accessories to provision and how to trust each (docs/fleet.md).
//!
//! One row type, [`InventoryRow`], read from CSV (a header line naming the columns), TOML
//! (`[[accessories]]` tables) or JSON (an array of rows, or an object with `accessories`, which is
//! exactly the manifest `accessory sim fleet` writes: `{anchors, profile, accessories: [{id, addr,
//! pin, anchors}]}`). The format is chosen by the file's extension. Unknown columns are refused,
//! so a typo (`fingreprint`) is an error rather than a silently weaker policy. Relative paths
//! (anchors, PoP files, labels, API profiles) are read from the inventory's directory, as a
//! manifest next to its anchors expects. Every error names the file and the line (CSV, and JSON and
//! TOML syntax) or the row number and device id (a row that parses but cannot be used).
//!
//! A row may name the unit's label (`label.txt`, or `label.png` and its QR code), read when the
//! inventory is: it fills the device id, the SoftAP SSID (of a row without an address), the key
//! (the fingerprint, and the pin when no anchors are given) and the proof-of-possession code, as
//! `provision --label` does. A row field that says something else than its label is refused,
//! naming the field, before anything is contacted.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use protocol::AccessoryAddress;

use crate::request::ExpectedKey;
use crate::secret::Secret;

/// One accessory of the inventory. Field names are the CSV columns and the JSON/TOML keys;
/// `id` and `addr` (the names `sim fleet`'s manifest uses) are accepted for `device_id` and
/// `address`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryRow {
    /// The device id on the label; the certificate must name it. Required (given, or read from
    /// the row's `label`): it is the key the ledger resumes by.
    #[serde(alias = "id", default)]
    pub device_id: String,
    /// Where the accessory listens, `HOST[:PORT]` (port 443 unless given). At least one of
    /// `address` and `softap_ssid`; with both, the SoftAP is joined and the address used on it
    /// (instead of the router the SoftAP's DHCP names).
    #[serde(alias = "addr", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The accessory's SoftAP to join first (with `--wifi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub softap_ssid: Option<String>,
    /// A pin of the accessory's key: `sha256/BASE64`, `sha256//BASE64` or hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// A PEM file of roots (the manufacturer CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchors: Option<PathBuf>,
    /// The key from the label or QR code: the certificate's SHA-256 (hex) or a pin. Alone, it is
    /// a first use confirmed by it (trust on first use, recorded in the ledger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// A file holding the proof-of-possession code from the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop_file: Option<PathBuf>,
    /// The home network to send, when not the run's `--network-ssid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_ssid: Option<String>,
    /// A file holding that network's passphrase, when not the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_passphrase_file: Option<PathBuf>,
    /// The unit's label (`label.txt`, or an image of its QR code, as `certs mint` writes them):
    /// fills `device_id`, `softap_ssid` (when there is no `address`), `fingerprint`, `pin` (when
    /// there are no `anchors`) and the PoP code; a field that contradicts it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<PathBuf>,
    /// An API profile (docs/api-profiles.md) the accessory speaks, when not the run's
    /// (`--api-profile`, else our `/v1` API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_profile: Option<PathBuf>,
    /// How the accessory is provisioned: `api` (an HTTPS API: `/v1` or an API profile; the
    /// default) or `esp` (ESP-IDF's protocomm, `provision --protocol esp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// An `esp` row's transport: `http` (the default; port 80 unless the address names one) or
    /// `https` (the certificate checked by the row's pin or anchors first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp_transport: Option<String>,
    /// An `esp` row's security 2 SRP username (default `wifiprov`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp_username: Option<String>,
    /// An `esp` row's security 2 SRP password file; without it, security 1 with the row's PoP
    /// code (`pop_file` or `label`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp_password_file: Option<PathBuf>,
    /// The proof-of-possession code read from `label` (not a column: filled when the inventory
    /// is read; used instead of `pop_file`, which must then hold the same code).
    #[serde(skip)]
    pub label_pop: Option<Secret>,
}

/// Where a row came from, for errors and reports: the CSV line, or the row's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RowPlace {
    /// 1-based position among the accessories.
    pub row: usize,
    /// The line in the file, when the format tells (CSV).
    pub line: Option<u64>,
}

impl fmt::Display for RowPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line} (row {})", self.row),
            None => write!(f, "row {}", self.row),
        }
    }
}

/// A parsed, checked inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The file read.
    pub file: PathBuf,
    /// The rows, in file order, each with its place; paths made absolute.
    pub rows: Vec<(RowPlace, InventoryRow)>,
}

/// The inventory formats, chosen by extension (`.csv`, `.toml`, `.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// TOML, `[[accessories]]` tables.
    Toml,
    /// JSON: an array of rows, or a `sim fleet` manifest.
    Json,
}

impl InventoryFormat {
    /// The format a file name says, if any.
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Why an inventory cannot be used. Every variant names the file; row errors name the row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// The file could not be read.
    #[error("{}: {source}", file.display())]
    Read {
        /// The inventory file.
        file: PathBuf,
        /// What went wrong underneath.
        source: std::io::Error,
    },
    /// The extension names no format.
    #[error("{}: name the format by the extension: .csv, .toml or .json", file.display())]
    Format {
        /// The inventory file.
        file: PathBuf,
    },
    /// The file is not valid CSV, TOML or JSON, or a row has a wrong or unknown field.
    #[error("{}: {at}: {message}", file.display())]
    Syntax {
        /// The inventory file.
        file: PathBuf,
        /// `line N` or `line N, column M` (or `row N` when the parser does not say).
        at: String,
        /// What is wrong, in words.
        message: String,
    },
    /// A row parsed but cannot be used (no address, no trust, a bad pin, a duplicate id).
    #[error("{}: {place} ({device_id}): {message}", file.display())]
    Row {
        /// The inventory file.
        file: PathBuf,
        /// The row (and line) in the file.
        place: RowPlace,
        /// The accessory's device id.
        device_id: String,
        /// What is wrong, in words.
        message: String,
    },
    /// A row's label cannot be read; its `label.*` code is kept.
    #[error("{}: {place} ({device_id}): {source}", file.display())]
    Label {
        /// The inventory file.
        file: PathBuf,
        /// The row (and line) in the file.
        place: RowPlace,
        /// The accessory's device id, when the row gives one.
        device_id: String,
        /// Why the label cannot be read.
        source: Box<crate::label::LabelReadError>,
    },
    /// A row's API profile cannot be used; its `profile.*` or `input.*` code is kept.
    #[error("{}: {place} ({device_id}): {source}", file.display())]
    Profile {
        /// The inventory file.
        file: PathBuf,
        /// The row (and line) in the file.
        place: RowPlace,
        /// The accessory's device id.
        device_id: String,
        /// Why the profile cannot be used.
        source: Box<crate::ProfileLoadError>,
    },
    /// No accessories.
    #[error("{}: no accessories", file.display())]
    Empty {
        /// The inventory file.
        file: PathBuf,
    },
    /// The ledger could not say what was done before.
    #[error("{device_id}: the ledger cannot say whether it was provisioned before: {source}")]
    Ledger {
        /// The accessory's device id.
        device_id: String,
        /// What went wrong underneath.
        source: Box<crate::Error>,
    },
}

impl InventoryError {
    /// The stable code (`input.inventory`; `input.not_found` for a missing file).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                trust::diagnosis::codes::INPUT_NOT_FOUND
            }
            Self::Ledger { source, .. } => source.code(),
            Self::Label { source, .. } => source.code(),
            Self::Profile { source, .. } => source.code(),
            _ => crate::diagnosis::codes::INPUT_INVENTORY,
        }
    }

    /// Bad input (fix the file), but the ledger's own kind for a ledger error.
    pub fn kind(&self) -> trust::ErrorKind {
        match self {
            Self::Ledger { source, .. } => source.kind(),
            Self::Label { source, .. } => source.kind(),
            Self::Profile { source, .. } => source.kind(),
            _ => trust::ErrorKind::BadInput,
        }
    }
}

/// JSON and TOML documents: rows under `accessories`; `anchors` at the top (the manifest's) is
/// every row's default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    anchors: Option<PathBuf>,
    /// The manifest's certificate profile: informative only.
    #[serde(default)]
    #[allow(dead_code)]
    profile: Option<String>,
    accessories: Vec<InventoryRow>,
}

impl Inventory {
    /// Reads and checks an inventory file.
    pub fn read(file: &Path) -> Result<Self, InventoryError> {
        // Bounded: an inventory of thousands of rows is well under this; `/dev/zero` is refused.
        let read = |source| InventoryError::Read {
            file: file.to_owned(),
            source,
        };
        let bytes = trust::read_file_bounded(file, 64 << 20).map_err(read)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })?;
        let format = InventoryFormat::of(file).ok_or_else(|| InventoryError::Format {
            file: file.to_owned(),
        })?;
        Self::parse(&text, format, file)
    }

    /// Parses inventory text; `file` names it in errors and anchors relative paths. The labels
    /// rows name are read here (and a `pop_file` beside a label, to compare it).
    pub fn parse(text: &str, format: InventoryFormat, file: &Path) -> Result<Self, InventoryError> {
        let syntax = |at: String, message: String| InventoryError::Syntax {
            file: file.to_owned(),
            at,
            message,
        };
        let rows: Vec<(RowPlace, InventoryRow)> = match format {
            InventoryFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .trim(csv::Trim::All)
                    .comment(Some(b'#'))
                    .from_reader(text.as_bytes());
                let headers = reader
                    .headers()
                    .map_err(|e| syntax("line 1".into(), csv_message(&e)))?
                    .clone();
                let mut rows = Vec::new();
                for (i, record) in reader.records().enumerate() {
                    let at = |line: Option<u64>| {
                        line.map_or(format!("row {}", i + 1), |l| format!("line {l}"))
                    };
                    let record = record
                        .map_err(|e| syntax(at(e.position().map(|p| p.line())), csv_message(&e)))?;
                    let line = record.position().map(|p| p.line());
                    let row: CsvRow = record
                        .deserialize(Some(&headers))
                        .map_err(|e| syntax(at(line), csv_message(&e)))?;
                    rows.push((RowPlace { row: i + 1, line }, row.into_row()));
                }
                rows
            }
            InventoryFormat::Toml => {
                let doc: Document = toml::from_str(text).map_err(|e| {
                    let at = e.span().map_or("the document".to_owned(), |s| {
                        format!("line {}", line_of(text, s.start))
                    });
                    syntax(at, e.message().to_owned())
                })?;
                with_default_anchors(doc.accessories, doc.anchors)
            }
            InventoryFormat::Json => {
                let json_error = |e: serde_json::Error| {
                    syntax(
                        format!("line {}, column {}", e.line(), e.column()),
                        json_message(&e),
                    )
                };
                // Decided by the first character, so serde's errors keep their line numbers.
                if text.trim_start().starts_with('[') {
                    let rows: Vec<InventoryRow> = serde_json::from_str(text).map_err(json_error)?;
                    with_default_anchors(rows, None)
                } else {
                    let d: Document = serde_json::from_str(text).map_err(json_error)?;
                    with_default_anchors(d.accessories, d.anchors)
                }
            }
        };
        if rows.is_empty() {
            return Err(InventoryError::Empty {
                file: file.to_owned(),
            });
        }
        let base = file.parent().unwrap_or(Path::new("."));
        let mut seen = HashSet::new();
        let mut checked = Vec::with_capacity(rows.len());
        for (place, mut row) in rows {
            for path in [
                &mut row.anchors,
                &mut row.pop_file,
                &mut row.network_passphrase_file,
                &mut row.label,
                &mut row.api_profile,
                &mut row.esp_password_file,
            ]
            .into_iter()
            .flatten()
            {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
            let bad = |device_id: &str, message: String| InventoryError::Row {
                file: file.to_owned(),
                place,
                device_id: device_id.to_owned(),
                message,
            };
            match apply_label(&mut row) {
                Ok(()) => {}
                Err(LabelProblem::Read(source)) => {
                    return Err(InventoryError::Label {
                        file: file.to_owned(),
                        place,
                        device_id: row.device_id.clone(),
                        source: Box::new(source),
                    })
                }
                Err(LabelProblem::Conflict(message)) => return Err(bad(&row.device_id, message)),
            }
            check_row(&row).map_err(|m| bad(&row.device_id, m))?;
            if !seen.insert(row.device_id.to_ascii_lowercase()) {
                return Err(bad(&row.device_id, "this device id is listed twice".into()));
            }
            checked.push((place, row));
        }
        Ok(Inventory {
            file: file.to_owned(),
            rows: checked,
        })
    }
}

/// Why a row's label could not be applied.
enum LabelProblem {
    /// The label cannot be read: its own `label.*` code.
    Read(crate::label::LabelReadError),
    /// A field of the row says something else than the label (`input.inventory`).
    Conflict(String),
}

/// Reads the row's label, if it names one, and fills what the row leaves out from it, as
/// `provision --label` does: the device id, the SoftAP (for a row without an address), the key as
/// the fingerprint and, with no anchors, as the pin, and the PoP code. A field the row gives must
/// say what the label says; neither PoP code is ever put in a message.
fn apply_label(row: &mut InventoryRow) -> Result<(), LabelProblem> {
    let Some(path) = row.label.clone() else {
        return Ok(());
    };
    let label = crate::label::read_file(&path).map_err(LabelProblem::Read)?;
    let conflict = |field: &str, given: &str, labelled: &str| {
        LabelProblem::Conflict(format!(
            "{field} {given:?} contradicts its label {}, which says {labelled:?}: drop {field} \
             (the label fills it), or check that this is this accessory's label",
            path.display()
        ))
    };
    if row.device_id.trim().is_empty() {
        row.device_id.clone_from(&label.device_id);
    } else if !row.device_id.eq_ignore_ascii_case(&label.device_id) {
        return Err(conflict("device_id", &row.device_id, &label.device_id));
    }
    let key = label.key_pin();
    let pin: trust::Pin = key
        .parse()
        .expect("a label's key is a SHA-256, which is a pin");
    match &row.fingerprint {
        Some(given) => match given.parse::<ExpectedKey>() {
            Ok(ExpectedKey::Pin(p)) if p == pin => {}
            _ => return Err(conflict("fingerprint", given, &key)),
        },
        None => row.fingerprint = Some(key.clone()),
    }
    match &row.pin {
        // The pin and the label's key must both hold: another pin could never be met.
        Some(given) => match given.parse::<trust::Pin>() {
            Ok(p) if p == pin => {}
            _ => return Err(conflict("pin", given, &key)),
        },
        // No trust mode given: the label's key is the pin (the label is its out-of-band record).
        None if row.anchors.is_none() => row.pin = Some(key.clone()),
        None => {}
    }
    match &row.softap_ssid {
        Some(given) if *given != label.ssid => {
            return Err(conflict("softap_ssid", given, &label.ssid))
        }
        Some(_) => {}
        // A row with an address is reached there; without, over the label's SoftAP.
        None if row.address.is_none() => row.softap_ssid = Some(label.ssid.clone()),
        None => {}
    }
    if let Some(pop_file) = &row.pop_file {
        let given = Secret::from_file(pop_file, "proof-of-possession code")
            .map_err(|e| LabelProblem::Conflict(e.to_string()))?;
        if given.expose() != label.pop {
            return Err(LabelProblem::Conflict(format!(
                "pop_file {} holds another proof-of-possession code than its label {}: drop \
                 pop_file (the label carries the code), or check that this is this accessory's \
                 label",
                pop_file.display(),
                path.display()
            )));
        }
    }
    row.label_pop = Some(Secret::new(label.pop.clone()));
    Ok(())
}

/// What a row must have: an id, one place to reach it, a way to trust it.
fn check_row(row: &InventoryRow) -> Result<(), String> {
    if row.device_id.trim().is_empty() {
        return Err("device_id is empty".into());
    }
    if row.address.is_none() && row.softap_ssid.is_none() {
        return Err("give an address or a softap_ssid".into());
    }
    if let Some(a) = &row.address {
        a.parse::<AccessoryAddress>()
            .map_err(|e| format!("address {a:?}: {e}"))?;
    }
    if let Some(ssid) = &row.softap_ssid {
        protocol::validate_ssid(ssid)
            .map_err(|_| format!("softap_ssid {ssid:?} must be 1 to 32 bytes"))?;
    }
    let esp = match row.protocol.as_deref() {
        None | Some("api") => None,
        Some("esp") => Some(row.esp_transport.as_deref().unwrap_or("http")),
        Some(other) => return Err(format!("protocol {other:?}: give api or esp")),
    };
    if esp.is_none()
        && (row.esp_transport.is_some()
            || row.esp_username.is_some()
            || row.esp_password_file.is_some())
    {
        return Err(
            "esp_transport, esp_username and esp_password_file are for protocol = esp rows".into(),
        );
    }
    match esp {
        Some(t) if t != "http" && t != "https" => {
            return Err(format!("esp_transport {t:?}: give http or https"))
        }
        Some(_) if row.api_profile.is_some() => {
            return Err("an API profile describes an HTTPS API; a protocol = esp row has none".into())
        }
        Some(_) if row.esp_password_file.is_none() && row.pop_file.is_none() && row.label.is_none() => {
            return Err("an esp row needs its proof: pop_file or label (security 1), or esp_password_file (security 2)".into())
        }
        Some("https") if row.pin.is_none() && row.anchors.is_none() => {
            return Err("an esp row over https needs a pin or anchors (trust on first use is not offered for ESP-IDF)".into())
        }
        // Over plain HTTP the peer is proven by the security scheme's proof, not a certificate.
        Some(_) => return check_rest(row),
        None => {}
    }
    if row.pin.is_none() && row.anchors.is_none() && row.fingerprint.is_none() {
        return Err(
            "no way to trust it: give a pin, anchors or a fingerprint (nothing accepts every certificate)"
                .into(),
        );
    }
    check_rest(row)
}

/// The pin, fingerprint and network of a row, when given, must parse.
fn check_rest(row: &InventoryRow) -> Result<(), String> {
    if let Some(pin) = &row.pin {
        pin.parse::<trust::Pin>()
            .map_err(|e| format!("pin {pin:?}: {e}"))?;
    }
    if let Some(fp) = &row.fingerprint {
        fp.parse::<crate::ExpectedKey>()
            .map_err(|e| e.to_string())?;
    }
    if let Some(ssid) = &row.network_ssid {
        protocol::validate_ssid(ssid)
            .map_err(|_| format!("network_ssid {ssid:?} must be 1 to 32 bytes"))?;
    }
    Ok(())
}

fn with_default_anchors(
    rows: Vec<InventoryRow>,
    anchors: Option<PathBuf>,
) -> Vec<(RowPlace, InventoryRow)> {
    rows.into_iter()
        .enumerate()
        .map(|(i, mut row)| {
            if row.anchors.is_none() {
                row.anchors.clone_from(&anchors);
            }
            (
                RowPlace {
                    row: i + 1,
                    line: None,
                },
                row,
            )
        })
        .collect()
}

/// CSV cells are strings; an empty cell is an absent field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    #[serde(alias = "id", default)]
    device_id: String,
    #[serde(alias = "addr", default)]
    address: Option<String>,
    #[serde(default)]
    softap_ssid: Option<String>,
    #[serde(default)]
    pin: Option<String>,
    #[serde(default)]
    anchors: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    pop_file: Option<String>,
    #[serde(default)]
    network_ssid: Option<String>,
    #[serde(default)]
    network_passphrase_file: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    api_profile: Option<String>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    esp_transport: Option<String>,
    #[serde(default)]
    esp_username: Option<String>,
    #[serde(default)]
    esp_password_file: Option<String>,
}

impl CsvRow {
    fn into_row(self) -> InventoryRow {
        let some = |s: Option<String>| s.filter(|s| !s.is_empty());
        InventoryRow {
            device_id: self.device_id,
            address: some(self.address),
            softap_ssid: some(self.softap_ssid),
            pin: some(self.pin),
            anchors: some(self.anchors).map(PathBuf::from),
            fingerprint: some(self.fingerprint),
            pop_file: some(self.pop_file).map(PathBuf::from),
            network_ssid: some(self.network_ssid),
            network_passphrase_file: some(self.network_passphrase_file).map(PathBuf::from),
            label: some(self.label).map(PathBuf::from),
            api_profile: some(self.api_profile).map(PathBuf::from),
            protocol: some(self.protocol),
            esp_transport: some(self.esp_transport),
            esp_username: some(self.esp_username),
            esp_password_file: some(self.esp_password_file).map(PathBuf::from),
            label_pop: None,
        }
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        _ => e.to_string(),
    }
}

/// serde_json's message without its own " at line N column M" (the error says where already).
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests;
