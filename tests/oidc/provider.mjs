// A real OpenID Connect provider for the sign-in tests: the certified `oidc-provider` package
// with a login page, the clients and accounts the test passes, and a `groups` claim.
//
//   node tests/oidc/provider.mjs config.json
//
// config.json: {"port": 21510, "clients": [{client_id, client_secret, redirect_uris,
// post_logout_redirect_uris}], "accounts": {"alice": {"password", "email", "name",
// "groups": [...]}}, "clock_offset_seconds": 0, "access_token_ttl": 600, "api_audience": "..."}
//
// `clock_offset_seconds` runs the provider's clock behind (negative) or ahead: tokens it issues
// are then expired (or not yet valid) for the relying party, as with a misconfigured server.
// Access tokens for `api_audience` are JWTs (RFC 9068), carrying preferred_username and groups.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

if (config.clock_offset_seconds) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + config.clock_offset_seconds * 1000;
}

const accountClaims = (id) => {
  const account = config.accounts[id];
  return {
    sub: id,
    preferred_username: id,
    email: account.email,
    email_verified: true,
    name: account.name,
    given_name: account.name.split(' ')[0],
    family_name: account.name.split(' ').slice(1).join(' '),
    groups: account.groups || [],
  };
};

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...client,
  })),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  // The ID token carries the claims too (Keycloak's default), not only the userinfo endpoint.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['llmhub-test-provider-cookie-key'] },
  ttl: {
    AccessToken: config.access_token_ttl || 600,
    AuthorizationCode: 60,
    IdToken: 600,
    // An hour: cookies keep a future expiry when `clock_offset_seconds` runs the clock behind.
    Interaction: 3600,
    Session: 3600,
    Grant: 3600,
  },
  async findAccount(ctx, id) {
    if (!config.accounts[id]) return undefined;
    return { accountId: id, claims: async () => accountClaims(id) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party clients: no consent screen, every requested scope granted.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    if (config.api_audience) grant.addResourceScope(config.api_audience, 'llmhub:read llmhub:write');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: Boolean(config.api_audience),
      // Only a client that asks (`resource=`) gets an API token; the site's sign-in gets the
      // usual one, which the userinfo endpoint accepts.
      defaultResource: () => undefined,
      getResourceServerInfo: () => ({
        scope: 'llmhub:read llmhub:write',
        audience: config.api_audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: config.access_token_ttl || 600,
      }),
    },
  },
  async extraTokenClaims(ctx, token) {
    const account = token.accountId && config.accounts[token.accountId];
    return account ? { preferred_username: token.accountId, groups: account.groups || [] } : {};
  },
});

const page = (title, body) =>
  `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const escape = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

const loginForm = (uid, error) =>
  page(
    'Test provider sign-in',
    `${error ? `<p class="error">${escape(error)}</p>` : ''}
    <form method="post" action="/interaction/${uid}/login">
      <label>Username <input name="username" autocomplete="username"></label>
      <label>Password <input name="password" type="password"></label>
      <button type="submit">Sign in</button>
    </form>`,
  );

const readForm = (req) =>
  new Promise((resolve) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => resolve(new URLSearchParams(raw)));
  });

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    // loadExistingGrant grants everything; a consent prompt here is only a formality.
    return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = config.accounts[form.get('username')];
    if (!account || account.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(loginForm(uid, 'Wrong username or password.'));
    }
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: form.get('username') } },
      { mergeWithLastSubmission: false },
    );
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  return res.end(loginForm(uid));
}

const handle = provider.callback();
createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([^/?]+)(?:\/(login))?/);
  if (!match) return handle(req, res);
  try {
    return await interaction(req, res, match[1], match[2]);
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/html' });
    return res.end(page('Sign-in error', `<p>${escape(error.message)}</p>`));
  }
}).listen(config.port, '127.0.0.1', () => {
  console.log(`oidc test provider listening on ${issuer}`);
});
