//! Reading certificates from files a person hands us, with errors that say what is wrong.
//!
//! Files are PEM (any number of `CERTIFICATE` sections) or a single DER certificate. PEM may have
//! text around its sections, as RFC 7468 §2 allows and as `openssl ca` and `openssl x509 -text`
//! write it (a dump of the certificate before `-----BEGIN`): that text is skipped. Every command
//! that reads certificates (`trust`, `provision --anchors`, `certs mint`) reads them here. The size is
//! checked before reading (and reads are capped, for pipes and `-`), so a 50 MB file given by
//! mistake is refused rather than parsed.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::CertificateDer;

use crate::error::Error;

/// The largest certificate file accepted: 1 MiB holds thousands of certificates.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Reads certificates from `path` (PEM or DER); `-` reads standard input.
pub fn load_certificates(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, Error> {
    let path = path.as_ref();
    let bytes = read_input(path)?;
    parse_certificates(path, &bytes)
}

/// Reads at most [`MAX_INPUT_BYTES`] from `path` (`-` is standard input), refusing directories,
/// missing files and anything larger.
pub fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    let owned = || path.to_path_buf();
    if path == Path::new("-") {
        return read_capped(io::stdin().lock(), owned());
    }
    let meta = fs::metadata(path).map_err(|e| io_error(owned(), &e))?;
    if meta.is_dir() {
        return Err(Error::IsADirectory { path: owned() });
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(Error::TooLarge {
            path: owned(),
            size: meta.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    let file = fs::File::open(path).map_err(|e| io_error(owned(), &e))?;
    read_capped(file, owned())
}

/// Reads at most `limit` bytes of the file at `path`, whatever its metadata says (a device such as
/// `/dev/zero` or a pipe reports a size of 0): the one bounded read for input files that are not
/// certificates (scenarios, inventories, captures). More than `limit` bytes is an
/// [`io::ErrorKind::InvalidData`] error saying so; nothing beyond `limit + 1` bytes is read.
pub fn read_file_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

fn read_capped(reader: impl Read, path: PathBuf) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path.clone(), &e))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::TooLarge {
            path,
            size: bytes.len() as u64,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(bytes)
}

fn io_error(path: PathBuf, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound { path },
        io::ErrorKind::IsADirectory => Error::IsADirectory { path },
        _ => Error::Read {
            path,
            reason: e.to_string(),
        },
    }
}

/// Parses certificates from bytes read from `path` (named in errors only).
pub fn parse_certificates(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let owned = || path.to_path_buf();
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(Error::Empty { path: owned() });
    }
    if trimmed.starts_with(b"-----BEGIN ") {
        return parse_pem(path, bytes);
    }
    if bytes[0] == 0x30 && !is_text_with_pem(bytes) {
        return parse_der(path, bytes);
    }
    // RFC 7468 §2: "Data before the encapsulation boundaries are permitted, and parsers MUST NOT
    // malfunction when processing such data." A DER certificate is never valid UTF-8 text.
    if is_text_with_pem(bytes) {
        return parse_pem(path, bytes);
    }
    let found = if std::str::from_utf8(bytes).is_ok() {
        "text"
    } else {
        "binary data"
    };
    Err(Error::NotACertificate {
        path: owned(),
        found: found.to_owned(),
    })
}

/// Text (UTF-8) with an encapsulation boundary on a line of its own.
fn is_text_with_pem(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| t.lines().any(|l| l.starts_with("-----BEGIN ")))
}

fn parse_pem(path: &Path, bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut certs = Vec::new();
    let mut other = Vec::new();
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        let (kind, der) = section.map_err(|e| Error::NotACertificate {
            path: path.to_path_buf(),
            found: format!("broken PEM: {e}"),
        })?;
        if kind == SectionKind::Certificate {
            let cert = CertificateDer::from(der);
            check_der(path, cert.as_ref())?;
            certs.push(cert);
        } else {
            other.push(kind);
        }
    }
    if !certs.is_empty() {
        return Ok(certs);
    }
    let is_key = |k: &SectionKind| {
        matches!(
            k,
            SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey
        )
    };
    if !other.is_empty() && other.iter().all(is_key) {
        return Err(Error::PrivateKeyOnly {
            path: path.to_path_buf(),
        });
    }
    let found = match other.first() {
        Some(kind) => format!("PEM without a CERTIFICATE section ({kind:?})"),
        None => "PEM without a section this tool knows".to_owned(),
    };
    Err(Error::NotACertificate {
        path: path.to_path_buf(),
        found,
    })
}

fn parse_der(path: &Path, bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    check_der(path, bytes)?;
    Ok(vec![CertificateDer::from(bytes.to_vec())])
}

/// A certificate must parse completely: a short read is `TruncatedDer`, anything else garbage.
fn check_der(path: &Path, der: &[u8]) -> Result<(), Error> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], _)) => Ok(()),
        Ok((rest, _)) => Err(Error::NotACertificate {
            path: path.to_path_buf(),
            found: format!("a certificate followed by {} stray bytes", rest.len()),
        }),
        Err(x509_parser::nom::Err::Incomplete(_)) => Err(Error::TruncatedDer {
            path: path.to_path_buf(),
        }),
        Err(e) if declared_length(der).is_some_and(|n| n > der.len()) => {
            let _ = e;
            Err(Error::TruncatedDer {
                path: path.to_path_buf(),
            })
        }
        Err(e) => Err(Error::NotACertificate {
            path: path.to_path_buf(),
            found: format!("DER that is not an X.509 certificate: {e}"),
        }),
    }
}

/// The total length the outer DER SEQUENCE header announces, if it is well formed.
fn declared_length(der: &[u8]) -> Option<usize> {
    if der.len() < 2 || der[0] != 0x30 {
        return None;
    }
    let first = der[1] as usize;
    if first < 0x80 {
        return Some(2 + first);
    }
    let n = first & 0x7f;
    if n == 0 || n > 4 || der.len() < 2 + n {
        return None;
    }
    let len = der[2..2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    Some(2 + n + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
        parse_certificates(Path::new("x.pem"), bytes)
    }

    fn cert_der() -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        rcgen::CertificateParams::new(vec!["a.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .der()
            .to_vec()
    }

    #[test]
    fn pem_and_der_both_load() {
        let der = cert_der();
        let pem = rustls_pki_types::pem::PemObject::from_pem(SectionKind::Certificate, der.clone())
            .map(|c: CertificateDer<'_>| c)
            .unwrap();
        assert_eq!(parse(&der).unwrap()[0].as_ref(), pem.as_ref());
        let text = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)
        );
        assert_eq!(parse(text.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn pem_with_explanatory_text_before_and_after_the_boundaries_loads() {
        let der = cert_der();
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
        // What `openssl x509 -text` writes: a dump, then the PEM; the dump may start with a digit.
        for before in [
            "Certificate:\n    Data:\n        Version: 3 (0x2)\n",
            "0 s:CN = a\n",
        ] {
            let text = format!(
                "{before}-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\ntrailing words\n"
            );
            let certs = parse(text.as_bytes()).unwrap();
            assert_eq!(certs.len(), 1);
            assert_eq!(certs[0].as_ref(), der.as_slice());
        }
        let not_pem = "Certificate:\n  no boundary here\n";
        assert_eq!(
            parse(not_pem.as_bytes()).unwrap_err().code(),
            "input.not_a_certificate"
        );
    }

    #[test]
    fn every_bad_input_has_its_own_code() {
        let der = cert_der();
        assert_eq!(parse(b"").unwrap_err().code(), "input.empty");
        assert_eq!(parse(b" \n").unwrap_err().code(), "input.empty");
        assert_eq!(
            parse(b"hello").unwrap_err().code(),
            "input.not_a_certificate"
        );
        assert_eq!(
            parse(&der[..der.len() / 2]).unwrap_err().code(),
            "input.truncated_der"
        );
        let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(parse(key).unwrap_err().code(), "input.private_key_only");
    }
}
