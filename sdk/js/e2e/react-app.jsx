// The seed documents' React components, run through @tessera/react in Chromium by run.mjs.
// Each is the seed's code with only its import line changed from '@stytch/react', except for
// two typos of the seeds that would throw under any SDK, marked "seed fix".
import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { TesseraClient } from '@tessera/js';
import { StytchProvider, useStytch, useStytchSession, useStytchUser } from '@tessera/react';

// Seed: "Refresh session".
export const RefreshSession = () => {
  const stytch = useStytch();

  useEffect(() => {
    const refresh = () => {
      if (stytch.session.getSync()) {
        stytch.session.authenticate({
          session_duration_minutes: 60,
        });
      }
    };
    // Refresh session every 50 minutes
    let interval = setInterval(refresh, 3000000);
    return () => clearInterval(interval);
  }, [stytch]);

  return <></>;
};

// Seed: the MFA guard ("Get session"), with @stytch/react's hook shape ({ session }).
export const withMfaRequired = (Component) => (props) => {
  const { session } = useStytchSession();

  useEffect(() => {
    if (!session || session.authentication_factors.length < 2) {
      window.location.replace('/home');
    }
  }, [session]);

  // seed fix: the seed tests `.length` here, which hides the component once MFA is done.
  if (!session || session.authentication_factors.length < 2) {
    return null;
  }

  return <Component {...props} />;
};

// Seed: "Get tokens".
export const SendSessionTokensToBackend = () => {
  const stytchClient = useStytch();
  const { session } = useStytchSession();

  // this will update the sessionTokens everytime the session updates (on login, session refresh, MFA, etc)
  const sessionTokens = useMemo(() => {
    return stytchClient.session.getTokens();
  }, [session]);

  // This useEffect block will trigger anytime the sessionTokens change
  useEffect(() => {
    // eslint-disable-next-line no-extra-boolean-cast -- the seed's code, unchanged
    if (!!sessionTokens) {
      // seed fix: the seed logs `tokens.…`, an undefined name.
      console.log('session token', sessionTokens.session_token);
      console.log('session jwt', sessionTokens.session_jwt);
      // Do something with tokens
      window.sentToBackend.push(sessionTokens);
    }
  }, [sessionTokens]);

  return null;
};

// Seed: "Update session" (hydrate from the backend); the tokens come from the test's backend.
export const App = () => {
  const stytch = useStytch();
  const { user } = useStytchUser();

  useEffect(() => {
    if (user) {
      // redirect to logged in experience
      window.loggedInAs = user.user_id;
    }
  }, [user]);

  const authenticate = useCallback(() => {
    stytch.session.updateSession({
      session_token: window.backendTokens.session_token,
      session_jwt: window.backendTokens.session_jwt,
    });

    stytch.session.authenticate({ session_duration_minutes: 60 });
  }, [stytch]);

  return <button id="hydrate" onClick={authenticate}>Hydrate session</button>;
};

// The test's own view of what the hooks give, and a switch to mount the MFA-guarded page.
const Secret = () => <p id="secret">Only with two factors.</p>;
const Guarded = withMfaRequired(Secret);

const Status = () => {
  const session = useStytchSession();
  const user = useStytchUser();
  const [guarded, setGuarded] = useState(false);
  window.renders.push({
    session_id: session.session?.session_id ?? null,
    factors: session.session?.authentication_factors.length ?? 0,
    expires_at: session.session?.expires_at ?? null,
    isInitialized: session.isInitialized,
    fromCache: session.fromCache,
    user_id: user.user?.user_id ?? null,
  });
  return (
    <div>
      <button id="show-guarded" onClick={() => setGuarded(true)}>Guarded page</button>
      {guarded ? <Guarded /> : null}
    </div>
  );
};

window.renders = [];
window.sentToBackend = [];
const { publicToken, baseUrl } = window.TESSERA;
window.stytch = new TesseraClient(publicToken, { baseUrl });
createRoot(document.getElementById('root')).render(
  <StytchProvider stytch={window.stytch}>
    <RefreshSession />
    <SendSessionTokensToBackend />
    <App />
    <Status />
  </StytchProvider>,
);
