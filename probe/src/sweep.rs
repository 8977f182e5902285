//! `probe --sweep`: the largest ClientHello an accessory accepts, whole and split.

use std::time::Duration;

use serde::Serialize;

use crate::delivery::{send, Segmentation};
use crate::hello::ClientHello;
use crate::route::Route;
use crate::{Error, Template};

/// The largest ClientHello an accessory accepts, whole and split: `probe --sweep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sweep {
    /// The largest record (header included) accepted in one write; `None` when even the smallest
    /// tried (`smallest`) was refused.
    pub whole: Option<usize>,
    /// The same, written in MSS-sized segments.
    pub split: Option<usize>,
    /// The smallest record tried, in bytes (the template with an empty padding extension).
    pub smallest: usize,
    /// The largest record tried, in bytes: [`MAX_RECORD`].
    pub largest: usize,
    /// The segment size and pause of every split write in the search.
    pub segmentation: Segmentation,
    /// What the real iOS 26 hello is, to this target (for comparison).
    pub ios26_bytes: usize,
    /// How many connections the search took.
    pub attempts: usize,
}

/// The largest TLS record: 2^14 bytes of plaintext and the 5-byte header.
pub const MAX_RECORD: usize = 16_384 + 5;

/// Finds the largest ClientHello `addr` accepts by binary search over padded hellos (the real
/// iOS 18 hello, refreshed, grown with the padding extension), whole and split.
pub async fn sweep(
    route: impl Into<Route>,
    sni: Option<&str>,
    segmentation: Segmentation,
    timeout: Duration,
) -> Result<Sweep, Error> {
    let base = Template::of("ios18")
        .expect("ios18 template")
        .captured()
        .refreshed(sni)?;
    let ios26_bytes = Template::of("ios26")
        .expect("ios26 template")
        .captured()
        .refreshed(sni)?
        .to_record()
        .len();
    let smallest = base.smallest_padded();
    let route = route.into();
    let (whole, a) = largest_accepted(&route, &base, smallest, None, timeout).await;
    let (split, b) = largest_accepted(&route, &base, smallest, Some(segmentation), timeout).await;
    let attempts = a + b;
    Ok(Sweep {
        whole,
        split,
        smallest,
        largest: MAX_RECORD,
        segmentation,
        ios26_bytes,
        attempts,
    })
}

/// Binary search for the largest padded hello accepted; also how many connections it took.
async fn largest_accepted(
    route: &Route,
    base: &ClientHello,
    smallest: usize,
    split: Option<Segmentation>,
    timeout: Duration,
) -> (Option<usize>, usize) {
    let mut tries = 0;
    let mut accepts = async |size: usize| {
        tries += 1;
        let record = base.padded_to(size).expect("size in range").to_record();
        send(route.clone(), &record, split, timeout)
            .await
            .accepted()
    };
    if !accepts(smallest).await {
        return (None, tries);
    }
    if accepts(MAX_RECORD).await {
        return (Some(MAX_RECORD), tries);
    }
    // Invariant: lo accepted, hi refused.
    let (mut lo, mut hi) = (smallest, MAX_RECORD);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if accepts(mid).await {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (Some(lo), tries)
}

impl std::fmt::Display for Sweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let says = |limit: Option<usize>| match limit {
            None => format!("refuses even {} bytes", self.smallest),
            Some(n) if n >= self.largest => {
                format!("accepts every size up to the largest record ({n} bytes)")
            }
            Some(n) => format!("accepts up to {n} bytes"),
        };
        writeln!(f, "whole (one write): {}", says(self.whole))?;
        writeln!(
            f,
            "split (segments of at most {} bytes, {} ms apart): {}",
            self.segmentation.mss,
            self.segmentation.gap.as_millis(),
            says(self.split)
        )?;
        let fits = |limit: Option<usize>| limit.is_some_and(|n| n >= self.ios26_bytes);
        writeln!(
            f,
            "iOS 26 sends {} bytes ({} segments at MSS {}): {}",
            self.ios26_bytes,
            self.segmentation.segments(self.ios26_bytes),
            self.segmentation.mss,
            if fits(self.whole) && fits(self.split) {
                "accepted"
            } else {
                "REFUSED"
            }
        )?;
        write!(f, "({} connections)", self.attempts)
    }
}
