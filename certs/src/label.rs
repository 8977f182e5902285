//! A unit's label as files: the payload (`protocol::label`) as text, and as a QR code in SVG (for
//! a label printer's artwork) and PNG (to look at, or to print as is).
//!
//! The QR code is byte mode at error-correction level M (15% of the modules can be lost: a
//! scuffed or badly lit label still reads), with the four-module quiet zone the standard asks for.
//! Every file holds the proof-of-possession code, so every file is written 0600, like the key.

use protocol::label::Label;
use qrcode::{EcLevel, QrCode};

use crate::Error;

/// File names `certs mint` writes next to the key.
pub mod file {
    /// The payload, one line.
    pub const TEXT: &str = "label.txt";
    /// The QR code and the label's printed text, SVG.
    pub const SVG: &str = "label.svg";
    /// The QR code, PNG.
    pub const PNG: &str = "label.png";
    /// The proof-of-possession code alone, one line: what `provision --pop-file` reads.
    pub const POP: &str = "pop.txt";
}

/// Pixels per QR module in the PNG: a v8 code (49 modules + quiet zone: a typical 136-byte
/// payload) is 570 pixels wide, which a phone camera or `zbarimg` reads from a screen or a print.
const PNG_MODULE_PIXELS: u32 = 10;

fn code(label: &Label) -> Result<QrCode, Error> {
    QrCode::with_error_correction_level(label.payload().as_bytes(), EcLevel::M)
        .map_err(|e| Error::generate("the label's QR code", e))
}

/// The label's QR code as PNG bytes (black on white, with its quiet zone).
pub fn png(label: &Label) -> Result<Vec<u8>, Error> {
    let image = code(label)?
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::generate("the label's PNG", e))?;
    Ok(out.into_inner())
}

/// The label as SVG: the QR code, and under it what a person reads (device id, Wi-Fi name and the
/// PoP code, for typing when no camera is at hand).
pub fn svg(label: &Label) -> Result<String, Error> {
    let qr = code(label)?
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(240, 240)
        .build();
    // qrcode's SVG is a whole document with a fixed size: nest it, and add the text below.
    let (w, h) = dimensions(&qr).unwrap_or((240, 240));
    let qr = qr
        .split_once("<svg")
        .map(|(_, rest)| format!("<svg x=\"0\" y=\"0\"{rest}"))
        .unwrap_or(qr);
    let line = |i: u32, text: &str| {
        format!(
            "<text x=\"{}\" y=\"{}\" font-family=\"monospace\" font-size=\"14\" text-anchor=\"middle\">{}</text>\n",
            w / 2,
            h + 20 + 20 * i,
            xml_escape(text)
        )
    };
    Ok(format!(
        "<?xml version=\"1.0\" standalone=\"yes\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" height=\"{}\" viewBox=\"0 0 {w} {}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n{qr}\n{}{}{}</svg>\n",
        h + 70,
        h + 70,
        line(0, &format!("ID {}", label.device_id)),
        line(1, &format!("Wi-Fi {}", label.ssid)),
        line(2, &format!("PoP {}", label.pop)),
    ))
}

/// `width="N" height="M"` of qrcode's SVG root element.
fn dimensions(svg: &str) -> Option<(u32, u32)> {
    let attr = |name: &str| -> Option<u32> {
        let at = svg.find(&format!(" {name}=\""))? + name.len() + 3;
        svg[at..].split('"').next()?.parse().ok()
    };
    Some((attr("width")?, attr("height")?))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label() -> Label {
        Label {
            device_id: "PLUG-0042".into(),
            ssid: "Café <5>".into(),
            key_sha256: [7; 32],
            pop: "K7Q2M9XW4TPA8D3R".into(),
        }
    }

    #[test]
    fn the_png_is_a_square_image_large_enough_to_scan() {
        let png = png(&label()).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        // rqrr is not a dependency of this crate; the round trip through a decoder is in
        // provision's tests and the integration tests (with zbarimg too). Here: the size.
        assert!(
            img.width() >= 250 && img.width() == img.height(),
            "{}",
            img.width()
        );
    }

    #[test]
    fn the_svg_carries_the_code_and_the_printed_text_escaped() {
        let svg = svg(&label()).unwrap();
        assert!(svg.contains("ID PLUG-0042"), "{svg}");
        assert!(svg.contains("Wi-Fi Café &lt;5&gt;"), "{svg}");
        assert_eq!(svg.matches("<svg").count(), 2, "{svg}");
        assert!(svg.contains("<path"), "{svg}");
    }
}
