//! `client.session()` and `client.user()`: the cached state, subscriptions and the calls that
//! change them.

use super::*;

/// The session: `client.session()`.
pub struct SessionApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl SessionApi<'_> {
    /// The cached session, without a request. Never blocks on the network.
    pub fn get_sync(&self) -> Option<Session> {
        self.c
            .inner
            .state
            .lock()
            .expect("state poisoned")
            .persisted
            .session
            .clone()
    }

    /// The cached session and whether it is still unconfirmed since start.
    pub fn get_info(&self) -> SessionInfo {
        let st = self.c.inner.state.lock().expect("state poisoned");
        SessionInfo {
            session: st.persisted.session.clone(),
            from_cache: st.from_cache,
        }
    }

    /// Calls `f` whenever the session changes (login, extension, refresh with news, logout,
    /// "gone"), not for a refresh that only moves `last_accessed_at`. Dropping the returned
    /// subscription unsubscribes.
    pub fn on_change(&self, f: impl Fn(Option<&Session>) + Send + Sync + 'static) -> Subscription {
        self.c.subscribe(|l, id| {
            l.session.insert(id, Arc::new(f));
        })
    }

    /// The session as a `watch` channel (await `changed()`, or wrap in a stream).
    pub fn watch(&self) -> watch::Receiver<Option<Session>> {
        self.c.inner.session_tx.subscribe()
    }

    /// Checks the session with the server and gets a fresh JWT; with `minutes`, extends it to
    /// that many minutes from now. Concurrent calls are sent one at a time. A "session gone"
    /// answer clears the state and notifies.
    pub async fn authenticate(
        &self,
        session_duration_minutes: Option<u32>,
    ) -> Result<Session, ClientError> {
        Ok(self.c.refresh(session_duration_minutes).await?.session)
    }

    /// The signed-in user's live sessions, newest first, each with its device and browser
    /// (`GET /sdk/v1/sessions`, a Tessera extension): for a "your devices" page.
    pub async fn devices(&self) -> Result<Vec<tessera_proto::events::Device>, ClientError> {
        let r: tessera_proto::events::DevicesResponse =
            self.c.call(Method::GET, "sessions", None::<&()>).await?;
        Ok(r.sessions)
    }

    /// Logs out every other session of the signed-in user, keeping this one; how many ended
    /// (`POST /sdk/v1/sessions/revoke_others`, a Tessera extension).
    pub async fn revoke_others(&self) -> Result<u64, ClientError> {
        let r: tessera_proto::events::RevokeOthersResponse = self
            .c
            .call(Method::POST, "sessions/revoke_others", None::<&()>)
            .await?;
        Ok(r.revoked)
    }

    /// Logs out. On success (or when the server says the session is already gone) the state is
    /// cleared and subscribers are told; on a network error it is kept.
    pub async fn revoke(&self) -> Result<(), ClientError> {
        let _one = self.c.inner.requests.lock().await;
        if self.c.token().is_none() {
            self.c.clear();
            return Ok(());
        }
        self.c.inner.requests_sent.fetch_add(1, Ordering::Relaxed);
        match self
            .c
            .call::<wire::Empty>(Method::POST, "sessions/revoke", None::<&()>)
            .await
        {
            Ok(_) => {
                self.c.clear();
                Ok(())
            }
            Err(e) => {
                if is_unrecoverable(&e) {
                    self.c.clear();
                }
                Err(e)
            }
        }
    }

    /// Adopts tokens obtained elsewhere (e.g. a session created through the backend API); no
    /// request is made: call [`authenticate`](Self::authenticate) next.
    pub fn update_session(&self, session_token: &str, session_jwt: &str) {
        let mut st = self.c.inner.state.lock().expect("state poisoned");
        st.persisted.session_token = Some(session_token.to_owned());
        st.persisted.session_jwt = Some(session_jwt.to_owned());
        let _ = self.c.inner.storage.save(&st.persisted);
    }

    /// The current tokens, if any.
    pub fn get_tokens(&self) -> Option<Tokens> {
        let st = self.c.inner.state.lock().expect("state poisoned");
        Some(Tokens {
            session_token: st.persisted.session_token.clone()?,
            session_jwt: st.persisted.session_jwt.clone()?,
        })
    }
}

/// The user: `client.user()`.
pub struct UserApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl UserApi<'_> {
    /// The cached user, without a request.
    pub fn get_sync(&self) -> Option<User> {
        self.c
            .inner
            .state
            .lock()
            .expect("state poisoned")
            .persisted
            .user
            .clone()
    }

    /// The cached user and whether it is still unconfirmed since start.
    pub fn get_info(&self) -> UserInfo {
        let st = self.c.inner.state.lock().expect("state poisoned");
        UserInfo {
            user: st.persisted.user.clone(),
            from_cache: st.from_cache,
        }
    }

    /// Calls `f` whenever the user changes; dropping the subscription unsubscribes.
    pub fn on_change(&self, f: impl Fn(Option<&User>) + Send + Sync + 'static) -> Subscription {
        self.c.subscribe(|l, id| {
            l.user.insert(id, Arc::new(f));
        })
    }

    /// The user as a `watch` channel.
    pub fn watch(&self) -> watch::Receiver<Option<User>> {
        self.c.inner.user_tx.subscribe()
    }

    /// Reads the user from the server (`GET /sdk/v1/users/me`) and caches it.
    pub async fn get(&self) -> Result<User, ClientError> {
        let me: wire::MeResponse = self.c.call(Method::GET, "users/me", None::<&()>).await?;
        self.c.set_user(me.user.clone());
        Ok(me.user)
    }
}
