import { useTesseraSession } from '@tessera/react';
import type { CSSProperties, ReactNode } from 'react';
import { Login } from './Login';
import { Profile } from './Profile';

export function App() {
  // Re-renders on login, logout (in this tab or another one) and session refreshes.
  const { session } = useTesseraSession();
  return (
    <main style={{ maxWidth: 560, margin: '48px auto', padding: '0 16px' }}>
      <h1 style={{ fontSize: 22 }}>Tessera · React login example</h1>
      <Card>{session ? <Profile /> : <Login />}</Card>
    </main>
  );
}

const card: CSSProperties = { background: '#fff', borderRadius: 8, padding: 24, boxShadow: '0 1px 3px rgb(0 0 0 / 0.12)' };

const Card = ({ children }: { children: ReactNode }) => <section style={card}>{children}</section>;
