//! A headless session client for Rust apps (desktop, CLI, Tauri, Dioxus): what browser apps get
//! from Stytch's frontend SDK, over Tessera's frontend API (`/sdk/v1`, public token).
//!
//! It caches the session and user ([`SessionApi::get_sync`]), tells subscribers when they change
//! ([`SessionApi::on_change`], [`SessionApi::watch`]), keeps the session fresh with a background
//! refresh (every 3 minutes by default, as the browser SDK), clears everything when the server
//! says the session is gone, keeps the cached session and retries with backoff when the server
//! cannot be reached, and persists its state ([`MemoryStorage`], [`FileStorage`]) so that a
//! restart resumes the session.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tessera_client::ClientError> {
//! use tessera_client::headless::{FileStorage, HeadlessClient};
//!
//! let client = HeadlessClient::builder("http://127.0.0.1:4000", "public-token-test-…")
//!     .storage(FileStorage::new("session.json"))
//!     .build()?;
//! let _guard = client.session().on_change(|s| println!("session: {:?}", s.map(|s| &s.session_id)));
//! let sent = client.otps().email_login_or_create("ada@example.com", 5).await?;
//! client.otps().authenticate("123456", &sent.method_id, 60).await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_proto::ErrorResponse;
use tessera_proto::sdk::{self as wire, Data};
use tessera_proto::sessions::Session;
use tessera_proto::users::User;
use tokio::sync::watch;

use crate::ClientError;

/// Passwords and authenticator apps.
mod credentials;
/// Logins by passcode and magic link.
mod factors;
/// WebAuthn and crypto wallets.
mod keys;
/// OAuth (a loopback redirect for CLI and desktop apps) and impersonation.
mod oauth;
/// The session and the user.
mod session_api;
/// Persistence of the client's state.
mod storage;

pub use credentials::{PasswordsApi, TotpEnrolment, TotpsApi};
pub use factors::{CodeSent, MagicLinksApi, OtpsApi};
pub use keys::{CryptoWalletsApi, WebAuthnApi};
pub use oauth::{ImpersonationApi, OAuthApi, OAuthLogin};
pub use session_api::{SessionApi, UserApi};

pub use storage::{FileStorage, MemoryStorage, Persisted, Storage};

/// The browser SDK's refresh interval.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(180);
/// The first retry delay after a failed refresh; it doubles up to [`MAX_RETRY_DELAY`].
pub const FIRST_RETRY_DELAY: Duration = Duration::from_secs(4);
/// The longest retry delay.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(256);

/// Error types after which a session is gone for good: the client clears its state.
const UNRECOVERABLE: [&str; 4] = [
    "unauthorized_credentials",
    "user_unauthenticated",
    "invalid_secret_authentication",
    "session_not_found",
];

/// Whether an error means the session is gone (rather than unreachable for now).
pub fn is_unrecoverable(e: &ClientError) -> bool {
    e.error_type().is_some_and(|t| UNRECOVERABLE.contains(&t))
}

/// The session with the flag telling whether it was confirmed by the server since start.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    /// The cached session.
    pub session: Option<Session>,
    /// True until the server confirmed (or refused) the state loaded from storage.
    pub from_cache: bool,
}

/// The user with the same flag.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInfo {
    /// The cached user.
    pub user: Option<User>,
    /// True until the server confirmed (or refused) the state loaded from storage.
    pub from_cache: bool,
}

/// The session's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The opaque session token.
    pub session_token: String,
    /// The latest session JWT.
    pub session_jwt: String,
}

type SessionListener = Arc<dyn Fn(Option<&Session>) + Send + Sync>;
type UserListener = Arc<dyn Fn(Option<&User>) + Send + Sync>;

#[derive(Default)]
struct Listeners {
    next: u64,
    session: HashMap<u64, SessionListener>,
    user: HashMap<u64, UserListener>,
}

/// Unsubscribes its listener when dropped.
#[must_use = "the listener is removed when the subscription is dropped"]
pub struct Subscription {
    inner: Weak<Inner>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            let mut l = inner.listeners.lock().expect("listeners poisoned");
            l.session.remove(&self.id);
            l.user.remove(&self.id);
        }
    }
}

struct State {
    persisted: Persisted,
    from_cache: bool,
}

struct Inner {
    http: reqwest::Client,
    base: url::Url,
    public_token: String,
    state: Mutex<State>,
    session_tx: watch::Sender<Option<Session>>,
    user_tx: watch::Sender<Option<User>>,
    listeners: Mutex<Listeners>,
    storage: Box<dyn Storage>,
    /// One session request at a time, whoever asks.
    requests: tokio::sync::Mutex<()>,
    requests_sent: AtomicU64,
    refresh_interval: Duration,
    first_retry: Duration,
    refresher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(h) = self.refresher.get_mut().ok().and_then(Option::take) {
            h.abort();
        }
    }
}

/// Options for [`HeadlessClient::builder`].
pub struct HeadlessBuilder {
    base_url: String,
    public_token: String,
    storage: Box<dyn Storage>,
    refresh_interval: Duration,
    first_retry: Duration,
    timeout: Duration,
    root_certificates: Vec<Vec<u8>>,
}

impl HeadlessBuilder {
    /// Where the state is kept between runs (default: memory only).
    pub fn storage(mut self, storage: impl Storage + 'static) -> Self {
        self.storage = Box::new(storage);
        self
    }

    /// How often the session is refreshed in the background (default 3 minutes).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// The first retry delay after a refresh failed for lack of a server (default 4 s; it
    /// doubles up to 256 s).
    pub fn first_retry_delay(mut self, delay: Duration) -> Self {
        self.first_retry = delay;
        self
    }

    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts an extra root certificate (PEM).
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.root_certificates.push(pem.to_vec());
        self
    }

    /// Builds the client and loads the stored state. Must run inside a tokio runtime: when a
    /// session was stored, it is confirmed with the server at once, in the background.
    pub fn build(self) -> Result<HeadlessClient, ClientError> {
        let base = crate::parse_base_url(&self.base_url)?;
        let http = crate::http_client(
            self.timeout,
            concat!("tessera-client-headless/", env!("CARGO_PKG_VERSION")),
            &self.root_certificates,
        )?;
        let persisted = self.storage.load().unwrap_or_default();
        let has_session = persisted.session_token.is_some();
        let inner = Arc::new(Inner {
            http,
            base,
            public_token: self.public_token,
            session_tx: watch::Sender::new(persisted.session.clone()),
            user_tx: watch::Sender::new(persisted.user.clone()),
            state: Mutex::new(State {
                persisted,
                from_cache: true,
            }),
            listeners: Mutex::default(),
            storage: self.storage,
            requests: tokio::sync::Mutex::new(()),
            requests_sent: AtomicU64::new(0),
            refresh_interval: self.refresh_interval,
            first_retry: self.first_retry,
            refresher: Mutex::new(None),
        });
        let client = HeadlessClient { inner };
        if has_session {
            client.start_refresher(true);
        } else {
            client
                .inner
                .state
                .lock()
                .expect("state poisoned")
                .from_cache = false;
        }
        Ok(client)
    }
}

/// The headless session client. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct HeadlessClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HeadlessClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadlessClient")
            .field("base", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl HeadlessClient {
    /// A client for the project with this public token.
    pub fn builder(base_url: &str, public_token: &str) -> HeadlessBuilder {
        HeadlessBuilder {
            base_url: base_url.to_owned(),
            public_token: public_token.to_owned(),
            storage: Box::new(MemoryStorage::default()),
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            first_retry: FIRST_RETRY_DELAY,
            timeout: Duration::from_secs(30),
            root_certificates: Vec::new(),
        }
    }

    /// The session.
    pub fn session(&self) -> SessionApi<'_> {
        SessionApi { c: self }
    }

    /// The user.
    pub fn user(&self) -> UserApi<'_> {
        UserApi { c: self }
    }

    /// Email magic links (with PKCE).
    pub fn magic_links(&self) -> MagicLinksApi<'_> {
        MagicLinksApi { c: self }
    }

    /// One-time passcodes.
    pub fn otps(&self) -> OtpsApi<'_> {
        OtpsApi { c: self }
    }

    /// OAuth logins (a loopback redirect for CLI and desktop apps).
    pub fn oauth(&self) -> OAuthApi<'_> {
        OAuthApi { c: self }
    }

    /// Impersonation tokens.
    pub fn impersonation(&self) -> ImpersonationApi<'_> {
        ImpersonationApi { c: self }
    }

    /// Passwords: sign-up, login, strength, resets.
    pub fn passwords(&self) -> PasswordsApi<'_> {
        PasswordsApi { c: self }
    }

    /// Authenticator apps (TOTP) and recovery codes.
    pub fn totps(&self) -> TotpsApi<'_> {
        TotpsApi { c: self }
    }

    /// How many session requests (refreshes, extensions, logouts) this client has sent.
    pub fn session_requests_sent(&self) -> u64 {
        self.inner.requests_sent.load(Ordering::Relaxed)
    }

    /// Registers a listener under a fresh id; the subscription removes it when dropped.
    fn subscribe(&self, add: impl FnOnce(&mut Listeners, u64)) -> Subscription {
        let mut l = self.inner.listeners.lock().expect("listeners poisoned");
        l.next += 1;
        let id = l.next;
        add(&mut l, id);
        Subscription {
            inner: Arc::downgrade(&self.inner),
            id,
        }
    }

    fn token(&self) -> Option<String> {
        self.inner
            .state
            .lock()
            .expect("state poisoned")
            .persisted
            .session_token
            .clone()
    }

    /// A `/sdk/v1` call with Basic `public_token:(session_token | public_token)`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        let inner = &self.inner;
        let mut url = inner.base.clone();
        url.set_path(&format!("/sdk/v1/{path}"));
        let secret = self.token().unwrap_or_else(|| inner.public_token.clone());
        let basic = STANDARD.encode(format!("{}:{secret}", inner.public_token));
        let mut req = inner
            .http
            .request(method, url)
            .header("authorization", format!("Basic {basic}"));
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        if status.is_success() {
            serde_json::from_slice::<Data<T>>(&bytes)
                .map(|d| d.data)
                .map_err(|e| ClientError::Decode {
                    status: status.as_u16(),
                    message: e.to_string(),
                })
        } else {
            Err(match serde_json::from_slice::<ErrorResponse>(&bytes) {
                Ok(e) => ClientError::Api(Box::new(e)),
                Err(e) => ClientError::Decode {
                    status: status.as_u16(),
                    message: e.to_string(),
                },
            })
        }
    }

    /// Applies a successful authenticate answer: tokens, session, user; notifies; persists;
    /// makes sure the background refresh runs.
    fn apply(&self, r: &wire::AuthenticateResponse) {
        let (session_changed, user_changed) = {
            let mut st = self.inner.state.lock().expect("state poisoned");
            let first = st.from_cache;
            st.from_cache = false;
            let p = &mut st.persisted;
            let session_changed = first || !same_session(p.session.as_ref(), Some(&r.session));
            let user_changed = first || p.user.as_ref() != Some(&r.user);
            p.session_token = Some(r.session_token.clone());
            p.session_jwt = Some(r.session_jwt.clone());
            p.session = Some(r.session.clone());
            p.user = Some(r.user.clone());
            let _ = self.inner.storage.save(p);
            (session_changed, user_changed)
        };
        self.notify(session_changed, user_changed);
        self.start_refresher(false);
    }

    /// Makes a PKCE pair, keeps its verifier (in the storage too, so a restart can finish the
    /// flow) and returns the challenge to send.
    fn new_pkce_challenge(&self) -> String {
        let verifier = storage::random_verifier();
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        let mut st = self.inner.state.lock().expect("state poisoned");
        st.persisted.pkce_verifier = Some(verifier);
        let _ = self.inner.storage.save(&st.persisted);
        challenge
    }

    /// The kept PKCE verifier, if a flow is under way.
    fn pkce_verifier(&self) -> Option<String> {
        let st = self.inner.state.lock().expect("state poisoned");
        st.persisted.pkce_verifier.clone()
    }

    /// Forgets the PKCE verifier once its flow succeeded.
    fn forget_pkce(&self) {
        self.inner
            .state
            .lock()
            .expect("state poisoned")
            .persisted
            .pkce_verifier = None;
    }

    /// Caches a user the server sent (persisted); notifies when it changed.
    fn set_user(&self, user: User) {
        let changed = {
            let mut st = self.inner.state.lock().expect("state poisoned");
            let changed = st.persisted.user.as_ref() != Some(&user);
            st.persisted.user = Some(user);
            let _ = self.inner.storage.save(&st.persisted);
            changed
        };
        self.notify(false, changed);
    }

    /// Forgets the session: state, storage, refresh; notifies.
    fn clear(&self) {
        let changed = {
            let mut st = self.inner.state.lock().expect("state poisoned");
            let changed =
                st.from_cache || st.persisted.session.is_some() || st.persisted.user.is_some();
            st.from_cache = false;
            st.persisted = Persisted::default();
            let _ = self.inner.storage.clear();
            changed
        };
        if let Some(h) = self
            .inner
            .refresher
            .lock()
            .expect("refresher poisoned")
            .take()
        {
            h.abort();
        }
        self.notify(changed, changed);
    }

    fn notify(&self, session: bool, user: bool) {
        let (s, u) = {
            let st = self.inner.state.lock().expect("state poisoned");
            (st.persisted.session.clone(), st.persisted.user.clone())
        };
        if session {
            self.inner.session_tx.send_replace(s.clone());
        }
        if user {
            self.inner.user_tx.send_replace(u.clone());
        }
        // Listeners run outside the lock, so they may subscribe or unsubscribe.
        let (sl, ul): (Vec<SessionListener>, Vec<UserListener>) = {
            let l = self.inner.listeners.lock().expect("listeners poisoned");
            (
                l.session.values().cloned().collect(),
                l.user.values().cloned().collect(),
            )
        };
        if session {
            for f in sl {
                f(s.as_ref());
            }
        }
        if user {
            for f in ul {
                f(u.as_ref());
            }
        }
    }

    /// `sessions/authenticate`, one request at a time; a "gone" answer clears the state.
    async fn refresh(
        &self,
        minutes: Option<u32>,
    ) -> Result<wire::AuthenticateResponse, ClientError> {
        let _one = self.inner.requests.lock().await;
        if self.token().is_none() {
            self.clear();
            return Err(no_session());
        }
        self.inner.requests_sent.fetch_add(1, Ordering::Relaxed);
        let body = wire::SessionAuthenticateRequest {
            session_duration_minutes: minutes.map(i64::from),
        };
        match self
            .call::<wire::AuthenticateResponse>(Method::POST, "sessions/authenticate", Some(&body))
            .await
        {
            Ok(r) => {
                self.apply(&r);
                Ok(r)
            }
            Err(e) => {
                if is_unrecoverable(&e) {
                    self.clear();
                }
                Err(e)
            }
        }
    }

    /// Runs the background refresh while a session exists (`now`: refresh at once first).
    fn start_refresher(&self, now: bool) {
        let mut slot = self.inner.refresher.lock().expect("refresher poisoned");
        if slot.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let interval = self.inner.refresh_interval;
        let first_retry = self.inner.first_retry;
        *slot = Some(tokio::spawn(async move {
            let mut wait = if now { Duration::ZERO } else { interval };
            let mut failures = 0u32;
            loop {
                tokio::time::sleep(wait).await;
                let Some(inner) = weak.upgrade() else { return };
                let client = HeadlessClient { inner };
                match client.refresh(None).await {
                    Ok(_) => {
                        failures = 0;
                        wait = interval;
                    }
                    Err(e) if is_unrecoverable(&e) => return,
                    Err(_) => {
                        failures += 1;
                        wait = (first_retry * 2u32.saturating_pow(failures.min(7) - 1))
                            .min(MAX_RETRY_DELAY);
                    }
                }
            }
        }));
    }
}

fn no_session() -> ClientError {
    ClientError::Api(Box::new(ErrorResponse {
        status_code: 401,
        request_id: String::new(),
        error_type: "unauthorized_credentials".into(),
        error_message: "There is no session to authenticate.".into(),
        error_url: String::new(),
        error_details: None,
    }))
}

/// Equal but for `last_accessed_at`, which every refresh moves (as the browser SDK compares).
fn same_session(a: Option<&Session>, b: Option<&Session>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut b = b.clone();
            b.last_accessed_at.clone_from(&a.last_accessed_at);
            *a == b
        }
        (None, None) => true,
        _ => false,
    }
}
