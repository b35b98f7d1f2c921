//! Table tests of the outbox's transitions (and of the refresh that follows sent complaints): the real store (a temporary SQLite file), a scripted
//! Open311 server ([`FakeServer`], an [`Open311Transport`]) and a [`FakeClock`]. No network, no
//! sleeping: each runs in milliseconds, beside the end-to-end tests against the real server
//! (`tests/tests/complaints*.rs`), which stay.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use super::flush::{ComplaintFlushReport, Flusher, Refusal};
use super::followup::{self, FeedbackDraft, FollowUpKind, FollowUpState};
use super::outbox;
use super::transport::Open311Transport;
use super::{Announce, ComplaintDraft, ComplaintEvent, ComplaintState, GeoPoint};
use crate::clock::{Clock, FakeClock};
use crate::error::{Error, Result};
use crate::open311::upload::{UploadError, UploadResult, UploadState};
use crate::open311::{Created, FormField, RemoteRequest, RemoteUpdate};
use crate::store::Store;
use crate::transfer::ProgressFn;

const START: i64 = 1_790_000_000_000;
const SECOND: i64 = 1_000;

/// What the server does with the next POST.
#[derive(Clone, Debug)]
enum Answer {
    /// Take it (or, under a key it has seen, answer with the request it made then).
    Accept,
    /// Fail before anything reached the server's records.
    Fail(fn() -> Error),
    /// Refuse it with this reason.
    Refuse(&'static str),
    /// Take it, then never answer (the phone's flush is dropped: killed, out of budget).
    AcceptThenHang,
}

#[derive(Default)]
struct ServerState {
    /// Answers to the next POSTs in order; once empty, every POST is taken.
    script: VecDeque<Answer>,
    /// The requests the server holds, by idempotency key: (id, description).
    by_key: HashMap<String, (String, String)>,
    /// Descriptions of the requests made, in the order the server made them.
    created: Vec<String>,
    /// Every exchange, in order: "post <description> (<photos>)", "upload <id>/<position>".
    log: Vec<String>,
    /// Resumable uploads offered, and their bytes so far by URL.
    uploads_supported: bool,
    uploads: HashMap<String, Vec<u8>>,
    /// The next PATCHes fail with a timeout having moved nothing.
    failing_patches: u32,
    /// A POST is answered with a token only (the id is assigned later: `tokens`).
    token_only: bool,
    tokens: HashMap<String, String>,
    /// What `requests.json` says of each request id.
    remote: HashMap<String, RemoteRequest>,
    /// Answers to the next feedback and reopenings in order; once empty, every one is taken.
    followup_script: VecDeque<Answer>,
    /// Follow-ups the server holds, by idempotency key, and what they said, in the order taken.
    followups_by_key: HashMap<String, String>,
    followups_taken: Vec<String>,
}

/// The state, and a signal raised when a follow-up is taken and then left unanswered.
#[derive(Default)]
struct FakeServer(Mutex<ServerState>, tokio::sync::Notify);

impl FakeServer {
    fn state(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state().script.extend(answers);
    }

    fn created(&self) -> Vec<String> {
        self.state().created.clone()
    }

    fn log(&self) -> Vec<String> {
        self.state().log.clone()
    }
}

impl Open311Transport for FakeServer {
    async fn post_request(
        &self,
        fields: &[FormField],
        photos: &[Vec<u8>],
        idempotency_key: &str,
        _progress: Option<ProgressFn>,
    ) -> Result<Created> {
        let description =
            fields.iter().find(|(k, _)| k == "description").map(|(_, v)| v.clone()).unwrap_or_default();
        let (answer, created) = {
            let mut s = self.state();
            s.log.push(format!("post {description} ({})", photos.len()));
            let answer = s.script.pop_front().unwrap_or(Answer::Accept);
            let created = match answer {
                Answer::Accept | Answer::AcceptThenHang => {
                    if let Some((id, _)) = s.by_key.get(idempotency_key) {
                        Some(id.clone())
                    } else {
                        let id = format!("R{}", s.by_key.len() + 1);
                        s.by_key.insert(idempotency_key.to_owned(), (id.clone(), description.clone()));
                        s.created.push(description.clone());
                        Some(id)
                    }
                }
                _ => None,
            };
            (answer, created)
        };
        match answer {
            Answer::Fail(error) => Err(error()),
            Answer::Refuse(reason) => Err(Error::Rejected { status: 400, reason: reason.into() }),
            Answer::AcceptThenHang => std::future::pending().await,
            Answer::Accept => {
                let id = created.unwrap_or_default();
                let token = Some(format!("tok-{id}"));
                if self.state().token_only {
                    return Ok(Created { id: None, token, notice: None });
                }
                Ok(Created { token, id: Some(id), notice: None })
            }
        }
    }

    async fn requests(&self, ids: &[String], _updated_after: Option<&str>) -> Result<Vec<RemoteRequest>> {
        let mut s = self.state();
        s.log.push(format!("requests {}", ids.join(",")));
        Ok(ids.iter().filter_map(|id| s.remote.get(id).cloned()).collect())
    }

    async fn resolve_token(&self, token: &str) -> Result<Option<String>> {
        let mut s = self.state();
        s.log.push(format!("token {token}"));
        Ok(s.tokens.get(token).cloned())
    }

    async fn post_followup(
        &self,
        request_id: &str,
        token: &str,
        kind: FollowUpKind,
        fields: &[FormField],
        idempotency_key: &str,
    ) -> Result<Option<RemoteRequest>> {
        let said: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let what = format!("{} {request_id} {}", kind.as_str(), said.join(" "));
        let answer = {
            let mut s = self.state();
            s.log.push(what.clone());
            assert_eq!(token, format!("tok-{request_id}"), "authenticated by the request's own token");
            let answer = s.followup_script.pop_front().unwrap_or(Answer::Accept);
            if matches!(answer, Answer::Accept | Answer::AcceptThenHang)
                && !s.followups_by_key.contains_key(idempotency_key)
            {
                s.followups_by_key.insert(idempotency_key.to_owned(), what.clone());
                s.followups_taken.push(what);
                if kind == FollowUpKind::Reopen {
                    // Back in the department's queue, with an entry saying so.
                    if let Some(r) = s.remote.get_mut(request_id) {
                        r.status = "open".into();
                        r.detailed_status = Some("routed".into());
                        r.updated_datetime = Some("2026-09-30T10:00:00Z".into());
                        r.updates.push(RemoteUpdate {
                            update_id: format!("{request_id}-reopen"),
                            status: "open".into(),
                            detailed_status: Some("routed".into()),
                            description: "reopened".into(),
                            media_url: None,
                            updated_datetime: "2026-09-30T10:00:00Z".into(),
                        });
                    }
                }
            }
            answer
        };
        match answer {
            Answer::Fail(error) => Err(error()),
            Answer::Refuse(reason) => Err(Error::Rejected { status: 422, reason: reason.into() }),
            Answer::AcceptThenHang => {
                self.1.notify_one();
                std::future::pending().await
            }
            Answer::Accept => Ok(match kind {
                FollowUpKind::Reopen => self.state().remote.get(request_id).cloned(),
                FollowUpKind::Feedback => None,
            }),
        }
    }

    async fn supports_uploads(&self) -> Result<bool> {
        Ok(self.state().uploads_supported)
    }

    async fn create_upload(
        &self,
        request_id: &str,
        _token: &str,
        position: u32,
        _length: u64,
    ) -> UploadResult<UploadState> {
        let mut s = self.state();
        let url = format!("{request_id}/{position}");
        s.log.push(format!("upload {url}"));
        let offset = s.uploads.entry(url.clone()).or_default().len() as u64;
        Ok(UploadState { url, offset })
    }

    async fn upload_offset(&self, url: &str, _token: &str) -> UploadResult<u64> {
        self.state().uploads.get(url).map(|b| b.len() as u64).ok_or(UploadError::Gone)
    }

    async fn upload_bytes(
        &self,
        url: &str,
        _token: &str,
        offset: u64,
        bytes: Bytes,
        _progress: Option<ProgressFn>,
    ) -> UploadResult<u64> {
        let mut s = self.state();
        if s.failing_patches > 0 {
            s.failing_patches -= 1;
            return Err(UploadError::Other(Error::Timeout));
        }
        let held = s.uploads.get_mut(url).ok_or(UploadError::Gone)?;
        if held.len() as u64 != offset {
            return Err(UploadError::Moved);
        }
        held.extend_from_slice(&bytes);
        Ok(held.len() as u64)
    }
}

/// A phone: its store, clock and events, and the server it talks to.
struct Phone {
    _dir: tempfile::TempDir,
    store: Store,
    server: FakeServer,
    clock: FakeClock,
    announce: Announce,
    heard: Arc<Mutex<Vec<ComplaintEvent>>>,
    in_flight: Mutex<Option<String>>,
}

impl Phone {
    fn new() -> Phone {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path(), crate::client::STORE_HOOKS).expect("a fresh store");
        let heard: Arc<Mutex<Vec<ComplaintEvent>>> = Arc::default();
        let sink = Arc::clone(&heard);
        let announce: Announce = Arc::new(move |e: ComplaintEvent| {
            if !matches!(e, ComplaintEvent::Progress(_)) {
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(e);
            }
        });
        Phone {
            _dir: dir,
            store,
            server: FakeServer::default(),
            clock: FakeClock::new(START),
            announce,
            heard,
            in_flight: Mutex::new(None),
        }
    }

    /// File a complaint (its description names it) with these photos, as `submit_complaint` does.
    fn file(&self, description: &str, photos: &[&[u8]]) -> String {
        let draft = ComplaintDraft {
            service_code: "pothole".into(),
            description: description.into(),
            attributes: Vec::new(),
            location: Some(GeoPoint { lat: 31.5, long: 34.45 }),
            address: None,
            contact: None,
        };
        let photos: Vec<Vec<u8>> = photos.iter().map(|p| p.to_vec()).collect();
        let now = self.clock.now_ms();
        self.store.write(|tx| outbox::insert(tx, &draft, &photos, now)).expect("filed")
    }

    async fn flush(&self, force: bool) -> ComplaintFlushReport {
        self.flush_until(force, None).await.expect("the flush itself works")
    }

    async fn flush_until(&self, force: bool, deadline_ms: Option<i64>) -> Result<ComplaintFlushReport> {
        Flusher {
            store: &self.store,
            client: &self.server,
            clock: &self.clock,
            announce: &self.announce,
            in_flight: &self.in_flight,
            metered: false,
        }
        .run(force, deadline_ms)
        .await
    }

    fn complaint(&self, local_id: &str) -> super::Complaint {
        self.store.read(|c| outbox::get(c, local_id)).expect("the complaint is stored")
    }

    fn key(&self, local_id: &str) -> String {
        self.store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT idempotency_key FROM complaints WHERE local_id = ?1",
                    [local_id],
                    |r| r.get(0),
                )?)
            })
            .expect("a key")
    }

    fn heard(&self) -> Vec<ComplaintEvent> {
        std::mem::take(&mut *self.heard.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn offline() -> Error {
    Error::Offline
}
fn timeout() -> Error {
    Error::Timeout
}
fn unavailable() -> Error {
    Error::Server { status: 503 }
}
fn broken() -> Error {
    Error::Network("connection reset".into())
}
fn throttled() -> Error {
    Error::Throttled { retry_after: Duration::from_secs(120) }
}

#[tokio::test]
async fn a_complaint_is_sent_when_due_and_only_then() {
    // (what the schedule says, relative to now; forced by the citizen; sent?)
    let table: &[(i64, bool, bool)] = &[
        (0, false, true),            // never failed: due at once
        (-SECOND, false, true),      // its time has passed
        (0, true, true),             // due and forced
        (60 * SECOND, false, false), // not due yet: waits for its time
        (60 * SECOND, true, true),   // not due, but the citizen pressed "send now"
    ];
    for &(due_in, force, sent) in table {
        let phone = Phone::new();
        let id = phone.file("a", &[]);
        if due_in != 0 {
            let at = phone.clock.now_ms() + due_in;
            phone.store.write(|tx| outbox::mark_retry(tx, &id, "earlier", at, false)).expect("scheduled");
        }
        let report = phone.flush(force).await;
        let what = format!("due in {due_in} ms, force {force}");
        assert_eq!(report.sent.len(), usize::from(sent), "{what}");
        assert_eq!(phone.server.log().len(), usize::from(sent), "{what}: no request unless sent");
        assert_eq!(report.remaining, u32::from(!sent), "{what}");
        let state = phone.complaint(&id).state;
        assert_eq!(state, if sent { ComplaintState::Sent } else { ComplaintState::Queued }, "{what}");
    }
}

#[tokio::test]
async fn not_due_becomes_due_when_the_clock_reaches_its_time() {
    let phone = Phone::new();
    let id = phone.file("a", &[]);
    phone.server.script([Answer::Fail(timeout)]);
    let first = phone.flush(false).await;
    let next = first.retry_later.as_ref().map(|r| r.next_attempt_at).expect("a retry scheduled");
    assert_eq!(phone.complaint(&id).next_attempt_at, Some(next));

    phone.clock.set(next - 1);
    assert!(phone.flush(false).await.sent.is_empty(), "one millisecond early");
    assert_eq!(phone.server.log().len(), 1, "nothing sent before its time");

    phone.clock.set(next);
    let report = phone.flush(false).await;
    assert_eq!(report.sent.len(), 1);
    assert_eq!(phone.complaint(&id).state, ComplaintState::Sent);
}

#[tokio::test]
async fn transient_failures_keep_it_queued_with_a_growing_backoff() {
    // (the failure, its name, the least wait the schedule may give, whether the POST may have
    // arrived)
    type Case = (fn() -> Error, &'static str, i64, bool);
    let table: &[Case] = &[
        (offline, "offline", 0, false),
        (timeout, "timeout", 0, true),
        (unavailable, "503", 0, true),
        (broken, "broken connection", 0, true),
        (throttled, "429 with Retry-After: 120", 120 * SECOND, true),
    ];
    for &(error, name, at_least, maybe_delivered) in table {
        let phone = Phone::new();
        let id = phone.file("a", &[]);
        for attempt in 1..=6u32 {
            phone.server.script([Answer::Fail(error)]);
            let now = phone.clock.now_ms();
            let report = phone.flush(false).await;
            let retry = report.retry_later.expect("a retry is scheduled");
            assert_eq!(retry.local_id, id);
            assert_eq!(retry.offline, name == "offline", "{name}");
            let wait = retry.next_attempt_at - now;
            let ceiling = ((30 * SECOND) << (attempt - 1)).min(3600 * SECOND).max(at_least);
            assert!(
                (at_least..=ceiling).contains(&wait),
                "{name}, attempt {attempt}: waits {wait} ms, not within {at_least}..={ceiling}"
            );
            let c = phone.complaint(&id);
            assert_eq!((c.state, c.attempts), (ComplaintState::Queued, attempt), "{name}");
            assert_eq!(c.next_attempt_at, Some(retry.next_attempt_at));
            assert!(c.last_error.is_some());
            phone.clock.set(retry.next_attempt_at);
        }
        // Whether the citizen may still withdraw it: only if no attempt could have arrived.
        let cancelled = phone.store.write(|tx| outbox::cancel(tx, &id));
        assert_eq!(cancelled.is_err(), maybe_delivered, "{name}: cancel after failures");
        if !maybe_delivered {
            continue;
        }
        // The next attempt, when due, goes (under the same key, for the server to recognise).
        let report = phone.flush(false).await;
        assert_eq!(report.sent.len(), 1, "{name}");
        assert_eq!(phone.server.created(), ["a"], "{name}");
        let c = phone.complaint(&id);
        assert_eq!((c.state, c.next_attempt_at, c.last_error), (ComplaintState::Sent, None, None));
    }
}

#[tokio::test]
async fn a_transient_failure_holds_back_the_complaints_behind_it() {
    let phone = Phone::new();
    let ids = ["first", "second", "third"].map(|d| {
        let id = phone.file(d, &[]);
        phone.clock.advance(SECOND);
        id
    });
    phone.server.script([Answer::Fail(unavailable)]);
    let report = phone.flush(false).await;
    assert!(report.sent.is_empty());
    assert_eq!(report.retry_later.map(|r| r.local_id), Some(ids[0].clone()));
    assert_eq!(report.remaining, 3);
    assert_eq!(phone.server.log(), ["post first (0)"], "the others wait behind the first");

    // Not yet due: still nothing (the others are not sent past it).
    assert!(phone.flush(false).await.sent.is_empty());
    assert_eq!(phone.server.log().len(), 1);

    phone.clock.advance(3600 * SECOND);
    let report = phone.flush(false).await;
    let sent: Vec<_> = report.sent.iter().map(|s| s.local_id.clone()).collect();
    assert_eq!(sent, ids, "oldest first");
    assert_eq!(phone.server.created(), ["first", "second", "third"]);
    let heard: Vec<_> = phone
        .heard()
        .into_iter()
        .filter_map(|e| match e {
            ComplaintEvent::Sent { local_id, .. } => Some(local_id),
            _ => None,
        })
        .collect();
    assert_eq!(heard, ids, "one event each, in order");
}

#[tokio::test]
async fn a_refused_complaint_needs_attention_and_the_rest_go_on() {
    let phone = Phone::new();
    let refused = phone.file("bad", &[]);
    let fine = phone.file("good", &[]);
    phone.server.script([Answer::Refuse("unknown service_code")]);
    let report = phone.flush(false).await;
    assert_eq!(
        report.needs_attention,
        [Refusal { local_id: refused.clone(), reason: "unknown service_code".to_owned() }]
    );
    assert_eq!(report.sent.iter().map(|s| &s.local_id).collect::<Vec<_>>(), [&fine]);
    assert_eq!(report.retry_later, None);
    let c = phone.complaint(&refused);
    assert_eq!(c.state, ComplaintState::NeedsAttention);
    assert_eq!(c.last_error.as_deref(), Some("unknown service_code"));
    assert!(phone.heard().contains(&ComplaintEvent::NeedsAttention {
        local_id: refused.clone(),
        reason: "unknown service_code".into()
    }));

    // Not retried by itself, however late.
    phone.clock.advance(24 * 3600 * SECOND);
    assert!(phone.flush(true).await.sent.is_empty());
    assert_eq!(phone.server.log().len(), 2);

    // Resent unchanged: queued again under a new key (the server saw the old one refused).
    let old_key = phone.key(&refused);
    phone.store.write(|tx| outbox::requeue(tx, &refused)).expect("requeued");
    assert_ne!(phone.key(&refused), old_key);
    let c = phone.complaint(&refused);
    assert_eq!((c.state, c.attempts), (ComplaintState::Queued, 0));
    let report = phone.flush(false).await;
    assert_eq!(report.sent.len(), 1);
    assert_eq!(phone.complaint(&refused).state, ComplaintState::Sent);
    assert_eq!(phone.server.created(), ["good", "bad"]);
}

#[tokio::test]
async fn what_may_be_cancelled() {
    // (what happened to it, the script of its POSTs, may the citizen cancel it?)
    let table: &[(&str, &[Answer], bool)] = &[
        ("never tried", &[], true),
        ("refused at connect", &[Answer::Fail(offline)], true),
        ("timed out (may have arrived)", &[Answer::Fail(timeout)], false),
        ("refused by the server", &[Answer::Refuse("no")], true),
        ("sent", &[Answer::Accept], false),
    ];
    for (what, script, cancellable) in table {
        let phone = Phone::new();
        let id = phone.file("a", &[b"photo"]);
        if !script.is_empty() {
            phone.server.script(script.iter().cloned());
            phone.flush(true).await;
        }
        let before = phone.server.log().len();
        let outcome = phone.store.write(|tx| outbox::cancel(tx, &id));
        assert_eq!(outcome.is_ok(), *cancellable, "{what}");
        if *cancellable {
            let c = phone.complaint(&id);
            assert_eq!((c.state, c.photo_count), (ComplaintState::Cancelled, 0), "{what}: photos dropped");
            let report = phone.flush(true).await;
            assert!(report.sent.is_empty() && report.remaining == 0, "{what}");
            assert_eq!(phone.server.log().len(), before, "{what}: a cancelled complaint is never sent");
        }
    }
}

#[tokio::test]
async fn an_edited_complaint_goes_with_its_new_text_under_a_new_key() {
    let phone = Phone::new();
    let id = phone.file("old text", &[]);
    phone.server.script([Answer::Refuse("say where")]);
    phone.flush(false).await;
    let mut draft = phone.complaint(&id).draft;
    draft.description = "new text".into();
    let old_key = phone.key(&id);
    phone.store.write(|tx| outbox::replace_draft(tx, &id, &draft)).expect("edited");
    assert_ne!(phone.key(&id), old_key);
    assert_eq!(phone.flush(false).await.sent.len(), 1);
    assert_eq!(phone.server.created(), ["new text"]);
}

#[tokio::test(start_paused = true)]
async fn a_flush_dropped_between_sent_and_marked_sends_nothing_twice() {
    let phone = Phone::new();
    let id = phone.file("a", &[]);
    let key = phone.key(&id);
    phone.server.script([Answer::AcceptThenHang]);
    // The server made the request; its answer never came: the flush is dropped (the background
    // budget ran out, or the app was killed) before it could mark the complaint sent.
    let dropped = tokio::time::timeout(Duration::from_secs(30), phone.flush(false)).await;
    assert!(dropped.is_err(), "the flush was still waiting");
    assert_eq!(phone.server.created(), ["a"]);
    assert_eq!(*phone.in_flight.lock().unwrap_or_else(|p| p.into_inner()), None, "not pinned");
    let c = phone.complaint(&id);
    assert_eq!(c.state, ComplaintState::Queued, "the phone does not know it arrived");
    // It may have arrived: the citizen can no longer withdraw it as if it had not.
    assert!(
        phone.store.write(|tx| outbox::cancel(tx, &id)).is_err(),
        "a complaint whose POST may have reached the server is not cancellable"
    );

    // The next flush sends it again under the same key; the server recognises it.
    assert_eq!(phone.key(&id), key);
    let report = phone.flush(false).await;
    assert_eq!(report.sent.len(), 1);
    assert_eq!(report.sent[0].server_id.as_deref(), Some("R1"));
    assert_eq!(phone.server.created(), ["a"], "one request on the server");
    assert_eq!(phone.server.log().len(), 2, "two POSTs, one request");
    assert_eq!(phone.complaint(&id).server_id.as_deref(), Some("R1"));
}

#[tokio::test]
async fn photos_follow_every_complaint_text_as_uploads() {
    let phone = Phone::new();
    phone.server.state().uploads_supported = true;
    let a = phone.file("a", &[b"photo a0", b"photo a1"]);
    let b = phone.file("b", &[b"photo b0"]);
    let report = phone.flush(false).await;
    assert_eq!(report.sent.len(), 2);
    assert_eq!((report.photos_uploaded, report.photos_remaining), (3, 0));
    assert_eq!(
        phone.server.log(),
        ["post a (0)", "post b (0)", "upload R1/0", "upload R1/1", "upload R2/0"],
        "every complaint's text first, then the photos, oldest first"
    );
    let held = phone.server.state().uploads.clone();
    assert_eq!(held.get("R1/1").map(Vec::as_slice), Some(&b"photo a1"[..]));
    assert_eq!(phone.complaint(&a).photos_uploaded, 2);
    assert_eq!(phone.complaint(&b).photos_uploaded, 1);
    assert!(phone.heard().contains(&ComplaintEvent::PhotosSent { local_id: a, uploaded: 2, refused: 0 }));
}

#[tokio::test]
async fn photos_go_inside_the_post_to_a_server_without_uploads() {
    let phone = Phone::new();
    let id = phone.file("a", &[b"one", b"two"]);
    let report = phone.flush(false).await;
    assert_eq!((report.sent.len(), report.photos_uploaded, report.photos_remaining), (1, 0, 0));
    assert_eq!(phone.server.log(), ["post a (2)"]);
    assert_eq!(phone.complaint(&id).photos_uploaded, 2);
}

#[tokio::test]
async fn photos_that_fail_back_off_on_their_own_schedule() {
    let phone = Phone::new();
    phone.server.state().uploads_supported = true;
    // A PATCH times out having moved nothing: this flush's uploads end there.
    phone.server.state().failing_patches = 1;
    let id = phone.file("a", &[b"photo"]);
    let now = phone.clock.now_ms();
    let report = phone.flush(false).await;
    assert_eq!(report.sent.len(), 1, "the text went");
    let retry = report.photos_retry_later.expect("the photos wait for a retry");
    assert!((now..=now + 30 * SECOND).contains(&retry.next_attempt_at));
    assert_eq!((report.photos_uploaded, report.photos_remaining), (0, 1));
    assert_eq!(phone.complaint(&id).state, ComplaintState::Sent);

    // Not due: a flush leaves them; at their time they go, from where the server is.
    assert_eq!(phone.flush(false).await.photos_uploaded, 0);
    phone.clock.set(retry.next_attempt_at);
    let report = phone.flush(false).await;
    assert_eq!((report.photos_uploaded, report.photos_remaining), (1, 0));
    assert_eq!(phone.server.created(), ["a"], "the complaint itself was not sent again");
    assert_eq!(phone.complaint(&id).photos_uploaded, 1);
}

#[tokio::test]
async fn a_flush_stops_at_its_deadline_on_the_core_clock() {
    let phone = Phone::new();
    phone.file("a", &[]);
    let report = phone.flush_until(false, Some(phone.clock.now_ms())).await.expect("flushed");
    assert!(report.out_of_time);
    assert!(phone.server.log().is_empty());
    assert_eq!(report.remaining, 1);
    let report = phone.flush_until(false, Some(phone.clock.now_ms() + 1)).await.expect("flushed");
    assert_eq!((report.sent.len(), report.out_of_time), (1, false));
}

impl Phone {
    async fn refresh(&self) -> super::refresh::RefreshReport {
        super::refresh::refresh(&self.store, &self.server, &self.clock, &self.announce)
            .await
            .expect("the refresh itself works")
    }
}

fn remote(id: &str, status: &str, updates: &[(&str, &str)]) -> RemoteRequest {
    RemoteRequest {
        id: id.into(),
        status: status.into(),
        detailed_status: None,
        status_notes: None,
        updated_datetime: updates.last().map(|_| format!("2026-09-01T10:0{}:00Z", updates.len())),
        expected_datetime: None,
        followers: None,
        updates: updates
            .iter()
            .enumerate()
            .map(|(i, (uid, text))| RemoteUpdate {
                update_id: (*uid).into(),
                status: status.into(),
                detailed_status: None,
                description: (*text).into(),
                media_url: None,
                updated_datetime: format!("2026-09-01T10:0{}:00Z", i + 1),
            })
            .collect(),
    }
}

#[tokio::test]
async fn refresh_resolves_a_token_then_announces_each_new_entry_once() {
    let phone = Phone::new();
    phone.server.state().token_only = true;
    let id = phone.file("a", &[]);
    assert_eq!(phone.flush(false).await.sent.len(), 1);
    assert_eq!(phone.complaint(&id).server_id, None, "only a token so far");

    // The server has not assigned an id yet: nothing to ask about.
    let report = phone.refresh().await;
    assert_eq!(report.checked, 0);
    assert_eq!(phone.server.log().last().map(String::as_str), Some("token tok-R1"));

    // Now it has, and the department has answered.
    {
        let mut s = phone.server.state();
        s.tokens.insert("tok-R1".into(), "R1".into());
        s.remote
            .insert("R1".into(), remote("R1", "open", &[("u1", "received"), ("u2", "a crew is on its way")]));
    }
    phone.heard();
    let report = phone.refresh().await;
    assert_eq!((report.checked, report.changed, report.new_updates), (1, 1, 2));
    assert_eq!(phone.complaint(&id).server_id.as_deref(), Some("R1"));
    let announced: Vec<String> = phone
        .heard()
        .into_iter()
        .filter_map(|e| match e {
            ComplaintEvent::Updated { update, .. } => Some(update.description),
            _ => None,
        })
        .collect();
    // The server's record of the creation is history, not news: the citizen sent it.
    assert_eq!(announced, ["a crew is on its way"]);

    // Asked again with nothing new: nothing announced, nothing stored twice.
    let report = phone.refresh().await;
    assert_eq!((report.checked, report.new_updates), (1, 0));
    assert!(phone.heard().is_empty());
    assert_eq!(phone.complaint(&id).updates.len(), 2);
}

#[tokio::test]
async fn the_expected_date_is_learnt_on_refresh_and_an_open_complaint_past_it_is_overdue_until_closed() {
    let phone = Phone::new();
    let id = phone.file("a", &[]);
    phone.flush(false).await;
    let expected = crate::clock::rfc3339(START + 48 * 3600 * SECOND);
    let mut answer = remote("R1", "open", &[("u1", "received")]);
    answer.expected_datetime = Some(expected.clone());
    phone.server.state().remote.insert("R1".into(), answer.clone());
    phone.refresh().await;
    let c = phone.complaint(&id);
    assert_eq!(c.expected_datetime.as_deref(), Some(expected.as_str()));
    assert!(!c.is_overdue(phone.clock.now_ms()), "two days ahead");

    phone.clock.advance(49 * 3600 * SECOND);
    assert!(phone.complaint(&id).is_overdue(phone.clock.now_ms()), "an hour past, still open");
    // A later answer without the field keeps the date learnt.
    answer.expected_datetime = None;
    answer.status_notes = Some("a crew is on its way".into());
    phone.server.state().remote.insert("R1".into(), answer.clone());
    phone.refresh().await;
    assert_eq!(phone.complaint(&id).expected_datetime.as_deref(), Some(expected.as_str()));

    phone
        .server
        .state()
        .remote
        .insert("R1".into(), remote("R1", "closed", &[("u1", "received"), ("u2", "fixed")]));
    phone.refresh().await;
    assert!(!phone.complaint(&id).is_overdue(phone.clock.now_ms()), "closed is never overdue");
}

impl Phone {
    /// The refresh button, as the service runs it, over this phone's scripted server.
    async fn send_and_refresh(&self) -> super::send::SendAndRefreshReport {
        super::send::send_and_refresh(self.flush_until(true, None), || {
            super::refresh::refresh(&self.store, &self.server, &self.clock, &self.announce)
        })
        .await
        .expect("no error beyond the network's")
    }
}

#[tokio::test]
async fn the_refresh_button_skips_the_answers_while_the_server_is_unreachable_and_says_when_it_retries() {
    let phone = Phone::new();
    let id = phone.file("a", &[]);
    phone.server.script([Answer::Fail(|| Error::Offline)]);
    let report = phone.send_and_refresh().await;
    let waiting = report.unreachable.clone().expect("the server could not be reached");
    assert!(waiting.offline);
    assert_eq!(waiting.retry_at, phone.complaint(&id).next_attempt_at, "the outbox's own schedule");
    assert_eq!(report.refresh, None);
    assert!(
        !phone.server.log().iter().any(|l| l.starts_with("requests")),
        "no pointless request for answers"
    );

    // The server is back: sent, then the answers asked for, nothing said to be waiting.
    phone.server.state().remote.insert("R1".into(), remote("R1", "open", &[("u1", "received")]));
    let report = phone.send_and_refresh().await;
    assert_eq!(report.flush.sent.len(), 1);
    assert_eq!(report.refresh.map(|r| r.checked), Some(1));
    assert_eq!(report.unreachable, None);
    assert_eq!(phone.server.log().last().map(String::as_str), Some("requests R1"));
}

#[tokio::test]
async fn a_closed_complaint_is_watched_for_a_week_on_the_clock() {
    let phone = Phone::new();
    let id = phone.file("a", &[]);
    phone.flush(false).await;
    phone.server.state().remote.insert("R1".into(), remote("R1", "closed", &[("u1", "fixed")]));
    // Dates the server wrote (in `remote`) are older than the fake clock's start.
    assert_eq!(phone.refresh().await.checked, 1);
    assert_eq!(phone.complaint(&id).status.as_deref(), Some("closed"));

    phone.clock.advance(6 * 24 * 3600 * SECOND);
    assert_eq!(phone.refresh().await.checked, 1, "within the week since it was sent");
    phone.clock.advance(2 * 24 * 3600 * SECOND);
    assert_eq!(phone.refresh().await.checked, 0, "closed and quiet for over a week");
}

// Feedback and reopening after a closing (issue 15.2): written with no network, sent by the flush
// under their own keys exactly once, in order, through failures and a dropped flush.

const DAY: i64 = 24 * 3600 * SECOND;

/// A request closed `days_ago` (on the phone's clock), with its history as our server gives it.
fn closed_remote(id: &str, days_ago: i64) -> RemoteRequest {
    let at = |ms: i64| crate::clock::rfc3339(ms);
    let closed = START - days_ago * DAY;
    let entry = |uid: &str, status: &str, detailed: &str, when: i64| RemoteUpdate {
        update_id: uid.into(),
        status: status.into(),
        detailed_status: Some(detailed.into()),
        description: detailed.into(),
        media_url: None,
        updated_datetime: at(when),
    };
    RemoteRequest {
        id: id.into(),
        status: "closed".into(),
        detailed_status: Some("fixed".into()),
        status_notes: None,
        updated_datetime: Some(at(closed + 60 * SECOND)),
        expected_datetime: None,
        followers: None,
        updates: vec![
            entry(&format!("{id}-1"), "open", "received", closed - 3 * DAY),
            entry(&format!("{id}-2"), "closed", "fixed", closed),
            // A reply after the closing does not move it.
            entry(&format!("{id}-3"), "closed", "fixed", closed + 60 * SECOND),
        ],
    }
}

impl Phone {
    /// A complaint sent, then closed by the municipality `days_ago`, as the phone learnt on a
    /// refresh.
    async fn closed_complaint(&self, description: &str, days_ago: i64) -> String {
        let id = self.file(description, &[]);
        let sent = self.flush(false).await;
        let server_id = sent.sent.iter().find(|c| c.local_id == id).and_then(|c| c.server_id.clone());
        let server_id = server_id.expect("sent with an id");
        self.server.state().remote.insert(server_id.clone(), closed_remote(&server_id, days_ago));
        self.refresh().await;
        self.heard();
        id
    }

    /// The complaint as the service reads it (`own`: our own server).
    fn decorated(&self, local_id: &str, own: bool) -> super::Complaint {
        let now = self.clock.now_ms();
        self.store
            .read(|c| {
                let mut x = outbox::get(c, local_id)?;
                let rows = followup::rows(c, local_id)?;
                followup::decorate(&mut x, &rows, now, own);
                Ok(x)
            })
            .expect("the complaint is stored")
    }

    fn feedback(&self, local_id: &str, rating: u8) -> Result<()> {
        self.feedback_to(local_id, rating, true)
    }

    /// Feedback as the service writes it, to our own server or another city's.
    fn feedback_to(&self, local_id: &str, rating: u8, own: bool) -> Result<()> {
        let c = self.decorated(local_id, own);
        let now = self.clock.now_ms();
        let draft = FeedbackDraft { resolved: rating >= 3, rating, comment: Some(" شكراً ".into()) };
        self.store.write(|tx| followup::insert_feedback(tx, &c, &draft, now))
    }

    fn reopen(&self, local_id: &str, reason: &str) -> Result<()> {
        self.reopen_to(local_id, reason, true)
    }

    fn reopen_to(&self, local_id: &str, reason: &str, own: bool) -> Result<()> {
        let c = self.decorated(local_id, own);
        let now = self.clock.now_ms();
        self.store.write(|tx| followup::insert_reopen(tx, &c, reason, now))
    }

    fn taken(&self) -> Vec<String> {
        self.server.state().followups_taken.clone()
    }
}

#[tokio::test]
async fn feedback_and_reopening_are_offered_only_while_they_may_be_given() {
    // (closed how many days ago, None: still open; the server is ours; feedback offered; reopen offered)
    let table: &[(Option<i64>, bool, bool, bool)] = &[
        (None, true, false, false),     // still open: nothing to say yet
        (Some(0), true, true, true),    // just closed
        (Some(13), true, true, true),   // within the 14 days
        (Some(15), true, true, false),  // too late to reopen, still time to rate
        (Some(1), false, false, false), // another city's server takes neither
    ];
    for &(closed, own, feedback, reopen) in table {
        let phone = Phone::new();
        let id = match closed {
            Some(days) => phone.closed_complaint("a", days).await,
            None => {
                let id = phone.file("a", &[]);
                phone.flush(false).await;
                id
            }
        };
        let c = phone.decorated(&id, own);
        assert_eq!((c.can_give_feedback, c.can_reopen), (feedback, reopen), "closed {closed:?}, own {own}");
        if let Some(days) = closed.filter(|_| own) {
            let closed_at = START - days * DAY;
            assert_eq!(c.closed_datetime.as_deref(), Some(crate::clock::rfc3339(closed_at).as_str()));
            assert_eq!(c.reopen_until, Some(closed_at + followup::REOPEN_WINDOW_MS));
        }
        // What the service refuses matches what it offers.
        assert_eq!(phone.feedback_to(&id, 4, own).is_ok(), feedback, "closed {closed:?}");
        assert_eq!(phone.reopen_to(&id, "ما زال التسرب", own).is_ok(), reopen, "closed {closed:?}");
    }
}

#[tokio::test]
async fn what_is_refused_before_anything_is_written() {
    let phone = Phone::new();
    let id = phone.closed_complaint("a", 1).await;
    // (stars, reason, which field is refused)
    for (rating, reason, field) in [(0u8, "x", "rating"), (6, "x", "rating"), (3, "   ", "reason")] {
        let c = phone.decorated(&id, true);
        let now = phone.clock.now_ms();
        let refused = if field == "rating" {
            let draft = FeedbackDraft { resolved: true, rating, comment: None };
            phone.store.write(|tx| followup::insert_feedback(tx, &c, &draft, now))
        } else {
            phone.store.write(|tx| followup::insert_reopen(tx, &c, reason, now))
        };
        match refused {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a refusal of {field}, got {other:?}"),
        }
    }
    // Once given, feedback is not offered again for this closing; a reopening not either.
    phone.feedback(&id, 2).expect("feedback");
    assert!(phone.feedback(&id, 5).is_err(), "feedback twice");
    phone.reopen(&id, "لم يُصلح").expect("reopen");
    assert!(phone.reopen(&id, "again").is_err(), "reopen twice");
    let c = phone.decorated(&id, true);
    assert_eq!(
        c.feedback.as_ref().map(|f| (f.rating, f.resolved, f.comment.clone(), f.state)),
        Some((2, false, Some("شكراً".into()), FollowUpState::Queued))
    );
    assert_eq!(
        c.reopen.as_ref().map(|r| (r.reason.as_str(), r.state)),
        Some(("لم يُصلح", FollowUpState::Queued))
    );
    assert!(phone.taken().is_empty(), "nothing left the phone");
}

#[tokio::test]
async fn followups_are_sent_once_in_order_through_failures_refusals_and_a_dropped_flush() {
    // (the server's answers to the follow-ups' attempts, in order; what it holds in the end;
    // the follow-ups' states after the flushes)
    type Case = (&'static [Answer], usize, [FollowUpState; 2]);
    let table: &[Case] = &[
        (&[], 2, [FollowUpState::Sent, FollowUpState::Sent]),
        // Offline, then a timeout on the second attempt after the feedback arrived.
        (
            &[Answer::Fail(offline), Answer::Accept, Answer::Fail(timeout)],
            2,
            [FollowUpState::Sent, FollowUpState::Sent],
        ),
        // 503 and 429 keep it queued (retried under the same key).
        (
            &[Answer::Fail(unavailable), Answer::Fail(throttled)],
            2,
            [FollowUpState::Sent, FollowUpState::Sent],
        ),
        // The feedback refused (the server knew better), the reopening goes on.
        (
            &[Answer::Refuse("feedback: already given for this request")],
            1,
            [FollowUpState::Refused, FollowUpState::Sent],
        ),
        // Taken, then the flush was dropped before the answer (app killed): sent again, taken once.
        (&[Answer::AcceptThenHang], 2, [FollowUpState::Sent, FollowUpState::Sent]),
        (
            &[Answer::Accept, Answer::AcceptThenHang, Answer::Fail(broken)],
            2,
            [FollowUpState::Sent, FollowUpState::Sent],
        ),
    ];
    for (answers, held, states) in table {
        let phone = Phone::new();
        let id = phone.closed_complaint("a", 2).await;
        phone.feedback(&id, 1).expect("feedback");
        phone.reopen(&id, "ما زالت الحفرة").expect("reopen");
        phone.server.state().followup_script.extend(answers.iter().cloned());
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds < 10, "{answers:?} never settles");
            // Where the server takes one and never answers, the flush is dropped there (the app
            // killed before the answer came).
            let report = tokio::select! {
                r = phone.flush_until(true, None) => r.expect("the flush itself works"),
                _ = phone.server.1.notified() => continue,
            };
            if report.followups_remaining == 0 {
                break;
            }
            assert!(report.followups_retry_later.is_some(), "left queued only after a transient failure");
        }
        let (feedback, reopening): (Vec<String>, Vec<String>) =
            phone.taken().into_iter().partition(|t| t.starts_with("feedback"));
        assert_eq!(feedback.len() + reopening.len(), *held, "{answers:?}: each taken once");
        assert!(reopening.len() == 1 && reopening[0] == "reopen R1 reason=ما زالت الحفرة", "{reopening:?}");
        if *held == 2 {
            assert_eq!(feedback, ["feedback R1 resolved=false rating=1 comment=شكراً"]);
            // In the order written: the feedback reached the server before the reopening.
            let log = phone.server.log();
            let first_reopen = log.iter().position(|l| l.starts_with("reopen"));
            let last_feedback = log.iter().rposition(|l| l.starts_with("feedback"));
            assert!(last_feedback < first_reopen, "{log:?}");
        }
        let rows = phone.store.read(|c| followup::rows(c, &id)).expect("rows");
        assert_eq!([rows[0].state, rows[1].state], *states, "{answers:?}");
        // The reopened request is open again with its history, and the phone heard both.
        let c = phone.decorated(&id, true);
        assert_eq!((c.status.as_deref(), c.detailed_status.as_deref()), (Some("open"), Some("routed")));
        assert_eq!(c.updates.last().map(|u| u.update_id.as_str()), Some("R1-reopen"));
        assert!(!c.can_give_feedback && !c.can_reopen && c.closed_datetime.is_none());
        let heard = phone.heard();
        assert!(heard
            .contains(&ComplaintEvent::FollowUpSent { local_id: id.clone(), kind: FollowUpKind::Reopen }));
        assert!(heard
            .iter()
            .any(|e| matches!(e, ComplaintEvent::Updated { update, .. } if update.update_id == "R1-reopen")));
    }
}

#[tokio::test]
async fn a_followup_waiting_for_its_retry_holds_back_those_behind_it_until_due() {
    let phone = Phone::new();
    let a = phone.closed_complaint("a", 1).await;
    let b = phone.closed_complaint("b", 1).await;
    phone.feedback(&a, 5).expect("feedback a");
    phone.feedback(&b, 4).expect("feedback b");
    phone.server.state().followup_script.push_back(Answer::Fail(unavailable));
    let report = phone.flush(false).await;
    let retry = report.followups_retry_later.expect("a retry scheduled");
    assert_eq!((retry.local_id.as_str(), report.followups_remaining), (a.as_str(), 2));
    // Not due: nothing goes, b waits behind a.
    assert_eq!(phone.flush(false).await.followups_sent.len(), 0);
    phone.clock.set(retry.next_attempt_at);
    let report = phone.flush(false).await;
    let sent: Vec<&str> = report.followups_sent.iter().map(|f| f.local_id.as_str()).collect();
    assert_eq!(sent, [a.as_str(), b.as_str()]);
    assert_eq!(phone.decorated(&b, true).feedback.map(|f| f.state), Some(FollowUpState::Sent));
}
