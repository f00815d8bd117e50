// Starts and stops the release demo-app binary for the browser tests.
//
//   const server = await startServer();          // free port, fixed secret, temp database
//   server.url('/counter')                       // http://127.0.0.1:PORT/counter
//   await server.stop();                         // SIGTERM, then SIGKILL after 5 s
//   await server.restart();                      // same port, same env (same secret)
//   await server.kill();                         // SIGKILL: no goodbye to anyone
//   await server.health();                       // GET /health's JSON
//   await server.waitForPubsub('redis: connected');
//
//   const nodes = await startNodes();            // redis-server + two demo-app nodes on it
//   nodes.a.url('/chat'), nodes.b.url('/chat')   // same secret, SQLite file and LIVEVIEW_PUBSUB
//   await nodes.redis.restart();                 // redis-server again, on the same port
//   await nodes.dispose();                       // both nodes, then Redis, then the temp dir
//
// The binary comes from $DEMO_APP_BIN, or ../../target/release/demo-app from this folder
// (build it with `cargo build --release -p demo-app`); redis-server is the one on the PATH
// (Debian: apt-get install redis-server).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.DEMO_APP_BIN || resolve(HERE, '../../target/release/demo-app');
export const HOST = '127.0.0.1';
/** A fixed signing key, so tokens stay valid across a restart of the server. */
export const TEST_SECRET = 'e2e-test-secret-0123456789abcdef-0123456789abcdef';

const STOP_GRACE_MS = 5_000;
const START_TIMEOUT_MS = 15_000;

/** A port that is free right now: bind port 0 on 127.0.0.1, read it, close. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls GET /health until it answers 200 {"status":"ok"}, the process dies, or the timeout. */
async function waitForHealth(server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exited) {
      throw new Error(`demo-app exited (${server.exited}) before /health answered\n${server.logTail()}`);
    }
    try {
      const res = await fetch(server.url('/health'), { signal: AbortSignal.timeout(1_000) });
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).status === 'ok') return;
      last = `${res.status} ${body}`;
    } catch (e) {
      last = String(e.cause?.code || e.message);
    }
    await sleep(100);
  }
  throw new Error(`demo-app did not answer /health within ${timeoutMs} ms (last: ${last})\n${server.logTail()}`);
}

/** SIGKILL to `proc` if it still runs (no shutdown, no goodbye), and waits until it is gone. */
async function killProcess(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

class DemoServer {
  constructor({ port, env, dir, ownsDir }) {
    this.port = port;
    this.env = env;
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.proc = null;
    this.exited = null;
    this.log = [];
  }

  url(path = '/') {
    return `http://${HOST}:${this.port}${path}`;
  }

  wsUrl(path = '/') {
    return `ws://${HOST}:${this.port}${path}`;
  }

  /** The last lines the server printed, for failure messages. */
  logTail(n = 40) {
    return this.log.slice(-n).join('\n');
  }

  async start() {
    if (!existsSync(BIN)) {
      throw new Error(`demo-app binary not found at ${BIN}: run \`cargo build --release -p demo-app\` or set DEMO_APP_BIN`);
    }
    this.exited = null;
    const proc = spawn(BIN, [], {
      env: this.env,
      cwd: this.dir, // anything the app writes relative to its cwd lands in the temp dir
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const collect = (stream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) this.log.push(`[demo-app:${this.port}] ${line}`);
        if (this.log.length > 2000) this.log.splice(0, this.log.length - 1000);
        if (process.env.E2E_SERVER_LOG) for (const line of lines) console.error(`[demo-app:${this.port}] ${line}`);
      });
    };
    collect(proc.stdout);
    collect(proc.stderr);
    proc.on('exit', (code, signal) => {
      if (this.proc === proc) this.exited = signal ? `signal ${signal}` : `code ${code}`;
    });
    proc.on('error', (e) => {
      if (this.proc === proc) this.exited = `spawn error: ${e.message}`;
    });
    await waitForHealth(this, START_TIMEOUT_MS);
    return this;
  }

  /**
   * SIGTERM, then SIGKILL if it is still running after 5 s. Resolves once the process is
   * gone (never hangs: the SIGKILL wait is bounded too).
   */
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return { forced: false };
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    let forced = false;
    const timer = sleep(STOP_GRACE_MS).then(() => 'timeout');
    if ((await Promise.race([gone, timer])) === 'timeout') {
      forced = true;
      this.log.push(`[e2e] demo-app still running ${STOP_GRACE_MS} ms after SIGTERM: SIGKILL`);
      proc.kill('SIGKILL');
      await Promise.race([gone, sleep(STOP_GRACE_MS)]);
    }
    return { forced };
  }

  /** Kills the server (SIGKILL: no shutdown, no goodbye to Redis) and waits until it is gone. */
  async kill() {
    await killProcess(this.proc);
  }

  /** GET /health's JSON (status, database, pubsub, version). */
  async health() {
    const res = await fetch(this.url('/health'), { signal: AbortSignal.timeout(2_000) });
    return res.json();
  }

  /**
   * Polls /health until its `pubsub` is `want` (`redis: connected`, `redis: reconnecting`,
   * ...); fails after `timeoutMs`, saying what it last read.
   */
  async waitForPubsub(want, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const { pubsub } = await this.health();
        if (pubsub === want) return;
        last = pubsub;
      } catch (e) {
        last = String(e.cause?.code || e.message);
      }
      await sleep(50);
    }
    throw new Error(`${this.url('/health')}: pubsub should be ${JSON.stringify(want)} within ${timeoutMs} ms, it is ${JSON.stringify(last)}`);
  }

  /** Stops the server and starts it again on the same port with the same env. */
  async restart() {
    await this.stop();
    // The port was ours a moment ago; wait until it can be bound again.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await this.start();
        return this;
      } catch (e) {
        if (Date.now() > deadline || !/EADDRINUSE|Address already in use/i.test(this.logTail(5))) throw e;
        await sleep(200);
      }
    }
  }

  /** Stops the server and removes its temp directory (for `after` hooks). */
  async dispose() {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts the demo app on a free port. `env` entries override the defaults
 * (HOST, PORT, LIVEVIEW_SECRET, DATABASE_URL, RUST_LOG).
 */
export async function startServer({ env = {}, port, dir: shared } = {}) {
  const dir = shared ?? mkdtempSync(join(tmpdir(), 'demo-e2e-'));
  const chosen = port ?? (await freePort());
  const fullEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUST_LOG: process.env.RUST_LOG || 'info',
    RUST_BACKTRACE: '1',
    HOST,
    PORT: String(chosen),
    LIVEVIEW_SECRET: TEST_SECRET,
    DATABASE_URL: `sqlite://${join(dir, 'demo.db')}`,
    ...env,
  };
  const server = new DemoServer({ port: chosen, env: fullEnv, dir, ownsDir: !shared });
  try {
    await server.start();
  } catch (e) {
    await server.dispose();
    throw e;
  }
  return server;
}

// ---------------------------------------------------------------------------------------
// Several nodes: a real redis-server and demo-app processes on it.

const REDIS_READY_MS = 15_000;

/** A redis-server on a free loopback port, without persistence, in `dir`. */
class RedisServer {
  constructor(dir) {
    this.dir = dir;
    this.port = null;
    this.proc = null;
    this.log = [];
  }

  url() {
    return `redis://${HOST}:${this.port}`;
  }

  logTail(n = 20) {
    return this.log.slice(-n).join('\n');
  }

  /** Starts on `port` (default: a free one) and resolves once it accepts connections. */
  async start(port) {
    this.port = port ?? (await freePort());
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', this.dir, '--logfile', ''],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server not ready within ${REDIS_READY_MS} ms\n${this.logTail()}`)), REDIS_READY_MS);
      const done = (f, v) => {
        clearTimeout(timer);
        f(v);
      };
      let rest = '';
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) {
          this.log.push(`[redis:${this.port}] ${line}`);
          if (line.includes('Ready to accept connections')) done(ok);
        }
      });
      proc.stderr.resume();
      proc.on('error', (e) =>
        done(fail, new Error(e.code === 'ENOENT' ? 'redis-server is not installed: apt-get install -y redis-server' : e.message)),
      );
      proc.on('exit', (code, signal) => done(fail, new Error(`redis-server exited (${signal ?? code})\n${this.logTail()}`)));
    });
    return this;
  }

  /** SIGKILL: the nodes lose their connections without a goodbye. */
  async kill() {
    await killProcess(this.proc);
  }

  /** Kills it if it runs and starts a fresh one (empty, as after a crash) on the same port. */
  async restart() {
    await this.kill();
    return this.start(this.port);
  }
}

/**
 * Starts a redis-server and `count` demo-app nodes (default two) on it, each on a free port,
 * all sharing LIVEVIEW_SECRET (the suite's), one SQLite file and LIVEVIEW_PUBSUB, in one temp
 * dir. `env` goes to every node (e.g. LIVEVIEW_PRESENCE_TIMEOUT_MS). Returns
 * `{ redis, nodes, a, b, logTail(), dispose() }`. The nodes start one after the other, so the
 * first creates and loads the database and the others open it; it resolves once every node's
 * /health says `redis: connected`.
 */
export async function startNodes({ count = 2, env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'demo-e2e-nodes-'));
  const redis = new RedisServer(dir);
  const nodes = [];
  const cluster = {
    redis,
    nodes,
    get a() {
      return nodes[0];
    },
    get b() {
      return nodes[1];
    },
    logTail: (n = 30) => [redis.logTail(10), ...nodes.map((node) => node.logTail(n))].join('\n'),
    async dispose() {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // A free port can be taken between our look and Redis's bind: then try another.
    for (let attempt = 1; ; attempt++) {
      try {
        await redis.start();
        break;
      } catch (e) {
        if (attempt === 5) throw e;
      }
    }
    const shared = { DATABASE_URL: `sqlite://${join(dir, 'demo.db')}`, LIVEVIEW_PUBSUB: redis.url(), ...env };
    for (let i = 0; i < count; i++) {
      const node = await startServer({ env: shared, dir });
      nodes.push(node);
      // /health is 200 before the Redis link is up; what a node publishes before then
      // does not reach the others.
      await node.waitForPubsub('redis: connected');
    }
  } catch (e) {
    await cluster.dispose();
    throw e;
  }
  return cluster;
}
