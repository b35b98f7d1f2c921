//! What the outbox ([`super::flush`], [`super::photos`]) and the refresh ([`super::refresh`])
//! need from an Open311 server, as a trait: post a request, list requests, resolve a token, and
//! the resumable photo upload's steps. [`Open311Client`] is the real one; the state machines are
//! generic over it so their tests drive them with a scripted server and a
//! [`crate::clock::FakeClock`], with no network (the table tests in `flush_tests.rs`).
//!
//! The trait is deliberately thin: it says nothing about extension fields, locales or the store
//! (the client's own business); the futures are `Send` because a flush runs on the shells' tokio
//! runtime.

use std::future::Future;

use bytes::Bytes;

use super::followup::FollowUpKind;
use crate::error::Result;
use crate::open311::upload::{UploadResult, UploadState};
use crate::open311::{Created, FormField, Open311Client, RemoteRequest};
use crate::transfer::ProgressFn;

pub trait Open311Transport: Send + Sync {
    /// POST a request under `idempotency_key` (photos, if any, inside it as multipart `media`).
    /// A refusal is `Error::Rejected`; a transient failure any other error.
    fn post_request(
        &self,
        fields: &[FormField],
        photos: &[Vec<u8>],
        idempotency_key: &str,
        progress: Option<ProgressFn>,
    ) -> impl Future<Output = Result<Created>> + Send;

    /// The requests with these ids (changed after `updated_after`, where the server can say).
    fn requests(
        &self,
        ids: &[String],
        updated_after: Option<&str>,
    ) -> impl Future<Output = Result<Vec<RemoteRequest>>> + Send;

    /// The request id a POST's token stands for, once the server has assigned one.
    fn resolve_token(&self, token: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Send what the citizen says after request `request_id` was closed (`feedback` or
    /// `reopen`, the municipality's extension), authenticated by its `token`, under
    /// `idempotency_key`. A reopening answers with the request, open again.
    fn post_followup(
        &self,
        request_id: &str,
        token: &str,
        kind: FollowUpKind,
        fields: &[FormField],
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<RemoteRequest>>> + Send;

    /// Whether photos can follow a request as resumable uploads (else they go inside its POST).
    fn supports_uploads(&self) -> impl Future<Output = Result<bool>> + Send;

    /// Make (or find again) the upload of photo `position` of request `request_id`.
    fn create_upload(
        &self,
        request_id: &str,
        token: &str,
        position: u32,
        length: u64,
    ) -> impl Future<Output = UploadResult<UploadState>> + Send;

    /// How many bytes of the upload the server has.
    fn upload_offset(&self, url: &str, token: &str) -> impl Future<Output = UploadResult<u64>> + Send;

    /// Send `bytes` from `offset` on; the server's new offset.
    fn upload_bytes(
        &self,
        url: &str,
        token: &str,
        offset: u64,
        bytes: Bytes,
        progress: Option<ProgressFn>,
    ) -> impl Future<Output = UploadResult<u64>> + Send;
}

impl Open311Transport for Open311Client {
    async fn post_request(
        &self,
        fields: &[FormField],
        photos: &[Vec<u8>],
        idempotency_key: &str,
        progress: Option<ProgressFn>,
    ) -> Result<Created> {
        Open311Client::post_request(self, fields, photos, idempotency_key, progress).await
    }

    async fn requests(&self, ids: &[String], updated_after: Option<&str>) -> Result<Vec<RemoteRequest>> {
        Open311Client::requests(self, ids, updated_after).await
    }

    async fn resolve_token(&self, token: &str) -> Result<Option<String>> {
        Open311Client::resolve_token(self, token).await
    }

    async fn post_followup(
        &self,
        request_id: &str,
        token: &str,
        kind: FollowUpKind,
        fields: &[FormField],
        idempotency_key: &str,
    ) -> Result<Option<RemoteRequest>> {
        let v = Open311Client::post_followup(self, request_id, token, kind.as_str(), fields, idempotency_key)
            .await?;
        Ok(match kind {
            FollowUpKind::Reopen => crate::open311::first_request(&v),
            FollowUpKind::Feedback => None,
        })
    }

    async fn supports_uploads(&self) -> Result<bool> {
        Open311Client::supports_uploads(self).await
    }

    async fn create_upload(
        &self,
        request_id: &str,
        token: &str,
        position: u32,
        length: u64,
    ) -> UploadResult<UploadState> {
        Open311Client::create_upload(self, request_id, token, position, length).await
    }

    async fn upload_offset(&self, url: &str, token: &str) -> UploadResult<u64> {
        Open311Client::upload_offset(self, url, token).await
    }

    async fn upload_bytes(
        &self,
        url: &str,
        token: &str,
        offset: u64,
        bytes: Bytes,
        progress: Option<ProgressFn>,
    ) -> UploadResult<u64> {
        Open311Client::upload_bytes(self, url, token, offset, bytes, progress).await
    }
}
