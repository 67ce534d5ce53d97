// The hosted login page with script on: the prebuilt login form (@tessera/js/ui, served as
// /login/ui.js) replaces the server-rendered one and offers every product the page has. A login
// goes back to the app as the server's forms do: in HttpOnly mode the session's cookies are set
// already, else the page posts its session to /login/handback, which ends it and redirects to
// the app with a single-use token. Without script, the server's forms work alone.
(function () {
  'use strict';
  var config = document.getElementById('tessera-hosted');
  if (!config || !window.Tessera) return;
  var c = JSON.parse(config.textContent);
  var client = new window.Tessera.TesseraClient(c.publicToken, { baseUrl: location.origin });

  function handBack() {
    if (c.cookieMode === 'httponly') {
      location.assign(c.redirectUrl);
      return;
    }
    var tokens = client.session.getTokens();
    var form = document.createElement('form');
    form.method = 'post';
    form.action = '/login/handback';
    var fields = {
      public_token: c.publicToken,
      redirect_url: c.redirectUrl,
      locale: c.lang,
      csrf: c.csrf,
      session_token: tokens ? tokens.session_token : '',
    };
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  var main = document.createElement('main');
  main.setAttribute('aria-labelledby', 'project');
  var title = document.createElement('h1');
  title.id = 'project';
  title.className = 'tsr-page-title';
  title.textContent = c.projectName;
  var slot = document.createElement('div');
  main.appendChild(title);
  main.appendChild(slot);
  document.querySelector('main').replaceWith(main);
  // A wallet shows only in a browser that has one (EIP-1193 `window.ethereum`).
  var products = (c.oauth.length ? ['oauth'] : [])
    .concat(c.passkeyDomain ? ['passkeys'] : [])
    .concat(['crypto', 'otp', 'passwords']);
  window.Tessera.mountLogin({
    client: client,
    element: slot,
    locale: c.lang,
    styles: c.logo ? { logo: { logoImageUrl: c.logo } } : {},
    config: {
      products: products,
      oauthOptions: {
        providers: c.oauth.map(function (p) { return { type: p }; }),
        loginRedirectURL: c.redirectUrl,
        signupRedirectURL: c.redirectUrl,
      },
      otpOptions: { methods: c.sms ? ['email', 'sms', 'whatsapp'] : ['email'] },
      passkeyOptions: { domain: c.passkeyDomain || undefined },
      sessionOptions: { sessionDurationMinutes: 60 },
    },
    callbacks: {
      onEvent: function (e) {
        if (e.type === 'AUTHENTICATE_FLOW_COMPLETE') handBack();
      },
    },
  });
})();
