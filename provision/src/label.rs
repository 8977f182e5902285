//! Reading an accessory's label (`provision --label`): the payload as text (`label.txt`), or a
//! photo or scan of its QR code (PNG or JPEG, found and decoded with rqrr), from a file or from
//! standard input (`-`). The payload format is `protocol::label`.
//!
//! The payload carries the proof-of-possession code, so it is a credential: it is read like the
//! other secret files (bounded, into wiped memory), and refused when it is given as the argument
//! itself, since a command line is visible to every user of the machine.

use std::path::{Path, PathBuf};

use image::GenericImageView as _;
use protocol::label::{Label, LabelError, PREFIX};
use zeroize::Zeroizing;

use crate::secret::{read_secret_file, Problem};

/// The largest label file read: a phone photo is a few MB.
pub const MAX_LABEL_FILE: usize = 16 << 20;

/// Photos are scaled down to at most this many pixels on their long side before the QR search:
/// a label fills a good part of a label photo, and rqrr's time grows with the pixel count.
const MAX_SIDE: u32 = 1600;

/// Why a label could not be read. Each variant has a stable [`code`](LabelReadError::code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabelReadError {
    /// The argument is not a file but looks like a payload: it would put the PoP code on the
    /// command line.
    #[error("--label takes a file, not the payload itself: the payload carries the PoP code, which must never be on the command line (ps shows it to every user); save it to a file (0600) or pipe it with --label -")]
    OnCommandLine,
    /// The file is missing, a directory, too large, or an image that cannot be decoded.
    #[error("label {}: {reason}", path.display())]
    Unreadable {
        /// The file (`-` for standard input).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An image without a QR code rqrr can read.
    #[error("label {}: {reason}", path.display())]
    NoQrCode {
        /// The image file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// The payload is not a label this version reads.
    #[error("label {}: {problem}", path.display())]
    Label {
        /// The file.
        path: PathBuf,
        /// What is wrong with the payload.
        problem: LabelError,
    },
}

impl LabelReadError {
    /// The stable code (`label.checksum`, `label.no_qr_code`, `label.on_command_line`...).
    pub fn code(&self) -> &'static str {
        use trust::diagnosis::codes as c;
        match self {
            LabelReadError::OnCommandLine => c::LABEL_ON_COMMAND_LINE,
            LabelReadError::Unreadable { .. } => c::LABEL_UNREADABLE,
            LabelReadError::NoQrCode { .. } => c::LABEL_NO_QR_CODE,
            LabelReadError::Label { problem, .. } => problem.code(),
        }
    }

    /// What a caller does about it: a usage error for a payload on the command line, else bad input.
    pub fn kind(&self) -> trust::ErrorKind {
        match self {
            LabelReadError::OnCommandLine => trust::ErrorKind::Usage,
            _ => trust::ErrorKind::BadInput,
        }
    }
}

/// Whether text given where a file name was expected is a label payload (or the start of one).
pub fn looks_like_payload(arg: &str) -> bool {
    let head = arg.trim_start();
    head.get(..PREFIX.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(PREFIX))
        || head.contains(";pop=")
        || head.contains(";crc=")
}

/// Reads the label `arg` names: `-` for standard input, else a file. A payload given as the
/// argument itself is [`LabelReadError::OnCommandLine`].
pub fn read(arg: &str) -> Result<Label, LabelReadError> {
    let path = match arg {
        "-" => Path::new("/dev/stdin"),
        file => Path::new(file),
    };
    if arg != "-" && !path.exists() && looks_like_payload(arg) {
        return Err(LabelReadError::OnCommandLine);
    }
    read_shown(path, &PathBuf::from(arg))
}

/// Reads the label in the file `path` (a fleet inventory's `label` column): the payload as text,
/// or an image of its QR code, as [`read`] does for a file.
pub fn read_file(path: &Path) -> Result<Label, LabelReadError> {
    read_shown(path, path)
}

/// Reads `path`, naming it `shown` in errors (`-` for standard input).
fn read_shown(path: &Path, shown: &Path) -> Result<Label, LabelReadError> {
    let bytes = read_secret_file(path, "label", MAX_LABEL_FILE).map_err(|e| {
        LabelReadError::Unreadable {
            path: shown.to_owned(),
            reason: match e.problem {
                Problem::NotFound => "no such file".to_owned(),
                other => other.describe("label"),
            },
        }
    })?;
    parse_bytes(&bytes, shown)
}

/// A label from a file's bytes: an image (PNG or JPEG, by its magic number) is searched for QR
/// codes; anything else is the payload as UTF-8 text.
pub fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Label, LabelReadError> {
    let as_label = |problem| LabelReadError::Label {
        path: path.to_owned(),
        problem,
    };
    if is_image(bytes) {
        let text = decode_qr(bytes, path)?;
        return Label::parse(&text).map_err(as_label);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| LabelReadError::Unreadable {
        path: path.to_owned(),
        reason: "neither a PNG or JPEG image nor UTF-8 text".into(),
    })?;
    Label::parse(text).map_err(as_label)
}

fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// The text of the QR code in an image: the first one that is an accessory label, else the first
/// one read at all (which then fails as `label.not_a_label`).
fn decode_qr(bytes: &[u8], path: &Path) -> Result<Zeroizing<String>, LabelReadError> {
    let image = image::load_from_memory(bytes).map_err(|e| LabelReadError::Unreadable {
        path: path.to_owned(),
        reason: format!("cannot decode the image: {e}"),
    })?;
    let (w, h) = image.dimensions();
    let image = if w.max(h) > MAX_SIDE {
        image.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let mut prepared = rqrr::PreparedImage::prepare(image.to_luma8());
    let grids = prepared.detect_grids();
    let mut first: Option<Zeroizing<String>> = None;
    let mut failures = Vec::new();
    for grid in &grids {
        match grid.decode() {
            Ok((_, text)) => {
                let text = Zeroizing::new(text);
                if text.starts_with(PREFIX) {
                    return Ok(text);
                }
                first.get_or_insert(text);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    first.ok_or_else(|| LabelReadError::NoQrCode {
        path: path.to_owned(),
        reason: match grids.len() {
            0 => format!("no QR code found in the {w}x{h} image"),
            n => format!(
                "{n} QR code(s) found, none readable ({})",
                failures.join("; ")
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label() -> Label {
        Label {
            device_id: "PLUG-0042".into(),
            ssid: "Accessory-0042".into(),
            key_sha256: [9; 32],
            pop: "K7Q2M9XW4TPA8D3R".into(),
        }
    }

    #[test]
    fn a_payload_on_the_command_line_is_refused_and_a_missing_file_is_not_mistaken_for_one() {
        let payload = label().payload();
        let err = read(&payload).unwrap_err();
        assert_eq!(err.code(), "label.on_command_line");
        assert_eq!(err.kind(), trust::ErrorKind::Usage);
        assert!(!err.to_string().contains("K7Q2M9XW4TPA8D3R"), "{err}");
        let err = read("accessory:v1;id=X").unwrap_err();
        assert_eq!(err.code(), "label.on_command_line");
        let err = read("/nonexistent/label.txt").unwrap_err();
        assert_eq!(err.code(), "label.unreadable");
        assert!(err.to_string().contains("no such file"), "{err}");
    }

    #[test]
    fn a_text_file_is_read_and_a_corrupted_one_names_the_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("label.txt");
        std::fs::write(&path, label().payload() + "\n").unwrap();
        assert_eq!(read(path.to_str().unwrap()).unwrap(), label());
        std::fs::write(&path, label().payload().replace("0042;", "0043;")).unwrap();
        assert_eq!(
            read(path.to_str().unwrap()).unwrap_err().code(),
            "label.checksum"
        );
        std::fs::write(&path, [0xC3, 0x28]).unwrap();
        assert_eq!(
            read(path.to_str().unwrap()).unwrap_err().code(),
            "label.unreadable"
        );
    }

    /// A QR code made with qrcode (a dev-dependency) and drawn into a larger, grey, noisy canvas,
    /// as a photo would show it.
    fn photo(payload: &str, module: u32) -> Vec<u8> {
        photo_on(payload, module, 300, 200)
    }

    fn photo_on(payload: &str, module: u32, extra_w: u32, extra_h: u32) -> Vec<u8> {
        let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
        let qr = code
            .render::<image::Luma<u8>>()
            .module_dimensions(module, module)
            .build();
        let mut canvas = image::GrayImage::from_pixel(
            qr.width() + extra_w,
            qr.height() + extra_h,
            image::Luma([200]),
        );
        for (x, y, p) in qr.enumerate_pixels() {
            let noise = ((x * 7 + y * 13) % 23) as u8;
            let v = if p.0[0] < 128 {
                20 + noise
            } else {
                230 - noise
            };
            canvas.put_pixel(x + 170, y + 90, image::Luma([v]));
        }
        let mut out = std::io::Cursor::new(Vec::new());
        canvas.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_jpeg_photo_of_the_qr_code_reads_back_as_the_label() {
        let bytes = photo(&label().payload(), 6);
        assert!(is_image(&bytes));
        assert_eq!(parse_bytes(&bytes, Path::new("p.jpg")).unwrap(), label());
    }

    #[test]
    fn a_phone_sized_photo_is_scaled_down_and_still_reads() {
        // 12 MP, as a phone camera takes it, the code a third of its height.
        let bytes = photo_on(&label().payload(), 20, 4032 - 57 * 20, 3024 - 57 * 20);
        let t0 = std::time::Instant::now();
        assert_eq!(parse_bytes(&bytes, Path::new("p.jpg")).unwrap(), label());
        eprintln!("4032x3024 JPEG decoded in {:?}", t0.elapsed());
    }

    #[test]
    fn an_image_without_a_qr_code_or_with_another_one_says_so() {
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut out = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut out, image::ImageFormat::Png).unwrap();
        let err = parse_bytes(&out.into_inner(), Path::new("b.png")).unwrap_err();
        assert_eq!(err.code(), "label.no_qr_code");
        let wifi = photo("WIFI:S:Home;T:WPA;P:secret;;", 6);
        let err = parse_bytes(&wifi, Path::new("w.jpg")).unwrap_err();
        assert_eq!(err.code(), "label.not_a_label");
    }

    #[test]
    fn every_label_code_is_in_the_diagnosis_catalogue() {
        let errors = [
            LabelError::NotALabel,
            LabelError::UnsupportedVersion {
                version: "v2".into(),
            },
            LabelError::Checksum {
                reason: String::new(),
            },
            LabelError::MissingField { field: "id" },
            LabelError::UnexpectedField {
                field: String::new(),
            },
            LabelError::InvalidField {
                field: "id",
                reason: String::new(),
            },
        ];
        for e in errors {
            let d = trust::Diagnosis::lookup(e.code()).unwrap_or_else(|| panic!("{}", e.code()));
            assert_eq!(d.kind, trust::ErrorKind::BadInput, "{}", e.code());
        }
    }
}
