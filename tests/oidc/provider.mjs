// A real OpenID Connect provider on 127.0.0.1 for Staffroom's sign-in tests.
//
//   node tests/oidc/provider.mjs '<json>'   (or the JSON in OIDC_PROVIDER_CONFIG)
//
// JSON: {kind, port, client_id, client_secret, redirect_uris, tenant_id?, users: [...]}
//   kind "entra":   emulate's Microsoft Entra ID service; tenant issuers, tid/oid in the ID token.
//   kind "google":  emulate's Google service; hd in the ID token for Workspace users.
//   kind "generic": panva's oidc-provider with its own login and consent forms.
// Prints one JSON line {"ready": true, "issuer": ...} once started; callers still wait for discovery.
import crypto from 'node:crypto';
import net from 'node:net';

// Each kind imports only its own package, so startup stays quick and warnings stay relevant.
const HOST = '127.0.0.1';
const config = JSON.parse(process.argv[2] ?? process.env.OIDC_PROVIDER_CONFIG ?? '');
const { kind, port, users } = config;
const base = `http://${HOST}:${port}`;
const client = {
  client_id: config.client_id,
  client_secret: config.client_secret,
  redirect_uris: config.redirect_uris,
  name: 'Staffroom',
};

async function startEmulator(service, seed) {
  const { createEmulator } = await import('emulate');
  // emulate listens on every interface and has no host option; keep the test provider local.
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listenLocally(p, host, ...rest) {
    return listen.call(this, p, host ?? HOST, ...rest);
  };
  try {
    return await createEmulator({ service, port, baseUrl: base, seed: { [service]: seed } });
  } finally {
    net.Server.prototype.listen = listen;
  }
}

async function startEntra() {
  await startEmulator('microsoft', {
    users: users.map((u) => ({ email: u.email, name: u.name, tenant_id: u.tenant_id ?? config.tenant_id })),
    oauth_clients: [{ ...client, tenant_id: config.tenant_id }],
  });
  return `${base}/${config.tenant_id}/v2.0`;
}

async function startGoogle() {
  // hd is passed explicitly (null for consumer accounts) so emulate never guesses it.
  await startEmulator('google', {
    users: users.map((u) => ({ email: u.email, name: u.name, hd: u.hd ?? null })),
    oauth_clients: [client],
  });
  return base;
}

async function startGeneric() {
  const { default: Provider } = await import('oidc-provider');
  const accounts = new Map(users.map((u) => [u.email, u]));
  const extraClaims = [...new Set(users.flatMap((u) => Object.keys(u.claims ?? {})))];
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(base, {
    clients: [{
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      client_name: client.name,
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'staffroom-test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: { openid: ['sub', ...extraClaims], email: ['email', 'email_verified'], profile: ['name'] },
    // Entra and Google put profile claims in the ID token of a code flow; so do we.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const user = accounts.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        // Extra claims (tid, oid, hd...) go in the ID token only, as Entra does with tid/oid.
        claims: (use) => ({
          sub: id,
          email: user.email,
          email_verified: true,
          name: user.name,
          ...(use === 'id_token' ? user.claims : {}),
        }),
      };
    },
  });
  await new Promise((resolve, reject) => {
    const server = provider.listen(port, HOST, resolve);
    server.on('error', reject);
  });
  return base;
}

const starters = { entra: startEntra, google: startGoogle, generic: startGeneric };
if (!starters[kind]) throw new Error(`Unknown provider kind: ${kind}`);
const issuer = await starters[kind]();
console.log(JSON.stringify({ ready: true, kind, issuer, discovery_url: `${issuer}/.well-known/openid-configuration` }));
