import { useTessera, useTesseraSession, useTesseraUser } from '@tessera/react';
import { useState, type CSSProperties } from 'react';
import { describeError } from './errors';

export function Profile() {
  const tessera = useTessera();
  const { session, fromCache } = useTesseraSession();
  const { user } = useTesseraUser();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!session) return null;

  // Revokes the session on the server and logs out every tab of this app.
  const logOut = async () => {
    setBusy(true);
    setError(null);
    try {
      await tessera.session.revoke();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };

  const email = user?.emails[0]?.email ?? '…';
  return (
    <div>
      <p>
        Logged in as <strong id="user-email">{email}</strong>
      </p>
      <dl style={grid}>
        <dt>user_id</dt>
        <dd id="user-id" style={mono}>{session.user_id}</dd>
        <dt>session_id</dt>
        <dd id="session-id" style={mono}>{session.session_id}</dd>
        <dt>started_at</dt>
        <dd id="started-at" style={mono}>{session.started_at}</dd>
        <dt>expires_at</dt>
        <dd id="expires-at" style={mono}>{session.expires_at}</dd>
        <dt>factors</dt>
        <dd id="factors" style={mono}>
          {session.authentication_factors.map((f, i) => (
            <div key={i}>
              {f.type} / {f.delivery_method}
              {f.email_factor && ` (${f.email_factor.email_address})`} at {f.last_authenticated_at}
            </div>
          ))}
        </dd>
        <dt>fromCache</dt>
        <dd id="from-cache" style={mono} title="true while the session comes from localStorage and the server has not confirmed it yet">
          {String(fromCache)}
        </dd>
      </dl>
      <button type="button" onClick={logOut} disabled={busy} style={{ padding: '8px 16px', fontSize: 16, cursor: 'pointer' }}>
        {busy ? 'Logging out…' : 'Log out'}
      </button>
      {error && <p role="alert" style={{ color: '#b00020' }}>{error}</p>}
    </div>
  );
}

const grid: CSSProperties = { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '6px 16px', margin: '0 0 20px' };
const mono: CSSProperties = { margin: 0, fontFamily: 'ui-monospace, monospace', fontSize: 13, wordBreak: 'break-all' };
