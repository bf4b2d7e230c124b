import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, PACKAGE_NAME } from '../../constants';
import { compileAllowedIps, ipAllowed, parseAllowedIps } from '../restrictions/allowed-ips';
import { clientAddress } from '../restrictions/client-address';
import { isReadAction } from '../restrictions/read-actions';
import { counterFor, MemoryCounter, RateLimiter, RedisCounter } from '../restrictions/rate-limit';
import { FailureFlood, floodKey } from '../verification/failure-flood';
import { generateKey, hashKey } from '../verification/key-format';
import type PluginKeywardServer from '../plugin';
import { createApp, createKey, setUpTodos, TODOS_ROLE, withKey } from './helpers';

const code = (res: { body: any }) => res.body.errors?.[0]?.code;

/** A To-Dos app for the tests of one `describe`, with these variables set while it runs. */
function todosApp(env: Record<string, string> = {}) {
  const setUp = {} as { app: MockServer; user: any };
  beforeAll(async () => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    setUp.app = await createApp();
    ({ user: setUp.user } = await setUpTodos(setUp.app));
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await setUp.app?.destroy();
  });
  return setUp;
}

describe('allowed IPs, parsed and matched', () => {
  it('takes IPv4, IPv6 and CIDR ranges, written as the client shows them', () => {
    expect(parseAllowedIps([' 10.0.0.0/8 ', '2001:DB8::/32', '::ffff:192.0.2.1', '::1', '0.0.0.0/0'])).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
      '192.0.2.1',
      '::1',
      '0.0.0.0/0',
    ]);
    const list = compileAllowedIps(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']);
    expect(ipAllowed(list, '10.255.255.255')).toBe(true);
    expect(ipAllowed(list, '11.0.0.0')).toBe(false);
    expect(ipAllowed(list, '2001:db8:ffff:ffff::1')).toBe(true);
    expect(ipAllowed(list, '2001:db9::1')).toBe(false);
    expect(ipAllowed(list, '192.0.2.1')).toBe(true);
    expect(ipAllowed(list, '192.0.2.2')).toBe(false);
    expect(ipAllowed(list, '')).toBe(false);
    expect(ipAllowed(compileAllowedIps(['::/0']), '2001:db8::5')).toBe(true);
    expect(ipAllowed(compileAllowedIps(['2001:db8::1/128']), '2001:db8::2')).toBe(false);
    expect(ipAllowed(compileAllowedIps([]), '203.0.113.9')).toBe(true);
  });

  it('keeps an IPv4-mapped range as the IPv4 range it covers', () => {
    expect(parseAllowedIps(['::ffff:192.0.2.0/120', '::FFFF:10.0.0.0/104', '::ffff:0.0.0.0/96'])).toEqual(['192.0.2.0/24', '10.0.0.0/8', '0.0.0.0/0']);
    const list = compileAllowedIps(parseAllowedIps(['::ffff:192.0.2.0/120']));
    expect(ipAllowed(list, '192.0.2.200')).toBe(true);
    expect(ipAllowed(list, '192.0.3.1')).toBe(false);
    // As an earlier version stored it: allows nothing, breaks nothing.
    const stored = compileAllowedIps(['192.0.2.0/120', '10.0.0.0/8', '198.51.100.0/']);
    expect(ipAllowed(stored, '192.0.2.1')).toBe(false);
    expect(ipAllowed(stored, '198.51.100.1')).toBe(false);
    expect(ipAllowed(stored, '10.1.1.1')).toBe(true);
  });

  it.each([['10.0.0.0/33'], ['2001:db8::/129'], ['::ffff:192.0.2.0/95'], ['::ffff:192.0.2.0/129'], ['fe80::1%eth0'], ['10.0.0.1/8/1'], ['example.com'], ['10.0.0.0/-1'], ['1.2.3']])(
    'refuses %s, naming it',
    (entry) => {
      expect(() => parseAllowedIps([entry])).toThrow(/is not an IP address or a CIDR range/);
    },
  );

  it('reads X-Forwarded-For only as far as the trusted proxies go', () => {
    const ctx = (forwarded: string) =>
      ({ get: () => forwarded, req: { socket: { remoteAddress: '::ffff:10.0.0.2' } } }) as any;
    expect(clientAddress(ctx('203.0.113.7'), 0)).toBe('10.0.0.2');
    expect(clientAddress(ctx('198.51.100.1, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientAddress(ctx('198.51.100.1, 203.0.113.7, 10.0.0.1'), 2)).toBe('203.0.113.7');
    expect(clientAddress(ctx(''), 1)).toBe('10.0.0.2');
    // A proxy that writes the client's port: the address without it; no address, the peer.
    expect(clientAddress(ctx('203.0.113.7:5678'), 1)).toBe('203.0.113.7');
    expect(clientAddress(ctx('[2001:DB8::1]:443'), 1)).toBe('2001:db8::1');
    expect(clientAddress(ctx('unknown'), 1)).toBe('10.0.0.2');
    expect(clientAddress(ctx('1.2.3.4:5678:9'), 1)).toBe('10.0.0.2');
  });
});

describe('the rate counter', () => {
  it('counts in the host cache’s Redis when that is its store, atomically, expiring with the window', async () => {
    const counts = new Map<string, number>();
    const expiries: [string, number][] = [];
    const client = {
      multi() {
        const steps: (() => unknown)[] = [];
        const chain = {
          incr: (key: string) => (steps.push(() => counts.set(key, (counts.get(key) ?? 0) + 1).get(key)), chain),
          pExpire: (key: string, ms: number) => (steps.push(() => expiries.push([key, ms])), chain),
          exec: async () => steps.map((step) => step()),
        };
        return chain;
      },
    };
    const counter = counterFor({ cacheManager: { defaultStore: 'redis' }, cache: { store: { store: { client } } } });
    expect(counter).toBeInstanceOf(RedisCounter);
    const limiter = new RateLimiter(counter, 'app:keyward:rate');
    const now = Date.UTC(2026, 0, 1, 0, 0, 30);
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.take(7, { limit: 2, windowSeconds: 60 }, now));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
    expect(decisions[2]).toMatchObject({ limit: 2, remaining: 0, resetSeconds: 30 });
    expect([...counts.keys()]).toEqual([`app:keyward:rate:7:60:${Math.floor(now / 60000)}`]);
    expect(expiries[0][1]).toBe(60000);
    expect(counterFor({ cacheManager: { defaultStore: 'memory' } })).toBeInstanceOf(MemoryCounter);
  });
});

describe('per-key restrictions', () => {
  const setUp = todosApp();

  it('refuses a bad restriction at create and update with a 400 naming it', async () => {
    const agent = await setUp.app.agent().login(setUp.user, TODOS_ROLE);
    const create = (values: Record<string, unknown>) =>
      agent.resource('apiKeys').create({ values: { name: `bad ${Math.random()}`, role: { name: TODOS_ROLE }, expiresIn: '30d', ...values } });
    for (const values of [
      { allowedIps: ['10.0.0.0/33'] },
      { allowedIps: '10.0.0.1' },
      { rateLimit: { limit: 0, windowSeconds: 60 } },
      { rateLimit: { limit: 1.5, windowSeconds: 60 } },
      { rateLimit: { limit: 10, windowSeconds: 100_000 } },
      { rateLimit: { limit: 10, windowSeconds: 60, burst: 5 } },
      { rateLimit: 10 },
      { readOnly: 'yes' },
    ]) {
      const res = await create(values);
      expect(res.status, JSON.stringify(values)).toBe(400);
      expect(code(res)).toBe(ErrorCode.BAD_INPUT);
      expect(res.body.errors[0].message).toMatch(/allowedIps|CIDR|rateLimit|readOnly/);
    }
    const named = await create({ allowedIps: ['127.0.0.1', 'nope'] });
    expect(named.body.errors[0].message).toBe('nope is not an IP address or a CIDR range.');
    // As sent, not HTML-escaped: the answer is JSON.
    const slashed = await create({ allowedIps: ['10.0.0.0/33'] });
    expect(slashed.body.errors[0].message).toBe('10.0.0.0/33 is not an IP address or a CIDR range.');
    const { record } = await createKey(setUp.app, setUp.user);
    const update = await agent.resource('apiKeys').update({ filterByTk: record.id, values: { allowedIps: ['::1/200'] } });
    expect(update.status).toBe(400);
  });

  it('answers a key only from its allowed addresses, and says so otherwise', async () => {
    const { key, record, agent } = await createKey(setUp.app, setUp.user, { allowedIps: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(record.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    const refused = await withKey(setUp.app, key).get('/api/todos:list');
    expect(refused.status).toBe(403);
    expect(code(refused)).toBe(ErrorCode.IP_NOT_ALLOWED);
    // A forwarded-for header is the client's own words unless the setUp.app trusts a proxy.
    expect((await withKey(setUp.app, key, { 'X-Forwarded-For': '10.1.2.3' }).get('/api/todos:list')).status).toBe(403);
    await agent.resource('apiKeys').update({ filterByTk: record.id, values: { allowedIps: ['127.0.0.0/8'] } });
    expect((await withKey(setUp.app, key).get('/api/todos:list')).status).toBe(200);
    const listed = await agent.resource('apiKeys').get({ filterByTk: record.id });
    expect(listed.body.data).toMatchObject({ allowedIps: ['127.0.0.0/8'], rateLimit: null, readOnly: false });
  });

  it('tells a key used from elsewhere nothing of its state', async () => {
    const { key, record, agent } = await createKey(setUp.app, setUp.user, { allowedIps: ['10.0.0.0/8'] });
    await agent.resource('apiKeys').update({ filterByTk: record.id, values: { enabled: false } });
    expect(code(await withKey(setUp.app, key).get('/api/todos:list'))).toBe(ErrorCode.IP_NOT_ALLOWED);
  });

  it('counts a limited key per window, says where it stands, and refuses it past the limit', async () => {
    const { key, record, agent } = await createKey(setUp.app, setUp.user, { rateLimit: { limit: 3, windowSeconds: 2 } });
    expect(record.rateLimit).toEqual({ limit: 3, windowSeconds: 2 });
    // Start at the beginning of a window, so all four requests fall in it.
    await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() % 2000)));
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await withKey(setUp.app, key).get('/api/todos:list');
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('3');
      remaining.push(res.headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await withKey(setUp.app, key).get('/api/todos:list');
    expect(over.status).toBe(429);
    expect(code(over)).toBe(ErrorCode.RATE_LIMITED);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(over.headers['ratelimit-remaining']).toBe('0');
    // The refusal is counted under the key it refused.
    const usage = await agent.get(`/api/apiKeys:usage?filterByTk=${record.id}&days=1`);
    expect(usage.body.data[0]).toMatchObject({ ok: 3, refused: 1, refusedBy: { [ErrorCode.RATE_LIMITED]: 1 } });
    await new Promise((resolve) => setTimeout(resolve, Number(over.headers['ratelimit-reset']) * 1000));
    expect((await withKey(setUp.app, key).get('/api/todos:list')).status).toBe(200);
  });

  it('sends no rate headers for a key without a limit', async () => {
    const { key } = await createKey(setUp.app, setUp.user);
    const res = await withKey(setUp.app, key).get('/api/todos:list');
    expect(res.headers).not.toHaveProperty('ratelimit-limit');
  });

  it('lets a read-only key read within its role and nothing else, until the owner lifts it', async () => {
    const { key, record, agent } = await createKey(setUp.app, setUp.user, { readOnly: true });
    expect((await withKey(setUp.app, key).get('/api/todos:list')).status).toBe(200);
    expect((await withKey(setUp.app, key).get('/api/todos:get?filterByTk=1')).status).toBe(200);
    expect((await withKey(setUp.app, key).get('/api/auth:check')).status).toBe(200);
    for (const action of ['todos:create', 'todos:update?filterByTk=1', 'todos:destroy?filterByTk=1', 'todos:firstOrCreate', 'todos:updateOrCreate', 'todos:move']) {
      const res = await withKey(setUp.app, key).post(`/api/${action}`).send({ title: 'x' });
      expect(res.status, action).toBe(403);
      expect(code(res), action).toBe(ErrorCode.READ_ONLY);
    }
    expect(await setUp.app.db.getRepository('todos').count()).toBe(3);
    await agent.resource('apiKeys').update({ filterByTk: record.id, values: { readOnly: false } });
    expect((await withKey(setUp.app, key).post('/api/todos:create').send({ title: 'now' })).status).toBe(200);
  });
});

describe('behind a trusted proxy', () => {
  const setUp = todosApp({ KEYWARD_TRUSTED_PROXIES: '1' });

  it('takes the address the proxy appended, never one the client wrote', async () => {
    const { key } = await createKey(setUp.app, setUp.user, { allowedIps: ['203.0.113.7'] });
    expect((await withKey(setUp.app, key, { 'X-Forwarded-For': '203.0.113.7' }).get('/api/todos:list')).status).toBe(200);
    expect((await withKey(setUp.app, key, { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' }).get('/api/todos:list')).status).toBe(200);
    const spoofed = await withKey(setUp.app, key, { 'X-Forwarded-For': '203.0.113.7, 198.51.100.1' }).get('/api/todos:list');
    expect(code(spoofed)).toBe(ErrorCode.IP_NOT_ALLOWED);
    expect(code(await withKey(setUp.app, key).get('/api/todos:list'))).toBe(ErrorCode.IP_NOT_ALLOWED);
  });

  it('records an address longer than its column cut to fit, so the write succeeds on every database', async () => {
    // An address with a long zone, as a proxy may pass it on; PostgreSQL refuses a value longer
    // than the column (SQLite keeps it), and lastUsedAt with it.
    const forwarded = `fe80::1%${'x'.repeat(60)}`;
    const { key, record } = await createKey(setUp.app, setUp.user);
    expect((await withKey(setUp.app, key, { 'X-Forwarded-For': forwarded }).get('/api/todos:list')).status).toBe(200);
    await (setUp.app.pm.get(PACKAGE_NAME) as PluginKeywardServer).tracker.flush();
    const row = await setUp.app.db.getRepository('apiKeys').findOne({ filterByTk: record.id });
    expect(row.get('lastUsedAt')).toBeTruthy();
    expect(row.get('lastUsedIp')).toBe(forwarded.slice(0, 45));
  });
});

describe('a flood of refused keys from one address', () => {
  const setUp = todosApp({ KEYWARD_MAX_FAILURES_PER_MINUTE: '30' });

  it('costs at most 30 lookups a minute, then is answered 429 with no lookup at all', async () => {
    const { key: verified, agent } = await createKey(setUp.app, setUp.user);
    const { key: unused } = await createKey(setUp.app, setUp.user);
    const { key: disabled, record: disabledRecord } = await createKey(setUp.app, setUp.user);
    const store = (setUp.app.pm.get('@keyward/plugin-api-keys') as PluginKeywardServer).store;
    const lookups = vi.spyOn(store as any, 'load');
    expect((await withKey(setUp.app, verified).get('/api/todos:list')).status).toBe(200);
    for (let i = 0; i < 30; i++) {
      // Forged: a valid checksum, so each one reaches the database.
      expect(code(await withKey(setUp.app, generateKey()).get('/api/todos:list'))).toBe(ErrorCode.INVALID);
    }
    for (let i = 0; i < 100; i++) {
      const res = await withKey(setUp.app, generateKey()).get('/api/todos:list');
      expect(res.status).toBe(429);
      expect(code(res)).toBe(ErrorCode.TOO_MANY_FAILURES);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Malformed keys cost nothing, and are answered the same.
    expect(code(await withKey(setUp.app, 'keyward_nope').get('/api/todos:list'))).toBe(ErrorCode.TOO_MANY_FAILURES);
    // Until the minute is over the address gets no lookup, not even for a good key; a key it
    // had verified before still works, so one client's forgeries do not lock out the others
    // behind the same proxy.
    expect(code(await withKey(setUp.app, unused).get('/api/todos:list'))).toBe(ErrorCode.TOO_MANY_FAILURES);
    expect((await withKey(setUp.app, verified).get('/api/todos:list')).status).toBe(200);
    expect(lookups).toHaveBeenCalledTimes(31);
    // A key in the cache is answered as ever, a refusal included, so its usage says why.
    expect((await withKey(setUp.app, disabled).get('/api/todos:list')).status).toBe(429);
    await agent.resource('apiKeys').update({ filterByTk: disabledRecord.id, values: { enabled: false } });
    const plugin = setUp.app.pm.get(PACKAGE_NAME) as PluginKeywardServer;
    await plugin.store.find(hashKey(disabled));
    expect(code(await withKey(setUp.app, disabled).get('/api/todos:list'))).toBe(ErrorCode.DISABLED);
  });
});

describe('the read table', () => {
  it('takes an action every collection has by name, a plugin’s only on its resource', () => {
    expect(isReadAction('todos', 'list')).toBe(true);
    expect(isReadAction('charts', 'queryData')).toBe(true);
    expect(isReadAction('roles', 'check')).toBe(true);
    expect(isReadAction('todos', 'check')).toBe(false);
    expect(isReadAction('todos', 'queryData')).toBe(false);
    expect(isReadAction('todos', 'charts:queryData')).toBe(false);
  });
});

describe('the flood guard’s client', () => {
  it('is an IPv4 address, or the /64 an IPv6 address is in', () => {
    expect(floodKey('203.0.113.7')).toBe('203.0.113.7');
    expect(floodKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(floodKey('2001:0DB8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(floodKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(floodKey('2001:db8:0:1::5')).toBe(floodKey('2001:db8:0:1:ffff::1'));
    // Addresses that carry an IPv4 client each: one client each.
    expect(floodKey('::1')).toBe('::1');
    expect(floodKey('::ffff:a00:1')).toBe('::ffff:a00:1');
    expect(floodKey('64:ff9b::192.0.2.1')).toBe('64:ff9b::192.0.2.1');
    expect(floodKey('64:FF9B::C000:201')).toBe('64:ff9b::c000:201');
  });

  it('counts the addresses of one /64 together', () => {
    const flood = new FailureFlood(3);
    for (let i = 1; i <= 3; i++) flood.record(`2001:db8:0:1::${i}`, 0);
    expect(flood.blockedFor('2001:db8:0:1:abcd::9', 1000)).toBe(59);
    expect(flood.blockedFor('2001:db8:0:2::1', 1000)).toBe(0);
  });
});

describe('a flood of refused keys sent all at once', () => {
  const setUp = todosApp({ KEYWARD_MAX_FAILURES_PER_MINUTE: '30' });

  it('shares one lookup among the requests for one key, however many come at once', async () => {
    const { key } = await createKey(setUp.app, setUp.user);
    const store = (setUp.app.pm.get(PACKAGE_NAME) as PluginKeywardServer).store;
    store.clear();
    const lookups = vi.spyOn(store as any, 'load');
    const answers = await Promise.all(Array.from({ length: 50 }, () => withKey(setUp.app, key).get('/api/todos:list')));
    expect(answers.map((res) => res.status)).toEqual(Array(50).fill(200));
    expect(lookups).toHaveBeenCalledTimes(1);
    lookups.mockRestore();
  });

  it('costs no more lookups than one after the other: lookups under way count', async () => {
    const store = (setUp.app.pm.get(PACKAGE_NAME) as PluginKeywardServer).store;
    const lookups = vi.spyOn(store as any, 'load');
    const answers = await Promise.all(Array.from({ length: 100 }, () => withKey(setUp.app, generateKey()).get('/api/todos:list')));
    expect(lookups.mock.calls.length).toBeLessThanOrEqual(30);
    const waits = answers.filter((res) => code(res) === ErrorCode.TOO_MANY_FAILURES);
    expect(waits).toHaveLength(70);
    // Told to wait while lookups ran: a second, not the window.
    expect(waits.every((res) => Number(res.headers['retry-after']) === 1)).toBe(true);
    expect(answers.filter((res) => code(res) === ErrorCode.INVALID)).toHaveLength(30);
    // The 30 refusals block the address now, for the window.
    expect(Number((await withKey(setUp.app, generateKey()).get('/api/todos:list')).headers['retry-after'])).toBeGreaterThan(50);
  });
});
