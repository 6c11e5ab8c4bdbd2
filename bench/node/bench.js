// strata's peers bench, Node side: raw node-postgres (the baseline), Drizzle
// and Prisma 7 on diesel_bench's cases (bench/peers/src/case.rs), against the
// same PostgreSQL database as the Rust run, seeded the same way
// (bench/peers/benches/peers/fixture.rs), timed in interleaved rounds like
// strata_bench::compare (bench/src/lib.rs), and written as the records of
// bench/peers/src/record.rs.
//
// Env: STRATA_PEERS_PG_URL (default postgres://postgres@127.0.0.1:5432/strata_peers),
// STRATA_PEERS_OUT (default <repo>/target/bench-results/node.jsonl),
// STRATA_BENCH_ROUNDS (default 40), STRATA_BENCH_BATCH_MS (default 5),
// STRATA_BENCH_FILTER (substring of a case name), STRATA_BENCH_PIN=0 (do not
// pin to one CPU), STRATA_BENCH_SHOW_SQL=1 (log the SQL each library sends,
// check only, no timing).
//
// As the Rust side does (strata_bench::pin), every thread of this process and
// every PostgreSQL backend serving the bench database run on one CPU while
// timing, so that where a wake-up lands does not decide a library's numbers:
// through `taskset` (util-linux), as root; skipped with a warning where that
// fails.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { tsImport } from 'tsx/esm/api';
import * as schema from './schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const URL = process.env.STRATA_PEERS_PG_URL || 'postgres://postgres@127.0.0.1:5432/strata_peers';
const OUT =
  process.env.STRATA_PEERS_OUT || path.join(here, '..', '..', 'target', 'bench-results', 'node.jsonl');
const ROUNDS = Number(process.env.STRATA_BENCH_ROUNDS || 40);
const FILTER = process.env.STRATA_BENCH_FILTER || '';
const SHOW_SQL = Boolean(process.env.STRATA_BENCH_SHOW_SQL);
const PIN = process.env.STRATA_BENCH_PIN !== '0';

// strata_bench::Settings::default().
const BATCH_TARGET_NS = Number(process.env.STRATA_BENCH_BATCH_MS || 5) * 1e6;
const MIN_BATCH = 1;
const MAX_BATCH = 100;
const WARMUP_NS = 100e6;

const BASELINE = 'node-pg';

// ---------------------------------------------------------------------------
// Cases and data (bench/peers/src/case.rs)

const ASSOCIATION_USERS = 100;
const ASSOCIATION_FANOUT = 10;

const CASES = [
  { kind: 'trivial_query', rows: 1 },
  { kind: 'trivial_query', rows: 10_000 },
  { kind: 'medium_complex_query', rows: 1 },
  { kind: 'medium_complex_query', rows: 10_000 },
  { kind: 'insert', rows: 1 },
  { kind: 'insert', rows: 100 },
  { kind: 'insert', rows: 1_000 },
  { kind: 'associations', rows: ASSOCIATION_USERS },
].map((c) => ({ ...c, name: c.kind === 'associations' ? c.kind : `${c.kind}/${c.rows}` }));

const userName = (i) => `User ${i}`;
function hairColor(kind, i) {
  if (kind === 'trivial_query') return null;
  if (kind === 'insert') return 'hair_color';
  return i % 2 === 0 ? 'black' : 'brown';
}
const postTitle = (i, userId) => `Post ${i} by user ${userId}`;
const commentText = (i, postId) => `Comment ${i} on post ${postId}`;

/** The users an insert case inserts: built in every timed iteration, by every library. */
function newUsers(rows) {
  const out = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = { name: userName(i), hair_color: 'hair_color' };
  return out;
}

// ---------------------------------------------------------------------------
// The database (bench/peers/benches/peers/fixture.rs): created if missing,
// never migrated; seeded through a separate client, untimed.

const PG_DDL = [
  'CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR NOT NULL, hair_color VARCHAR)',
  'CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), title VARCHAR NOT NULL, body TEXT)',
  'CREATE TABLE comments (id SERIAL PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts (id), text TEXT NOT NULL)',
  'CREATE INDEX posts_user_id ON posts (user_id)',
  'CREATE INDEX comments_post_id ON comments (post_id)',
];

async function connectAdmin() {
  const client = new pg.Client({ connectionString: URL });
  try {
    await client.connect();
    return client;
  } catch (e) {
    if (e.code !== '3D000') throw e; // database does not exist
  }
  const url = new globalThis.URL(URL);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const server = new pg.Client({ connectionString: url.toString() });
  await server.connect();
  await server.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  // As fixture.rs: a commit does not wait for the disk.
  await server.query(`ALTER DATABASE ${pg.escapeIdentifier(database)} SET synchronous_commit = off`);
  await server.end();
  const created = new pg.Client({ connectionString: URL });
  await created.connect();
  return created;
}

async function ensureTables(admin) {
  const { rows } = await admin.query("SELECT to_regclass('users') IS NOT NULL AS present");
  if (rows[0].present) return;
  console.log('creating the tables (fixture.rs DDL)');
  for (const ddl of PG_DDL) await admin.query(ddl);
}

async function empty(admin) {
  await admin.query('TRUNCATE comments, posts, users RESTART IDENTITY');
}

/** Multi-row INSERTs in chunks of 1000 rows, in one transaction (as fixture.rs). */
async function insertRows(admin, table, columns, rows) {
  if (rows.length === 0) return;
  await admin.query('BEGIN');
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    const values = [];
    const tuples = chunk.map((row) => {
      const marks = row.map((v) => {
        values.push(v);
        return `$${values.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    await admin.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
  await admin.query('COMMIT');
}

async function seed(admin, c) {
  await empty(admin);
  const count = c.kind === 'insert' ? 0 : c.rows;
  const users = [];
  for (let i = 0; i < count; i++) users.push([userName(i), hairColor(c.kind, i)]);
  await insertRows(admin, 'users', ['name', 'hair_color'], users);
  if (c.kind !== 'associations') return;
  // Ids restart at 1, so user k (0-based) has id k + 1, and so on down.
  const posts = [];
  for (let user = 1; user <= users.length; user++)
    for (let i = 0; i < ASSOCIATION_FANOUT; i++) posts.push([user, postTitle(i, user)]);
  await insertRows(admin, 'posts', ['user_id', 'title'], posts);
  const comments = [];
  for (let post = 1; post <= posts.length; post++)
    for (let i = 0; i < ASSOCIATION_FANOUT; i++) comments.push([post, commentText(i, post)]);
  await insertRows(admin, 'comments', ['post_id', 'text'], comments);
}

async function userNames(admin) {
  const { rows } = await admin.query('SELECT name, hair_color FROM users ORDER BY name, hair_color');
  return rows.map((r) => [r.name, r.hair_color]);
}

// ---------------------------------------------------------------------------
// The libraries. Each has the four case methods, returning its own rows:
//   trivial()        -> users
//   medium()         -> (user, post | null) pairs, as a LEFT JOIN returns them
//   insert(rows)     -> the number of rows inserted
//   associations()   -> users, each with its posts, each with its comments

/**
 * node-pg: hand-written, parameterized SQL through a pg.Pool (defaults: up to
 * 10 connections; the bench runs one query at a time, so one is used);
 * associations as three queries stitched in JS, like diesel_bench's
 * hand-written versions.
 */
function nodePg(log) {
  const pool = new pg.Pool({ connectionString: URL });
  const query = log
    ? (text, values) => {
        console.log(`node-pg: ${text}${values ? ` -- ${values.length} params` : ''}`);
        return pool.query(text, values);
      }
    : (text, values) => pool.query(text, values);
  return {
    name: 'node-pg',
    async trivial() {
      return (await query('SELECT id, name, hair_color FROM users')).rows;
    },
    async medium() {
      const { rows } = await query(
        'SELECT u.id, u.name, u.hair_color, p.id AS p_id, p.user_id AS p_user_id, p.title AS p_title, p.body AS p_body ' +
          'FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.hair_color = $1',
        ['black'],
      );
      return rows.map((r) => ({
        user: { id: r.id, name: r.name, hair_color: r.hair_color },
        post:
          r.p_id === null ? null : { id: r.p_id, user_id: r.p_user_id, title: r.p_title, body: r.p_body },
      }));
    },
    async insert(rows) {
      const data = newUsers(rows);
      const values = new Array(rows * 2);
      const tuples = new Array(rows);
      for (let i = 0; i < rows; i++) {
        values[2 * i] = data[i].name;
        values[2 * i + 1] = data[i].hair_color;
        tuples[i] = `($${2 * i + 1}, $${2 * i + 2})`;
      }
      const result = await query(`INSERT INTO users (name, hair_color) VALUES ${tuples.join(', ')}`, values);
      return result.rowCount;
    },
    async associations() {
      const users = (await query('SELECT id, name, hair_color FROM users')).rows;
      const posts = (
        await query('SELECT id, user_id, title, body FROM posts WHERE user_id = ANY($1)', [users.map((u) => u.id)])
      ).rows;
      const comments = (
        await query('SELECT id, post_id, text FROM comments WHERE post_id = ANY($1)', [posts.map((p) => p.id)])
      ).rows;
      const byPost = new Map();
      for (const p of posts) {
        p.comments = [];
        byPost.set(p.id, p);
      }
      for (const c of comments) byPost.get(c.post_id).comments.push(c);
      const byUser = new Map();
      for (const u of users) {
        u.posts = [];
        byUser.set(u.id, u);
      }
      for (const p of posts) byUser.get(p.user_id).posts.push(p);
      return users;
    },
    close: () => pool.end(),
  };
}

/**
 * Drizzle: the node-postgres driver over its own pg.Pool (defaults), as
 * Drizzle's docs set it up, with the schema and relations passed in for the
 * relational query API.
 */
function drizzleOrm(log) {
  const pool = new pg.Pool({ connectionString: URL });
  const db = drizzle({ client: pool, schema, logger: log });
  const { users, posts } = schema;
  return {
    name: 'drizzle',
    trivial: () => db.select().from(users),
    medium: () => db.select().from(users).leftJoin(posts, eq(posts.user_id, users.id)).where(eq(users.hair_color, 'black')),
    async insert(rows) {
      const result = await db.insert(users).values(newUsers(rows));
      return result.rowCount;
    },
    associations: () => db.query.users.findMany({ with: { posts: { with: { comments: true } } } }),
    close: () => pool.end(),
  };
}

/**
 * Prisma 7: the generated client (generator `prisma-client`, loaded through
 * tsx since it is TypeScript) on the driver adapter @prisma/adapter-pg, which
 * opens its own pg.Pool (defaults) from the connection string; the default
 * relationLoadStrategy.
 */
async function prismaOrm(log) {
  const { PrismaClient } = await tsImport('./generated/prisma/client.ts', import.meta.url);
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: URL }),
    log: log ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (log) prisma.$on('query', (e) => console.log(`prisma 7: ${e.query} -- ${e.params.length > 200 ? `${e.params.slice(0, 200)}...` : e.params}`));
  await prisma.$connect();
  return {
    name: 'prisma 7',
    trivial: () => prisma.users.findMany(),
    async medium() {
      const users = await prisma.users.findMany({ where: { hair_color: 'black' }, include: { posts: true } });
      // The LEFT JOIN's shape: one pair per post, (user, null) for a user without one.
      const pairs = [];
      for (const user of users) {
        if (user.posts.length === 0) pairs.push({ user, post: null });
        else for (const post of user.posts) pairs.push({ user, post });
      }
      return pairs;
    },
    async insert(rows) {
      return (await prisma.users.createMany({ data: newUsers(rows) })).count;
    },
    associations: () => prisma.users.findMany({ include: { posts: { include: { comments: true } } } }),
    close: () => prisma.$disconnect(),
  };
}

// ---------------------------------------------------------------------------
// Normalized answers (bench/peers/src/rows.rs): sorted by id at every level.

const byKey = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const userRow = (u) => [u.id, u.name, u.hair_color];
const postRow = (p) => [p.id, p.user_id, p.title, p.body];
const commentRow = (c) => [c.id, c.post_id, c.text];

function normalize(c, answer) {
  switch (c.kind) {
    case 'trivial_query':
      return answer.map(userRow).sort((a, b) => a[0] - b[0]);
    case 'medium_complex_query':
      return answer
        .map((r) => {
          // Drizzle's leftJoin names the pair by table.
          const user = r.user ?? r.users;
          const post = r.user ? r.post : r.posts;
          return [userRow(user), post === null ? null : postRow(post)];
        })
        .sort((a, b) => a[0][0] - b[0][0] || byKey(a[1]?.[0] ?? -1, b[1]?.[0] ?? -1));
    case 'insert':
      return answer;
    case 'associations':
      return answer
        .map((u) => [
          userRow(u),
          u.posts
            .map((p) => [postRow(p), p.comments.map(commentRow).sort((a, b) => a[0] - b[0])])
            .sort((a, b) => a[0][0] - b[0][0]),
        ])
        .sort((a, b) => a[0][0] - b[0][0]);
  }
  throw new Error(`unknown case ${c.kind}`);
}

/** What the seeded data must give, checked on the baseline's answer. */
function expectedCount(c) {
  switch (c.kind) {
    case 'trivial_query':
      return c.rows;
    case 'medium_complex_query':
      return Math.ceil(c.rows / 2); // even indexes are black; no posts
    case 'insert':
      return c.rows;
    case 'associations':
      return ASSOCIATION_USERS;
  }
}

function run(lib, c) {
  switch (c.kind) {
    case 'trivial_query':
      return () => lib.trivial();
    case 'medium_complex_query':
      return () => lib.medium();
    case 'insert':
      return () => lib.insert(c.rows);
    case 'associations':
      return () => lib.associations();
  }
}

/** Runs the case once per library, untimed, and fails unless all agree. */
async function check(admin, c, libs) {
  let reference = null;
  for (const lib of libs) {
    let answer;
    if (c.kind === 'insert') {
      await empty(admin);
      const inserted = await lib.insert(c.rows);
      if (inserted !== c.rows) throw new Error(`${c.name}: ${lib.name} reported ${inserted} rows inserted`);
      answer = await userNames(admin);
      await empty(admin);
    } else {
      answer = normalize(c, await run(lib, c)());
    }
    if (answer.length !== expectedCount(c))
      throw new Error(`${c.name}: ${lib.name} returned ${answer.length} rows, expected ${expectedCount(c)}`);
    if (c.kind === 'associations') {
      const tree = answer.flatMap(([, posts]) => posts);
      if (tree.length !== ASSOCIATION_USERS * ASSOCIATION_FANOUT || tree.some(([, cs]) => cs.length !== ASSOCIATION_FANOUT))
        throw new Error(`${c.name}: ${lib.name} returned a tree of the wrong shape`);
    }
    const json = JSON.stringify(answer);
    if (reference === null) reference = { lib: lib.name, json };
    else if (json !== reference.json)
      throw new Error(
        `${c.name}: ${lib.name} disagrees with ${reference.lib}:\n  ${json.slice(0, 400)}\n  ${reference.json.slice(0, 400)}`,
      );
  }
}

// ---------------------------------------------------------------------------
// Pinning to one CPU (strata_bench::pin)

/** This process's threads and the bench database's backends on one CPU. */
class Pinned {
  static start(admin) {
    // Field 39 of /proc/self/stat: the CPU this process last ran on.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const cpu = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
    try {
      execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(cpu), String(process.pid)], {
        stdio: 'ignore',
      });
    } catch (e) {
      console.error(`not pinned (taskset on this process: ${e.message}); numbers will be noisier`);
      return null;
    }
    return new Pinned(admin, cpu);
  }

  constructor(admin, cpu) {
    this.admin = admin;
    this.cpu = cpu;
    this.pinned = new Set();
    this.failed = new Set();
  }

  /** Pins every client backend of the bench database not pinned yet (each library's pool's, and the admin's). */
  async pinBackends() {
    const { rows } = await this.admin.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'",
    );
    for (const { pid } of rows) {
      if (this.pinned.has(pid) || this.failed.has(pid)) continue;
      let comm;
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        continue; // exited since the listing
      }
      try {
        if (comm !== 'postgres') throw new Error(`/proc/${pid}/comm is ${comm}`);
        execFileSync('taskset', ['--pid', '--cpu-list', String(this.cpu), String(pid)], { stdio: 'ignore' });
        this.pinned.add(pid);
      } catch (e) {
        this.failed.add(pid);
        console.error(`backend ${pid} not pinned: ${e.message}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Timing (strata_bench::compare)

let sink; // keeps answers observable, so no work is optimized away

async function batch(fn, n, out) {
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    const value = await fn();
    const elapsed = process.hrtime.bigint() - start;
    sink = value;
    out.push(Number(elapsed));
  }
}

function median(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function p99(values) {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(0.99 * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

/**
 * A warm-up (at least 3 iterations and 100 ms per library), then ROUNDS
 * rounds in which every library runs a batch of n iterations, the first
 * rotating each round; `cleanup` runs after every batch, `prepare` before
 * the warm-up, after it and before every round, both untimed.
 */
async function compare(fns, cleanup, prepare) {
  await prepare();
  let slowest = 0;
  for (const fn of fns) {
    const scratch = [];
    const started = process.hrtime.bigint();
    while (scratch.length < 3 || Number(process.hrtime.bigint() - started) < WARMUP_NS) {
      await batch(fn, 1, scratch);
      await cleanup();
    }
    // The later half: the first iterations open connections and warm the JIT.
    slowest = Math.max(slowest, median(scratch.slice(Math.floor(scratch.length / 2))));
  }
  const n = Math.min(Math.max(slowest === 0 ? MAX_BATCH : Math.floor(BATCH_TARGET_NS / slowest), MIN_BATCH), MAX_BATCH);
  await prepare();
  const k = fns.length;
  const measured = fns.map(() => ({ samples: [], roundMedians: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    await prepare();
    for (let step = 0; step < k; step++) {
      const c = (round + step) % k;
      const before = measured[c].samples.length;
      await batch(fns[c], n, measured[c].samples);
      measured[c].roundMedians.push(median(measured[c].samples.slice(before)));
      await cleanup();
    }
  }
  return { measured, n };
}

// ---------------------------------------------------------------------------

async function main() {
  const admin = await connectAdmin();
  await ensureTables(admin);
  const libs = [nodePg(SHOW_SQL), drizzleOrm(SHOW_SQL), await prismaOrm(SHOW_SQL)];
  // Pinned for the whole run; seeding and checks are untimed.
  const pinned = PIN && !SHOW_SQL ? Pinned.start(admin) : null;
  const prepare = pinned ? () => pinned.pinBackends() : async () => {};
  const cases = CASES.filter((c) => c.name.includes(FILTER));
  if (cases.length === 0) throw new Error(`no case matches STRATA_BENCH_FILTER=${FILTER}`);

  const records = [];
  const table = [['case', 'library', 'median µs', 'p99 µs', '÷ node-pg', 'samples']];
  for (const c of cases) {
    await seed(admin, c);
    await check(admin, c, libs);
    if (SHOW_SQL) continue;
    const cleanup = c.kind === 'insert' ? () => empty(admin) : async () => {};
    const { measured, n } = await compare(
      libs.map((lib) => run(lib, c)),
      cleanup,
      prepare,
    );
    const base = measured[libs.findIndex((l) => l.name === BASELINE)];
    libs.forEach((lib, i) => {
      const m = measured[i];
      const isBase = lib.name === BASELINE;
      const ratio = isBase ? null : median(m.roundMedians.map((x, r) => x / base.roundMedians[r]));
      const record = {
        database: 'postgres',
        runtime: 'node',
        case: c.name,
        library: lib.name,
        median_us: median(m.samples) / 1e3,
        p99_us: p99(m.samples) / 1e3,
        samples: m.samples.length,
        round_ratio: ratio,
        baseline: isBase ? null : BASELINE,
      };
      records.push(record);
      table.push([
        c.name,
        lib.name,
        record.median_us.toFixed(1),
        record.p99_us.toFixed(1),
        ratio === null ? '' : `${ratio.toFixed(2)}x`,
        `${record.samples} (${n}x${ROUNDS})`,
      ]);
    });
    console.error(`${c.name}: done`);
  }
  await empty(admin);
  await admin.end();
  for (const lib of libs) await lib.close();
  if (SHOW_SQL) return;

  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
  for (const row of table)
    console.log(row.map((cell, col) => (col >= 2 ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  '));
  console.log(`wrote ${records.length} records to ${OUT}`);
}

await main();
