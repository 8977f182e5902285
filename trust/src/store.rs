//! The admin's anchor store: the roots and self-signed accessory certificates an organisation trusts,
//! kept in one directory with one JSON manifest.
//!
//! Why one file: the manifest holds every anchor, PEM included, so a change is one atomic replace of
//! one file (write a temporary file, fsync it, rename it over the manifest, fsync the directory). A
//! reader therefore sees the old store or the new one, never half of either, even if the writer is
//! killed mid-way or the machine loses power. Writers take an exclusive advisory lock on `lock` in
//! the directory for the whole read-modify-write, so two admins adding at once both get their anchor
//! in (the second reads what the first wrote). Readers take no lock: a rename is atomic.
//!
//! What may go in: a CA certificate (basicConstraints CA:TRUE) or a self-signed certificate (an
//! accessory that is its own root). A plain leaf issued by someone else is refused unless the admin
//! says so explicitly, because trusting a leaf as an anchor is almost always a mistake (the chain's
//! root was meant) and it stops working at the leaf's renewal.

// How stored anchors read (text and JSON shapes).
mod view;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

use time::OffsetDateTime;
pub use view::{table, AddedOut, Summary, WithRole};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The manifest's file name inside the store directory.
pub const MANIFEST: &str = "anchors.json";
const LOCK: &str = "lock";
const FORMAT_VERSION: u32 = 1;

/// One trusted anchor, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredAnchor {
    /// Short id: the first 16 hex digits of the fingerprint.
    pub id: String,
    /// A unique name the admin chose (or the subject CN).
    pub label: String,
    /// Free text: where it came from, who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// SHA-256 of the certificate DER, lowercase hex.
    pub fingerprint: String,
    /// SHA-256 of the SubjectPublicKeyInfo, `sha256/BASE64`.
    pub pin: String,
    /// The certificate's subject, as text.
    pub subject: String,
    /// Its issuer, as text.
    pub issuer: String,
    /// Start of its validity (RFC 3339, UTC).
    pub not_before: String,
    /// End of its validity (RFC 3339, UTC).
    pub not_after: String,
    /// basicConstraints CA:TRUE.
    pub ca: bool,
    /// Subject equals issuer and the certificate's signature verifies with its own key.
    pub self_signed: bool,
    /// Added with `allow_leaf` although it is neither a CA nor self-signed.
    #[serde(default)]
    pub leaf: bool,
    /// When it was added (RFC 3339, UTC).
    pub added: String,
    /// The certificate itself.
    pub pem: String,
}

impl StoredAnchor {
    /// The certificate, decoded from the manifest's PEM.
    pub fn certificate(&self) -> Result<CertificateDer<'static>, StoreError> {
        CertificateDer::from_pem_slice(self.pem.as_bytes()).map_err(|e| StoreError::Corrupt {
            path: PathBuf::from(MANIFEST),
            reason: format!("anchor {} has unreadable PEM: {e}", self.id),
        })
    }

    /// The role this anchor plays (issuer or endpoint, see [`crate::AnchorRole`]), and why.
    /// Derived from the certificate each time, never stored: the rule is the verifier's.
    pub fn role(&self) -> Result<(crate::AnchorRole, String), StoreError> {
        Ok(crate::AnchorRole::of_der(&self.certificate()?))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    version: u32,
    anchors: Vec<StoredAnchor>,
}

/// What to record with a new anchor.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// The anchor's label; `None` uses the subject's common name (or the short id when it has no
    /// usable one), suffixed with the id's first 8 digits when another anchor has it.
    pub label: Option<String>,
    /// Free text kept with the anchor ([`StoredAnchor::note`]).
    pub note: Option<String>,
    /// Accept a certificate that is neither a CA nor self-signed.
    pub allow_leaf: bool,
}

/// What `add` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "anchor", rename_all = "snake_case")]
pub enum Added {
    /// The anchor is new and now in the store.
    Added(StoredAnchor),
    /// The same certificate was already in the store; nothing changed.
    AlreadyPresent(StoredAnchor),
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store directory or a file in it could not be used.
    #[error("trust store {}: {reason}", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What went wrong with it.
        reason: String,
    },
    /// The manifest exists but is not a store manifest this version understands.
    #[error("trust store manifest {} is unreadable: {reason}", path.display())]
    Corrupt {
        /// The manifest (or, for an anchor's PEM, its name in the store).
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificate cannot be parsed.
    #[error("not a readable X.509 certificate: {reason}")]
    BadCertificate {
        /// What the X.509 parser said.
        reason: String,
    },
    /// The certificate is a plain leaf: neither a CA nor self-signed.
    #[error("refusing to add {subject} as an anchor: it is neither a CA (basicConstraints CA:TRUE) nor self-signed, so it is a leaf issued by {issuer}; add that issuer's root instead, pin the leaf's key (`accessory trust pin`), or pass --allow-leaf if you really mean to trust this one certificate")]
    LeafRefused {
        /// The leaf's subject.
        subject: String,
        /// Its issuer: the CA to add instead.
        issuer: String,
    },
    /// Another anchor already has this label.
    #[error("label {label:?} is already used by anchor {id}; choose another with --label")]
    LabelTaken {
        /// The label asked for.
        label: String,
        /// The id of the anchor that has it.
        id: String,
    },
    /// A label that cannot be used.
    #[error("invalid label {label:?}: {reason}")]
    InvalidLabel {
        /// The label asked for.
        label: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// No anchor has this id, fingerprint prefix or label.
    #[error("no anchor in the store matches {0:?} (by id, fingerprint prefix or label); `accessory trust list` shows them")]
    NotFound(String),
    /// Several anchors match a short id.
    #[error("{query:?} matches {count} anchors; give more of the fingerprint or the label")]
    Ambiguous {
        /// The id or prefix given.
        query: String,
        /// How many anchors it matches.
        count: usize,
    },
}

impl StoreError {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => crate::diagnosis::codes::STORE_IO,
            Self::Corrupt { .. } => crate::diagnosis::codes::STORE_CORRUPT,
            Self::BadCertificate { .. } => crate::diagnosis::codes::INPUT_BAD_CERTIFICATE,
            Self::LeafRefused { .. } => crate::diagnosis::codes::STORE_LEAF_REFUSED,
            Self::LabelTaken { .. } => crate::diagnosis::codes::STORE_LABEL_TAKEN,
            Self::InvalidLabel { .. } => crate::diagnosis::codes::STORE_INVALID_LABEL,
            Self::NotFound(_) => crate::diagnosis::codes::STORE_NOT_FOUND,
            Self::Ambiguous { .. } => crate::diagnosis::codes::STORE_AMBIGUOUS,
        }
    }

    /// What a caller does about it: the store itself is local state; the rest is what the user gave
    /// (a certificate, a label, a query).
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Io { .. } | Self::Corrupt { .. } => crate::ErrorKind::LocalState,
            _ => crate::ErrorKind::BadInput,
        }
    }
}

/// A trust store in a directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir`. Reading a store that does not exist yet gives no anchors; the first
    /// change creates the directory (owner-only).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::Io {
                path: dir,
                reason: "exists and is not a directory".to_owned(),
            });
        }
        Ok(Self { dir })
    }

    fn create_dir(&self) -> Result<(), StoreError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&self.dir)
            .map_err(|e| io_err(&self.dir, "cannot create the directory", e))
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest's path.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST)
    }

    /// Every anchor, in the order they were added.
    pub fn list(&self) -> Result<Vec<StoredAnchor>, StoreError> {
        Ok(self.read()?.anchors)
    }

    /// The anchor whose label, id or fingerprint prefix (at least 8 hex digits) is `query`.
    pub fn get(&self, query: &str) -> Result<StoredAnchor, StoreError> {
        let m = self.read()?;
        find(&m.anchors, query).map(|i| m.anchors[i].clone())
    }

    /// Every anchor's certificate, in the order they were added.
    pub fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, StoreError> {
        self.list()?.iter().map(StoredAnchor::certificate).collect()
    }

    /// Adds a certificate as an anchor. Adding one that is already there changes nothing and says so.
    pub fn add(
        &self,
        cert: &CertificateDer<'_>,
        options: &AddOptions,
    ) -> Result<Added, StoreError> {
        let described = describe(cert)?;
        let anchor_like = described.ca || described.self_signed;
        if !anchor_like && !options.allow_leaf {
            return Err(StoreError::LeafRefused {
                subject: described.subject,
                issuer: described.issuer,
            });
        }
        if let Some(label) = &options.label {
            check_label(label)?;
        }
        let _lock = self.lock()?;
        let mut m = self.read()?;
        if let Some(existing) = m
            .anchors
            .iter()
            .find(|a| a.fingerprint == described.fingerprint)
        {
            return Ok(Added::AlreadyPresent(existing.clone()));
        }
        let id = described.fingerprint[..16].to_owned();
        let label = match &options.label {
            Some(l) => {
                if let Some(a) = m.anchors.iter().find(|a| a.label == *l) {
                    return Err(StoreError::LabelTaken {
                        label: l.clone(),
                        id: a.id.clone(),
                    });
                }
                l.clone()
            }
            None => {
                let base = described
                    .common_name
                    .clone()
                    .filter(|cn| check_label(cn).is_ok())
                    .unwrap_or_else(|| id.clone());
                if m.anchors.iter().any(|a| a.label == base) {
                    format!("{base}-{}", &id[..8])
                } else {
                    base
                }
            }
        };
        let anchor = StoredAnchor {
            id,
            label,
            note: options.note.clone(),
            fingerprint: described.fingerprint,
            pin: described.pin,
            subject: described.subject,
            issuer: described.issuer,
            not_before: described.not_before,
            not_after: described.not_after,
            ca: described.ca,
            self_signed: described.self_signed,
            leaf: !(described.ca || described.self_signed),
            added: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            pem: pem_of(cert),
        };
        m.anchors.push(anchor.clone());
        self.write(&m)?;
        Ok(Added::Added(anchor))
    }

    /// Removes the anchor matching `query` (label, id or fingerprint prefix) and returns it.
    pub fn remove(&self, query: &str) -> Result<StoredAnchor, StoreError> {
        let _lock = self.lock()?;
        let mut m = self.read()?;
        let i = find(&m.anchors, query)?;
        let removed = m.anchors.remove(i);
        self.write(&m)?;
        Ok(removed)
    }

    fn read(&self) -> Result<Manifest, StoreError> {
        let path = self.manifest_path();
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Manifest {
                    version: FORMAT_VERSION,
                    anchors: Vec::new(),
                })
            }
            Err(e) => return Err(io_err(&path, "cannot read the manifest", e)),
        };
        let m: Manifest = serde_json::from_slice(&text).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if m.version != FORMAT_VERSION {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "format version {} (this accessory understands {FORMAT_VERSION})",
                    m.version
                ),
            });
        }
        Ok(m)
    }

    /// Replaces the manifest atomically: temporary file, fsync, rename, fsync of the directory.
    fn write(&self, m: &Manifest) -> Result<(), StoreError> {
        let path = self.manifest_path();
        let tmp = self
            .dir
            .join(format!(".{MANIFEST}.{}.tmp", std::process::id()));
        let mut text = serde_json::to_vec_pretty(m).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        text.push(b'\n');
        self.remove_stale_temporaries();
        let result = (|| {
            // Private (0600, like the directory's 0700) and new: never through a planted link.
            let mut o = OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            let mut f = o.open(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            drop(f);
            stall_for_crash_tests();
            fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_err(&path, "cannot write the manifest", e)
        })
    }

    /// Removes temporary manifests a killed writer left. Only the lock holder writes temporaries, and
    /// the caller holds the lock, so any that exist are dead.
    fn remove_stale_temporaries(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!(".{MANIFEST}.");
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// An exclusive advisory lock (flock) on `lock`, released when the guard drops (or the process dies).
    fn lock(&self) -> Result<File, StoreError> {
        self.create_dir()?;
        let path = self.dir.join(LOCK);
        if path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(io_err(
                &path,
                "cannot open the lock file",
                io::Error::other("it is a symbolic link; the store never follows one"),
            ));
        }
        let mut o = OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let f = o
            .open(&path)
            .map_err(|e| io_err(&path, "cannot open the lock file", e))?;
        // std's File::lock (stable since Rust 1.89) is flock(2) on Linux: released by the kernel when
        // the process dies, so a killed admin never leaves the store locked.
        f.lock()
            .map_err(|e| io_err(&path, "cannot lock the store", e))?;
        Ok(f)
    }
}

/// The crash tests' hook: with `ACCESSORY_STORE_CRASH_TEST_STALL_MS` set, a writer pauses after the
/// new manifest is written and synced and before the rename, so a test can `kill -9` it at the worst
/// moment deterministically. Unset (always, outside those tests) it does nothing.
fn stall_for_crash_tests() {
    if let Some(ms) = std::env::var_os("ACCESSORY_STORE_CRASH_TEST_STALL_MS")
        .and_then(|v| v.to_str().and_then(|s| s.parse::<u64>().ok()))
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn io_err(path: &Path, what: &str, e: io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        reason: format!("{what}: {e}"),
    }
}

fn check_label(label: &str) -> Result<(), StoreError> {
    let bad = |reason| {
        Err(StoreError::InvalidLabel {
            label: label.to_owned(),
            reason,
        })
    };
    if label.is_empty() || label.len() > 64 {
        return bad("a label has 1 to 64 characters");
    }
    if label.chars().any(|c| c.is_control()) {
        return bad("a label cannot hold control characters");
    }
    if label.len() >= 8 && label.chars().all(|c| c.is_ascii_hexdigit()) {
        return bad("a label of only hex digits would read as a fingerprint");
    }
    Ok(())
}

fn find(anchors: &[StoredAnchor], query: &str) -> Result<usize, StoreError> {
    if let Some(i) = anchors.iter().position(|a| a.label == query) {
        return Ok(i);
    }
    let q = query.to_ascii_lowercase().replace(':', "");
    if q.len() >= 8 && q.chars().all(|c| c.is_ascii_hexdigit()) {
        let hits: Vec<usize> = anchors
            .iter()
            .enumerate()
            .filter(|(_, a)| a.fingerprint.starts_with(&q))
            .map(|(i, _)| i)
            .collect();
        match hits.len() {
            0 => {}
            1 => return Ok(hits[0]),
            count => {
                return Err(StoreError::Ambiguous {
                    query: query.to_owned(),
                    count,
                })
            }
        }
    }
    Err(StoreError::NotFound(query.to_owned()))
}

/// What the store and the exports record about a certificate.
pub(crate) struct Described {
    pub fingerprint: String,
    pub pin: String,
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    pub not_before: String,
    pub not_after: String,
    pub ca: bool,
    pub self_signed: bool,
}

pub(crate) fn describe(cert: &CertificateDer<'_>) -> Result<Described, StoreError> {
    let bad = |reason: String| StoreError::BadCertificate { reason };
    let (_, x) = X509Certificate::from_der(cert.as_ref()).map_err(|e| bad(e.to_string()))?;
    let time = |t: &x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp())
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| t.to_string())
    };
    let self_issued = x.subject().as_raw() == x.issuer().as_raw();
    let common_name = x
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    Ok(Described {
        fingerprint: hex::encode(Sha256::digest(cert.as_ref())),
        pin: crate::Pin::of_spki(x.public_key().raw).to_string(),
        subject: x.subject().to_string(),
        issuer: x.issuer().to_string(),
        common_name,
        not_before: time(&x.validity().not_before),
        not_after: time(&x.validity().not_after),
        ca: x.is_ca(),
        self_signed: self_issued && x.verify_signature(None).is_ok(),
    })
}

/// PEM text of one certificate (64-column base64, as openssl writes it).
pub(crate) fn pem_of(cert: &CertificateDer<'_>) -> String {
    let b64 = STANDARD.encode(cert.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    fn root(cn: &str) -> CertificateDer<'static> {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .clone()
    }

    fn issued_leaf() -> CertificateDer<'static> {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, "Maker Root");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let p = CertificateParams::new(vec!["dev.accessory.local".to_owned()]).unwrap();
        p.signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap()
            .der()
            .clone()
    }

    #[test]
    fn an_added_root_is_listed_found_by_label_id_and_fingerprint_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store")).unwrap();
        let cert = root("Maker Root");
        let Added::Added(a) = store.add(&cert, &AddOptions::default()).unwrap() else {
            panic!("expected a new anchor");
        };
        assert_eq!(a.label, "Maker Root");
        assert!(a.ca && a.self_signed && !a.leaf);
        assert!(a.pin.starts_with("sha256/"));
        assert_eq!(store.get("Maker Root").unwrap(), a);
        assert_eq!(store.get(&a.id).unwrap(), a);
        assert_eq!(store.get(&a.fingerprint[..10].to_uppercase()).unwrap(), a);
        assert_eq!(store.certificates().unwrap(), vec![cert]);
        assert_eq!(store.remove("Maker Root").unwrap(), a);
        assert!(store.list().unwrap().is_empty());
        assert!(matches!(
            store.get("Maker Root"),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn adding_the_same_certificate_twice_is_idempotent_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cert = root("Maker Root");
        let first = store.add(&cert, &AddOptions::default()).unwrap();
        let second = store
            .add(
                &cert,
                &AddOptions {
                    label: Some("other".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        let (Added::Added(a), Added::AlreadyPresent(b)) = (first, second) else {
            panic!("expected added then already present");
        };
        assert_eq!(a, b);
        assert_eq!(store.list().unwrap().len(), 1);
    }

    #[test]
    fn a_leaf_issued_by_someone_else_is_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let leaf = issued_leaf();
        let e = store.add(&leaf, &AddOptions::default()).unwrap_err();
        assert_eq!(e.code(), "store.leaf_refused");
        assert!(e.to_string().contains("Maker Root"), "{e}");
        assert!(e.to_string().contains("--allow-leaf"), "{e}");
        let allowed = AddOptions {
            allow_leaf: true,
            ..Default::default()
        };
        let Added::Added(a) = store.add(&leaf, &allowed).unwrap() else {
            panic!()
        };
        assert!(a.leaf);
    }

    #[test]
    fn a_label_in_use_is_refused_and_default_labels_are_made_unique() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let opts = AddOptions {
            label: Some("maker".into()),
            ..Default::default()
        };
        store.add(&root("A"), &opts).unwrap();
        let e = store.add(&root("B"), &opts).unwrap_err();
        assert_eq!(e.code(), "store.label_taken");
        store.add(&root("Same"), &AddOptions::default()).unwrap();
        let Added::Added(b) = store.add(&root("Same"), &AddOptions::default()).unwrap() else {
            panic!()
        };
        assert!(b.label.starts_with("Same-"), "{}", b.label);
    }

    #[test]
    fn a_corrupt_manifest_is_reported_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        fs::write(store.manifest_path(), b"{ not json").unwrap();
        let e = store.add(&root("A"), &AddOptions::default()).unwrap_err();
        assert_eq!(e.code(), "store.corrupt");
        assert_eq!(fs::read(store.manifest_path()).unwrap(), b"{ not json");
    }

    #[cfg(unix)]
    #[test]
    fn the_store_is_0700_and_its_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("trust")).unwrap();
        store
            .add(&root("Mode Root"), &AddOptions::default())
            .unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        let files: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(files.len() >= 2, "{files:?}");
        for f in files {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }

    #[test]
    fn reading_a_store_that_does_not_exist_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("absent")).unwrap();
        assert!(store.list().unwrap().is_empty());
        assert!(!dir.path().join("absent").exists());
        assert!(matches!(store.remove("x"), Err(StoreError::NotFound(_))));
    }

    #[test]
    fn the_manifest_round_trips_the_pem() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cert = root("A");
        store.add(&cert, &AddOptions::default()).unwrap();
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.certificates().unwrap(), vec![cert]);
    }
}
