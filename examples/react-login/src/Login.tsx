import { useTessera } from '@tessera/react';
import { useState, type CSSProperties, type FormEvent } from 'react';
import { describeError } from './errors';

/** Where the code went: the address typed and the `method_id` to authenticate the code against. */
interface Sent {
  email: string;
  methodId: string;
}

export function Login() {
  const tessera = useTessera();
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<Sent | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  // Screen 1: send a code (the user is created on first login).
  const sendCode = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const { method_id } = await tessera.otps.email.loginOrCreate(email, { expiration_minutes: 10 });
      setSent({ email, methodId: method_id });
      setCode('');
    });
  };

  // Screen 2: check it. On success the provider re-renders <App> with the new session.
  const checkCode = (e: FormEvent) => {
    e.preventDefault();
    if (!sent) return;
    void run(async () => {
      await tessera.otps.authenticate(code.trim(), sent.methodId, { session_duration_minutes: 60 });
    });
  };

  if (!sent) {
    return (
      <form onSubmit={sendCode}>
        <p>Log in or sign up with a one-time code sent to your email.</p>
        <label htmlFor="email" style={label}>Email</label>
        <input id="email" type="email" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} style={input} placeholder="ada@example.com" />
        <button type="submit" disabled={busy} style={button}>{busy ? 'Sending…' : 'Send code'}</button>
        {error && <p role="alert" style={alert}>{error}</p>}
      </form>
    );
  }

  return (
    <form onSubmit={checkCode}>
      <p>
        We sent a 6-digit code to <strong>{sent.email}</strong>. Without SMTP, Tessera prints it in the terminal running <code>./run</code>.
      </p>
      <label htmlFor="code" style={label}>Code</label>
      <input id="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required autoFocus value={code} onChange={(e) => setCode(e.target.value)} style={input} placeholder="123456" />
      <button type="submit" disabled={busy} style={button}>{busy ? 'Checking…' : 'Log in'}</button>
      <button type="button" disabled={busy} style={linkButton} onClick={() => (setSent(null), setError(null))}>
        Use another email
      </button>
      {error && <p role="alert" style={alert}>{error}</p>}
    </form>
  );
}

const label: CSSProperties = { display: 'block', fontWeight: 600, marginBottom: 4 };
const input: CSSProperties = { display: 'block', width: '100%', boxSizing: 'border-box', padding: 8, fontSize: 16, marginBottom: 12 };
const button: CSSProperties = { padding: '8px 16px', fontSize: 16, cursor: 'pointer' };
const linkButton: CSSProperties = { ...button, background: 'none', border: 'none', textDecoration: 'underline' };
const alert: CSSProperties = { color: '#b00020' };
