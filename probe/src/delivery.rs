//! Writing a raw ClientHello as Wi-Fi delivers it (whole, or in MSS-sized segments) and
//! classifying the accessory's first answer.

use std::io;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::route::Route;
use crate::Alert;

/// The three TLS 1.3 magic bytes of a HelloRetryRequest's random (RFC 8446, 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// How the hello is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segmentation {
    /// The largest TCP payload per write [default: 1,460, Wi-Fi's MSS with a 1,500-byte MTU].
    pub mss: usize,
    /// The pause between writes, so that each leaves as its own segment [default: 2 ms].
    #[serde(serialize_with = "as_millis")]
    pub gap: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Default for Segmentation {
    fn default() -> Self {
        Self {
            mss: 1460,
            gap: Duration::from_millis(2),
        }
    }
}

impl Segmentation {
    /// How many segments `bytes` takes.
    pub fn segments(&self, bytes: usize) -> usize {
        bytes.div_ceil(self.mss.max(1))
    }
}

/// The accessory's first answer to a raw ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// A ServerHello: it read the hello and goes on.
    ServerHello,
    /// A HelloRetryRequest: it read the hello and wants another key share (costs a round trip).
    HelloRetryRequest,
    /// A plaintext alert.
    Alert {
        /// The alert the accessory sent.
        alert: Alert,
    },
    /// The connection was reset.
    Reset,
    /// The accessory closed the connection without a word.
    Closed,
    /// No answer within the timeout.
    Timeout {
        /// How long the probe waited, in seconds.
        seconds: u64,
    },
    /// Something else (not TLS, a connect error).
    Other {
        /// What happened instead, in words (the I/O error, or the record type that came back).
        what: String,
    },
}

impl Answer {
    /// True when the accessory read the hello and answered it as TLS says.
    pub fn accepted(&self) -> bool {
        matches!(self, Answer::ServerHello | Answer::HelloRetryRequest)
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::ServerHello => f.write_str("ServerHello"),
            Answer::HelloRetryRequest => f.write_str("HelloRetryRequest"),
            Answer::Alert { alert } => write!(f, "alert {alert}"),
            Answer::Reset => f.write_str("reset"),
            Answer::Closed => f.write_str("closed without an answer"),
            Answer::Timeout { seconds } => write!(f, "no answer in {seconds} s"),
            Answer::Other { what } => f.write_str(what),
        }
    }
}

/// Connects to `addr`, writes `record` (whole when `split` is `None`, else in MSS-sized writes with
/// TCP_NODELAY and a gap), and classifies the first answer.
pub async fn send(
    route: impl Into<Route>,
    record: &[u8],
    split: Option<Segmentation>,
    timeout: Duration,
) -> Answer {
    let route = route.into();
    match tokio::time::timeout(timeout, exchange(&route, record, split)).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => Answer::Reset,
        Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Answer::Closed,
        Ok(Err(e)) => Answer::Other {
            what: e.to_string(),
        },
        Err(_) => Answer::Timeout {
            seconds: timeout.as_secs(),
        },
    }
}

async fn exchange(route: &Route, record: &[u8], split: Option<Segmentation>) -> io::Result<Answer> {
    let mut tcp = route.connect().await?;
    tcp.set_nodelay(true)?;
    match split {
        None => tcp.write_all(record).await?,
        Some(s) => {
            for (i, chunk) in record.chunks(s.mss.max(1)).enumerate() {
                if i > 0 {
                    tokio::time::sleep(s.gap).await;
                }
                // A reset after the first segment is the answer, not a write error.
                if let Err(e) = tcp.write_all(chunk).await {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return Err(io::ErrorKind::ConnectionReset.into());
                    }
                    return Err(e);
                }
            }
        }
    }
    tcp.flush().await?;
    let mut header = [0u8; 5];
    tcp.read_exact(&mut header).await?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    match header[0] {
        21 if len >= 2 => {
            let mut a = [0u8; 2];
            tcp.read_exact(&mut a).await?;
            Ok(Answer::Alert {
                alert: Alert::from_number(a[1]),
            })
        }
        22 if len >= 4 + 2 + 32 => {
            let mut m = [0u8; 4 + 2 + 32];
            tcp.read_exact(&mut m).await?;
            Ok(match m[0] {
                2 if m[6..] == HRR_RANDOM => Answer::HelloRetryRequest,
                2 => Answer::ServerHello,
                t => Answer::Other {
                    what: format!("handshake message {t} instead of a ServerHello"),
                },
            })
        }
        t => Ok(Answer::Other {
            what: format!("a record of type {t} instead of a ServerHello"),
        }),
    }
}

/// What one raw ClientHello got, whole and split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelloResult {
    /// Where the bytes came from.
    pub source: String,
    /// The record on the wire, header included.
    pub bytes: usize,
    /// How many segments it takes at `segmentation.mss`.
    pub segments: usize,
    /// The segment size and pause of the split write.
    pub segmentation: Segmentation,
    /// The answer to one write.
    pub whole: Answer,
    /// The answer to MSS-sized writes (absent when the hello fits one segment).
    pub split: Option<Answer>,
    /// The exact record sent (written by `--report DIR`, not serialized).
    #[serde(skip)]
    pub record: Vec<u8>,
}

impl HelloResult {
    /// Accepted whole and, when split, split too.
    pub fn accepted(&self) -> bool {
        self.whole.accepted() && self.split.as_ref().is_none_or(Answer::accepted)
    }

    /// "accepted whole, reset when split into 2 segments of at most 1460 bytes".
    pub fn summary(&self) -> String {
        let whole = match &self.whole {
            a if a.accepted() => format!("accepted whole ({a})"),
            a => format!("refused whole ({a})"),
        };
        match &self.split {
            None => format!("{whole}; fits one segment of {}", self.segmentation.mss),
            Some(a) => {
                let how = if a.accepted() {
                    format!("accepted ({a})")
                } else {
                    a.to_string()
                };
                format!(
                    "{whole}, {how} when split into {} segments of at most {} bytes",
                    self.segments, self.segmentation.mss
                )
            }
        }
    }
}

/// Sends `record` whole, then (if it takes more than one segment) split, and reports both.
pub async fn try_hello(
    route: impl Into<Route>,
    source: String,
    record: &[u8],
    segmentation: Segmentation,
    timeout: Duration,
) -> HelloResult {
    let route = route.into();
    let whole = send(route.clone(), record, None, timeout).await;
    let segments = segmentation.segments(record.len());
    let split = if segments > 1 {
        Some(send(route, record, Some(segmentation), timeout).await)
    } else {
        None
    };
    HelloResult {
        source,
        bytes: record.len(),
        segments,
        segmentation,
        whole,
        split,
        record: record.to_vec(),
    }
}
