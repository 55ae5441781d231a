import type http from 'node:http';
import { z } from 'zod';
import type { AccountAdmin, AdminActor, AdminResult } from '../auth/admin.js';
import { tokenView, userView } from '../auth/admin.js';
import type { AccountStore } from '../auth/accounts.js';
import { allows, SESSION_COOKIE, type AuthService, type Principal } from '../auth/service.js';
import { parseLifetime } from '../auth/tokens.js';

type Json = (status: number, body: unknown) => void;
type Fail = (status: number, code: string, message: string) => void;

const loginBody = z.object({ user: z.string().min(1).max(200), password: z.string().min(1).max(2000) }).strict();
const userBody = z.object({ name: z.string(), role: z.string(), regions: z.array(z.string()).max(100), password: z.string().max(2000) }).strict();
const userChange = z
  .object({ password: z.string().max(2000).optional(), disabled: z.boolean().optional(), role: z.string().optional(), regions: z.array(z.string()).max(100).optional() })
  .strict()
  .refine((c) => (c.role === undefined) === (c.regions === undefined), { message: 'role and regions are changed together' });
const tokenBody = z.object({ name: z.string(), role: z.string().optional(), regions: z.array(z.string()).max(100).optional(), expires: z.string().default('90d'), user: z.string().optional() }).strict();

/**
 * The doors of the console and API: `POST /api/login`, `POST /api/logout`,
 * `GET /api/session`, and the security administrator's `/api/users` and
 * `/api/tokens` (docs/security.md). Passwords come in bodies only, tokens
 * go out once; neither is logged nor recorded.
 */
export class AccountApi {
  constructor(
    private readonly deps: {
      auth: AuthService;
      admin: AccountAdmin;
      accounts: AccountStore;
      now: () => number;
      secureCookie: boolean;
      readBody: (req: http.IncomingMessage, max: number) => Promise<string | 'too_large' | 'not_utf8'>;
    },
  ) {}

  /** Answers the request when it is one of these endpoints; false otherwise. */
  async handle(path: string, req: http.IncomingMessage, res: http.ServerResponse, who: Principal, from: AdminActor, json: Json, fail: Fail): Promise<boolean> {
    const method = req.method ?? 'GET';
    if (path === '/api/login') {
      if (method !== 'POST') return fail(405, 'METHOD_NOT_ALLOWED', 'POST a JSON body {"user", "password"}'), true;
      const body = await this.body(req, loginBody, fail);
      if (!body) return true;
      const r = await this.deps.auth.login(body.user, body.password, { source: from.source, userAgent: from.userAgent });
      if (!r.ok && r.until !== undefined) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil((r.until - this.deps.now()) / 1000))));
        return json(429, { error: { code: 'LOCKED', message: r.message, until: new Date(r.until).toISOString() } }), true;
      }
      if (!r.ok && r.unavailable) return fail(503, 'DIRECTORY_UNAVAILABLE', r.message), true;
      if (!r.ok) return fail(401, 'LOGIN_FAILED', r.message), true;
      res.setHeader('Set-Cookie', this.cookie(r.sessionId));
      return json(200, { user: r.user.name, role: r.user.role, regions: r.user.regions, csrf: r.csrf }), true;
    }
    if (path === '/api/logout') {
      if (method !== 'POST') return fail(405, 'METHOD_NOT_ALLOWED', 'POST'), true;
      await this.deps.auth.logout(who, from);
      res.setHeader('Set-Cookie', this.cookie('', 0));
      return json(200, { loggedOut: true }), true;
    }
    if (path === '/api/session') {
      if (who.kind === 'anonymous') return json(200, { user: null, role: who.role, regions: who.scope.regions, publicReads: who.role !== null }), true;
      const s = who.session;
      return json(200, { user: who.name, kind: who.kind, role: who.role, regions: who.scope.regions, csrf: s?.csrf ?? null, idleUntil: s ? new Date(s.idleUntil).toISOString() : null, endsAt: s ? new Date(s.endsAt).toISOString() : null }), true;
    }
    const user = /^\/api\/users(?:\/([^/]+))?$/.exec(path);
    const token = /^\/api\/tokens(?:\/([^/]+))?$/.exec(path);
    if (!user && !token) return false;
    if (!allows(who, 'accounts')) return fail(who.kind === 'anonymous' ? 401 : 403, who.kind === 'anonymous' ? 'LOGIN_REQUIRED' : 'FORBIDDEN', 'users and tokens are managed by the security administrator (role security)'), true;
    const answer = (r: AdminResult<unknown>, status: number, body: unknown) => (r.ok ? json(status, body) : fail(r.code === 'UNKNOWN' ? 404 : r.code === 'EXISTS' ? 409 : 400, r.code, r.message));
    if (user) {
      const name = user[1];
      if (name === undefined && method === 'GET') return json(200, { users: (await this.deps.accounts.users()).map(userView) }), true;
      if (name === undefined && method === 'POST') {
        const b = await this.body(req, userBody, fail);
        if (b) answer(await this.deps.admin.addUser(from, b), 201, { added: b.name });
        return true;
      }
      if (name !== undefined && method === 'PATCH') {
        const b = await this.body(req, userChange, fail);
        if (!b) return true;
        if (b.password !== undefined) {
          const r = await this.deps.admin.setPassword(from, name, b.password);
          if (!r.ok) return answer(r, 200, null), true;
        }
        if (b.disabled !== undefined) {
          const r = await this.deps.admin.setDisabled(from, name, b.disabled);
          if (!r.ok) return answer(r, 200, null), true;
        }
        if (b.role !== undefined && b.regions !== undefined) {
          const r = await this.deps.admin.setRole(from, name, b.role, b.regions);
          if (!r.ok) return answer(r, 200, null), true;
        }
        const u = await this.deps.accounts.user(name);
        return u ? json(200, { user: userView(u) }) : fail(404, 'UNKNOWN', `no user named ${name}`), true;
      }
      return fail(405, 'METHOD_NOT_ALLOWED', 'GET or POST /api/users; PATCH /api/users/{name}'), true;
    }
    const id = token![1];
    if (id === undefined && method === 'GET') return json(200, { tokens: (await this.deps.accounts.tokens()).map((t) => tokenView(t, this.deps.now())) }), true;
    if (id === undefined && method === 'POST') {
      const b = await this.body(req, tokenBody, fail);
      if (!b) return true;
      const life = parseLifetime(b.expires);
      if (life !== null && typeof life === 'object') return fail(400, 'INVALID', life.error), true;
      if (b.user === undefined && (b.role === undefined || b.regions === undefined)) return fail(400, 'INVALID', 'give role and regions, or the user the token acts for'), true;
      const r = await this.deps.admin.createToken(from, { name: b.name, role: b.role ?? '', regions: b.regions ?? [], lifetimeMs: life, user: b.user });
      return answer(r, 201, r.ok ? { id: r.value.id, token: r.value.token, expiresAt: r.value.expiresAt === null ? null : new Date(r.value.expiresAt).toISOString(), note: 'the token is shown this once' } : null), true;
    }
    if (id !== undefined && method === 'DELETE') return answer(await this.deps.admin.revokeToken(from, id), 200, { revoked: id }), true;
    return fail(405, 'METHOD_NOT_ALLOWED', 'GET or POST /api/tokens; DELETE /api/tokens/{id}'), true;
  }

  private cookie(value: string, maxAge?: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${this.deps.secureCookie ? '; Secure' : ''}${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`;
  }

  private async body<T>(req: http.IncomingMessage, schema: z.ZodType<T>, fail: Fail): Promise<T | undefined> {
    const text = await this.deps.readBody(req, 16 * 1024);
    if (text === 'too_large' || text === 'not_utf8') return void fail(400, 'BAD_BODY', 'a JSON body of at most 16 KiB, UTF-8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return void fail(400, 'NOT_JSON', 'the body is not JSON');
    }
    const r = schema.safeParse(data);
    if (!r.success) return void fail(400, 'INVALID', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    return r.data;
  }
}
