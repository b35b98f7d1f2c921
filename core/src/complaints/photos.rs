//! The photos that follow a sent complaint, each a resumable upload ([`crate::open311::upload`]).
//!
//! Invariants, and why:
//!
//! - **Never twice, never lost.** A photo leaves `pending` only when the server has said it has all
//!   of it (accepted) or refused it; its upload's URL is stored the moment the server made it, so
//!   after a crash, a power cut or a cut connection the next attempt asks the server (`HEAD`) how
//!   many bytes it has and sends only the rest. The server stores a piece only at the offset the
//!   upload is at, so a PATCH retried over bytes it already has cannot store them twice, and it
//!   keeps one upload per request and position, so a creation retried after a lost answer finds
//!   the same upload.
//! - **Progress is retried at once, failure is backed off.** An attempt that failed after the
//!   server's offset moved (a connection cut mid-photo on a slow link) is continued straight
//!   away; one that moved nothing goes to the complaint's photo retry schedule (the outbox's
//!   backoff), except once per photo and flush for a failure that was not a timeout (a
//!   kept-alive connection closed just as it was reused). The loop is bounded: every turn either
//!   moves the offset or ends, but for that one retry.
//! - **Progress events** tell the shells the bytes handed over, per photo and for the complaint's
//!   photos together, at most [`PROGRESS_EVERY`] apart (and always at a photo's start and end).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::outbox::{self, PendingPhoto, PendingPhotos};
use super::transport::Open311Transport;
use super::{Announce, ComplaintEvent, UploadProgress};
use crate::error::{Error, Result};
use crate::open311::upload::{UploadError, UploadState};
use crate::store::Store;
use crate::transfer::ProgressFn;

/// Progress events of one complaint at most this often.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Turns of one photo's loop at most (each moves the offset or ends the loop; this only guards
/// against a server that answers nonsense).
const MAX_TURNS: u32 = 1_000;

/// What became of a complaint's pending photos.
#[derive(Debug, Default)]
pub struct PhotosOutcome {
    pub uploaded: u32,
    /// (position, the server's reason)
    pub refused: Vec<(u32, String)>,
    /// Set when a photo failed transiently: the error, the rest wait for the retry.
    pub failed: Option<Error>,
}

/// Announces [`ComplaintEvent::Progress`] no more often than [`PROGRESS_EVERY`]. Counted in monotonic
/// time, not on the core's [`crate::clock::Clock`]: a rate limit on events, not a decision of the
/// outbox (as the transfer timeouts of [`crate::transfer`] are).
#[derive(Clone)]
pub struct Ticker {
    announce: Announce,
    last: Arc<Mutex<Option<Instant>>>,
}

impl Ticker {
    pub fn new(announce: Announce) -> Ticker {
        Ticker { announce, last: Arc::new(Mutex::new(None)) }
    }

    pub fn tell(&self, p: UploadProgress, always: bool) {
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if !always && last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        (self.announce)(ComplaintEvent::Progress(p));
    }
}

pub struct PhotoSender<'a, T: Open311Transport> {
    pub store: &'a Store,
    pub client: &'a T,
    pub ticker: Ticker,
}

impl<T: Open311Transport> PhotoSender<'_, T> {
    /// Upload the complaint's pending photos in order. Stops at the first transient failure.
    pub async fn send(&self, c: &PendingPhotos) -> Result<PhotosOutcome> {
        let mut out = PhotosOutcome::default();
        let mut done_bytes = c.bytes_done;
        for photo in &c.pending {
            let total = photo.jpeg.len() as u64;
            let progress = |sent: u64, always: bool| {
                self.ticker.tell(
                    UploadProgress {
                        local_id: c.local_id.clone(),
                        photo_index: photo.position + 1,
                        photo_count: c.photo_count,
                        photo_bytes_sent: sent,
                        photo_bytes_total: total,
                        bytes_sent: done_bytes + sent,
                        bytes_total: c.bytes_total,
                    },
                    always,
                )
            };
            progress(0, true);
            match self.one(c, photo, done_bytes).await {
                Ok(()) => {
                    self.store.write(|tx| outbox::mark_photo_done(tx, &c.local_id, photo.position, None))?;
                    progress(total, true);
                    out.uploaded += 1;
                }
                Err(UploadError::Refused(reason)) => {
                    self.store.write(|tx| {
                        outbox::mark_photo_done(tx, &c.local_id, photo.position, Some(&reason))
                    })?;
                    out.refused.push((photo.position, reason));
                }
                Err(UploadError::Other(e @ (Error::Storage(_) | Error::StoreCorrupt(_)))) => return Err(e),
                Err(UploadError::Other(e)) => {
                    out.failed = Some(e);
                    return Ok(out);
                }
                Err(UploadError::Gone | UploadError::Moved) => {
                    out.failed = Some(Error::Network("the upload kept moving; will retry".into()));
                    return Ok(out);
                }
            }
            done_bytes += total;
        }
        Ok(out)
    }

    /// One photo, from wherever the server is, to its last byte.
    async fn one(
        &self,
        c: &PendingPhotos,
        photo: &PendingPhoto,
        done_before: u64,
    ) -> std::result::Result<(), UploadError> {
        let len = photo.jpeg.len() as u64;
        let bytes = Bytes::copy_from_slice(&photo.jpeg);
        let mut url = photo.upload_url.clone();
        let mut offset: Option<u64> = None;
        // One attempt that failed at once without moving anything is tried again straight away:
        // a kept-alive connection the server (or the network) closed just as it was reused.
        let mut stale_retry = true;
        for _ in 0..MAX_TURNS {
            // Where the upload lives, and how much of it the server has.
            let (here, at) = match (url.clone(), offset) {
                (Some(u), Some(at)) => (u, at),
                (Some(u), None) => match self.client.upload_offset(&u, &c.token).await {
                    Ok(at) => (u, at),
                    Err(UploadError::Gone) => {
                        self.store
                            .write(|tx| outbox::set_upload_url(tx, &c.local_id, photo.position, None))?;
                        url = None;
                        continue;
                    }
                    Err(UploadError::Other(e)) if stale_retry && !matches!(e, Error::Timeout) => {
                        stale_retry = false;
                        continue;
                    }
                    Err(e) => return Err(e),
                },
                (None, _) => {
                    let made = self.client.create_upload(&c.server_id, &c.token, photo.position, len).await;
                    let UploadState { url: made, offset: at } = match made {
                        Err(UploadError::Other(e)) if stale_retry && !matches!(e, Error::Timeout) => {
                            stale_retry = false;
                            continue;
                        }
                        other => other?,
                    };
                    self.store
                        .write(|tx| outbox::set_upload_url(tx, &c.local_id, photo.position, Some(&made)))?;
                    url = Some(made.clone());
                    (made, at)
                }
            };
            if at >= len {
                // The server has it all (and accepted it: a refused upload answers 422).
                return Ok(());
            }
            // Where this attempt starts (the server's offset): after a cut, the shells see the
            // photo go back only to what the server has, never to the start.
            self.ticker.tell(
                UploadProgress {
                    local_id: c.local_id.clone(),
                    photo_index: photo.position + 1,
                    photo_count: c.photo_count,
                    photo_bytes_sent: at,
                    photo_bytes_total: len,
                    bytes_sent: done_before + at,
                    bytes_total: c.bytes_total,
                },
                true,
            );
            let ticker = self.ticker.clone();
            let (local_id, index, count, total) =
                (c.local_id.clone(), photo.position + 1, c.photo_count, c.bytes_total);
            let report: ProgressFn = Arc::new(move |handed, _| {
                ticker.tell(
                    UploadProgress {
                        local_id: local_id.clone(),
                        photo_index: index,
                        photo_count: count,
                        photo_bytes_sent: at + handed,
                        photo_bytes_total: len,
                        bytes_sent: done_before + at + handed,
                        bytes_total: total,
                    },
                    false,
                )
            });
            let rest = bytes.slice(at as usize..);
            match self.client.upload_bytes(&here, &c.token, at, rest, Some(report)).await {
                Ok(now) if now > at => offset = Some(now),
                Ok(_) => {
                    return Err(UploadError::Other(Error::MalformedResponse(
                        "a PATCH that moved nothing".into(),
                    )))
                }
                Err(UploadError::Moved) => offset = None,
                Err(UploadError::Gone) => {
                    self.store.write(|tx| outbox::set_upload_url(tx, &c.local_id, photo.position, None))?;
                    url = None;
                    offset = None;
                }
                Err(UploadError::Refused(r)) => return Err(UploadError::Refused(r)),
                Err(UploadError::Other(e)) => {
                    // Did the broken attempt move the server's offset? Then go on at once.
                    match self.client.upload_offset(&here, &c.token).await {
                        Ok(now) if now > at => offset = Some(now),
                        Ok(now) if stale_retry && !matches!(e, Error::Timeout) => {
                            stale_retry = false;
                            offset = Some(now);
                        }
                        Ok(_) => return Err(UploadError::Other(e)),
                        Err(UploadError::Gone) => {
                            url = None;
                            offset = None;
                        }
                        Err(_) => return Err(UploadError::Other(e)),
                    }
                }
            }
        }
        Err(UploadError::Other(Error::Network("the upload did not finish; will retry".into())))
    }
}
