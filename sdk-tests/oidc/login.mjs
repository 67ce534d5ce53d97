// A headless "browser" for API tests: follows redirects, keeps cookies, fills the provider's login form.
// node login.mjs '<start_url>' '<login>' [--stop-at-callback '<prefix>'] [--provider '<issuer>'] [--cookie 'host=name=value']...
// node login.mjs --request '<url>' [--cookie 'host=name=value']...
const args = process.argv.slice(2);
const opts = { cookies: [], positional: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--stop-at-callback') opts.stopAt = args[++i];
  else if (a === '--provider') opts.provider = new URL(args[++i]).host;
  else if (a === '--request') opts.request = args[++i];
  else if (a === '--cookie') opts.cookies.push(args[++i]);
  else opts.positional.push(a);
}

const jar = {}; // host (with port) -> { name: value }
for (const c of opts.cookies) {
  const [host, name, ...rest] = c.split('=');
  (jar[host] ||= {})[name] = rest.join('=');
}

function storeCookies(url, res) {
  const host = new URL(url).host;
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const attr = Object.fromEntries(attrs.map((a) => {
      const [k, ...v] = a.trim().split('=');
      return [k.toLowerCase(), v.join('=')];
    }));
    const expired = ('max-age' in attr && Number(attr['max-age']) <= 0)
      || (attr.expires && Date.parse(attr.expires) < Date.now());
    if (expired || value === '') delete jar[host]?.[name];
    else (jar[host] ||= {})[name] = value;
  }
}

let last = { url: null, status: 0, location: null, body: null };
function finish(extra = {}, code = 0) {
  process.stdout.write(`${JSON.stringify({ ...last, ...extra, cookies: jar })}\n`);
  process.exit(code);
}

async function request(url, init = {}) {
  const cookies = Object.entries(jar[new URL(url).host] || {}).map(([k, v]) => `${k}=${v}`).join('; ');
  const headers = { ...(init.headers || {}), ...(cookies ? { cookie: cookies } : {}) };
  let res;
  try {
    res = await fetch(url, { ...init, headers, redirect: 'manual' });
  } catch (err) {
    last = { url, status: 0, location: null, body: null };
    finish({ error: String(err.cause?.message || err.message) }, 1);
  }
  storeCookies(url, res);
  const location = res.headers.get('location');
  const redirect = res.status >= 300 && res.status < 400 && location;
  const body = redirect ? null : await res.text();
  last = { url, status: res.status, location: redirect ? new URL(location, url).href : null, body: body?.slice(0, 2000) ?? null };
  return { ...last, fullBody: body };
}

// The provider's login page: a form with a `login` input. Returns [action, urlencoded body] or null.
function loginForm(url, html, login) {
  if (!html || !/<input[^>]*name="login"/i.test(html)) return null;
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[0])?.[1];
    const value = /value="([^"]*)"/i.exec(input[0])?.[1] ?? '';
    if (name && /type="hidden"/i.test(input[0])) fields.set(name, value);
  }
  fields.set('login', login);
  fields.set('password', 'any-password');
  return [new URL(form[1].replace(/&amp;/g, '&'), url).href, fields.toString()];
}

if (opts.request) {
  await request(opts.request);
  finish();
}

const [start, login] = opts.positional;
if (!start || !login) {
  console.error("usage: login.mjs '<start_url>' '<login>' [--stop-at-callback '<prefix>'] [--provider '<issuer>'] [--cookie 'host=name=value']...");
  process.exit(2);
}
const startHost = new URL(start).host;
// The provider's host: --provider, else the first other host sent an authorization request
// (a Location with client_id), else the host of the login form.
let providerHost = opts.provider;
let submitted = false;
let res = await request(start);
for (let hop = 0; hop < 20; hop++) {
  if (res.location) {
    if (opts.stopAt && res.location.startsWith(opts.stopAt)) finish();
    const host = new URL(res.location).host;
    if (host !== startHost && host !== providerHost) {
      // the app's redirect URL: do not request it
      if (providerHost || !new URL(res.location).searchParams.has('client_id')) finish();
      providerHost = host;
    }
    res = await request(res.location);
    continue;
  }
  const form = !submitted && loginForm(res.url, res.fullBody, login);
  if (!form) finish();
  submitted = true;
  providerHost ||= new URL(res.url).host;
  res = await request(form[0], {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form[1],
  });
}
finish({ error: 'too many redirects' }, 1);
