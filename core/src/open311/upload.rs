//! Photos that follow their request as resumable uploads: the client side of the tus 1.0 core
//! protocol with its `creation` extension (the server side is `server/src/open311/uploads.rs`).
//!
//! Why tus 1.0 and not the IETF httpbis resumable-uploads draft: tus 1.0 is a finished,
//! versioned protocol (the draft still changes between revisions, with interop versions in a
//! header), it needs nothing but ordinary requests and headers (no 104 interim answers, which
//! proxies on mobile networks drop), and independent clients and servers exist for every platform
//! should another city want to accept our uploads. Its core is small: `POST` makes an upload,
//! `HEAD` says how many bytes the server has, `PATCH` sends bytes from exactly there.
//!
//! Whether a server takes uploads is asked once per run with `OPTIONS uploads` (tus's own
//! discovery, ~200 bytes); another city's plain GeoReport v2 server answers 404 or 405 and gets
//! its photos inside the POST as before.
//!
//! Every exchange here carries the request's token (`Authorization: Bearer`), and an upload URL
//! the server hands back is followed only on the Open311 endpoint's own origin, so the token is
//! never sent anywhere else.

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode, Url};

use super::{check_post, Open311Client};
use crate::api::RawResponse;
use crate::error::{Error, Result};
use crate::transfer::ProgressFn;

const TUS_RESUMABLE: &str = "Tus-Resumable";
const TUS_VERSION: &str = "1.0.0";

/// An upload the server holds: where it lives and how many bytes it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    pub url: String,
    pub offset: u64,
}

/// What an upload exchange can end in besides success, for the flush to act on.
#[derive(Debug)]
pub enum UploadError {
    /// The server no longer has this upload (discarded unfinished): make a new one.
    Gone,
    /// The server has other bytes than we thought (a retried PATCH it already had): ask again.
    Moved,
    /// Refused for good (size, pixels, not an image, not our request): the server's reason.
    Refused(String),
    /// Anything transient (offline, timeout, a broken connection, 5xx, 408, 429).
    Other(Error),
}

impl From<Error> for UploadError {
    fn from(e: Error) -> Self {
        match e {
            Error::Rejected { reason, .. } => UploadError::Refused(reason),
            e => UploadError::Other(e),
        }
    }
}

pub type UploadResult<T> = std::result::Result<T, UploadError>;

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn header_number(resp: &RawResponse, name: &str) -> Option<u64> {
    resp.headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

impl Open311Client {
    /// Whether the server takes resumable photo uploads (asked once; a transport failure is an
    /// error, so a flush that cannot reach the server learns nothing wrong).
    pub async fn supports_uploads(&self) -> Result<bool> {
        if let Some(known) = *self.uploads.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(known);
        }
        let resp = self.api.send(self.api.request(Method::OPTIONS, "uploads")?).await?;
        if resp.status.is_server_error() || resp.status == StatusCode::TOO_MANY_REQUESTS {
            return Err(resp.check_status().err().unwrap_or(Error::Server { status: resp.status.as_u16() }));
        }
        let speaks = resp.status.is_success()
            && resp
                .headers
                .get("tus-version")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|x| x.trim() == TUS_VERSION));
        *self.uploads.lock().unwrap_or_else(|p| p.into_inner()) = Some(speaks);
        Ok(speaks)
    }

    /// An upload URL the server gave, only on the endpoint's own origin.
    fn upload_url(&self, location: &str) -> Result<Url> {
        let base = self.api.base_url();
        let url = base
            .join(location)
            .map_err(|_| Error::MalformedResponse("an upload Location that is not a URL".into()))?;
        if url.origin() != base.origin() {
            return Err(Error::MalformedResponse("an upload Location on another server".into()));
        }
        Ok(url)
    }

    fn tus(&self, method: Method, url: &str, token: &str) -> Result<reqwest::RequestBuilder> {
        let url = self.upload_url(url)?;
        Ok(self
            .api
            .request(method, url.as_str())?
            .header(TUS_RESUMABLE, TUS_VERSION)
            .header(AUTHORIZATION, format!("Bearer {token}")))
    }

    /// Make (or, after a lost answer, find again) the upload of photo `position` of request
    /// `request_id`.
    pub async fn create_upload(
        &self,
        request_id: &str,
        token: &str,
        position: u32,
        length: u64,
    ) -> UploadResult<UploadState> {
        let metadata = format!(
            "service_request_id {},position {}",
            base64(request_id.as_bytes()),
            base64(position.to_string().as_bytes())
        );
        let req = self
            .tus(Method::POST, "uploads", token)?
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata);
        let resp = self.api.send(req).await?;
        check_post(&resp)?;
        let location = resp
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::MalformedResponse("an upload made without a Location".into()))?;
        let url = self.upload_url(location)?.to_string();
        Ok(UploadState { url, offset: header_number(&resp, "upload-offset").unwrap_or(0) })
    }

    /// How many bytes of the upload the server has.
    pub async fn upload_offset(&self, url: &str, token: &str) -> UploadResult<u64> {
        let resp = self.api.send(self.tus(Method::HEAD, url, token)?).await?;
        if matches!(resp.status, StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Err(UploadError::Gone);
        }
        check_post(&resp)?;
        header_number(&resp, "upload-offset").ok_or_else(|| {
            UploadError::Other(Error::MalformedResponse("HEAD of an upload without Upload-Offset".into()))
        })
    }

    /// Send `bytes` from `offset` on; the server's new offset. `progress` hears how many of
    /// these bytes have been handed over.
    pub async fn upload_bytes(
        &self,
        url: &str,
        token: &str,
        offset: u64,
        bytes: Bytes,
        progress: Option<ProgressFn>,
    ) -> UploadResult<u64> {
        let req = self
            .tus(Method::PATCH, url, token)?
            .header("Upload-Offset", offset.to_string())
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .body(bytes);
        let resp = self.api.send_watched(req, progress).await?;
        match resp.status {
            StatusCode::NOT_FOUND | StatusCode::GONE => return Err(UploadError::Gone),
            StatusCode::CONFLICT => return Err(UploadError::Moved),
            _ => {}
        }
        check_post(&resp)?;
        header_number(&resp, "upload-offset").ok_or_else(|| {
            UploadError::Other(Error::MalformedResponse("PATCH answered without Upload-Offset".into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_the_rfc_says() {
        // RFC 4648, section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
