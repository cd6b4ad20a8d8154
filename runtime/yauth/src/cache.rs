//! The Redis decorator (`YAuthBuilder::with_redis`, feature `redis`): repositories whose hot
//! reads come from Redis, shared by every replica. The database stays the source of truth.
//!
//! **Cached reads**: the session check (`check_session`, by token hash), the API-key lookup
//! (`find_api_key`, by key hash) and the user by id (`get_user`, behind bearer tokens and
//! API keys). An entry lives at most [`RedisConfig::max_ttl`], and never past the session's or
//! key's own expiry (checked again on every hit).
//!
//! **Invalidation** happens in the write itself, in this decorator, so no caller can forget
//! it. Every write that changes a user, ends their sessions or keys, or changes their MFA
//! (`ban_user`, `unban_user`, `update_user_*`, `set_email_verified`, `delete_user`,
//! `delete_user_session(s)`, `delete_other_user_sessions`, `delete_user_api_key(s)`,
//! `reset_password`, `change_password`, the TOTP writes) records the user's invalidation
//! time, read from Redis's own clock. An entry is stored and used only if the database read
//! behind it began after that time (the start is also read from Redis's clock, in the
//! lookup that missed), so a read racing a ban can never store a stale entry that survives
//! it; a fill whose read began more than 30 s earlier is dropped. Ending one session by
//! token (logout) or by id leaves a short-lived tombstone that no racing fill may
//! overwrite. The invalidation is armed before the write and runs in a task of its own if
//! the request is dropped meanwhile. A session's or key's last-use write drops its entry (a
//! fresh one is read at the next request).
//!
//! **Held in Redis**: rate-limit counters (one script: the increment, and on the first hit
//! a window timed by Redis's clock; a counter the database kept while Redis was away is
//! carried into Redis's window), and the WebAuthn ceremony state and pending MFA sign-ins
//! (with their expiry; an attempt is counted atomically; a state is consumed once, by one
//! script's delete, and only if it is of the current generation). A session entry of an
//! impersonation also dies with an invalidation of the impersonating admin.
//!
//! **Redis down**: every call has a timeout ([`RedisConfig::timeout`]); on a lost
//! connection or a timeout the operation goes to the database, Redis is left alone for a
//! second (a circuit breaker), and the change of state is logged once, not per request.
//! State and counters written meanwhile live in the database and are still found there; a
//! state insert that failed is deleted from Redis (in case it landed late) before it goes
//! to the database. An invalidation (or a deletion) that could not reach Redis makes this
//! process bump a global generation as soon as Redis answers again (at its next lookup, or
//! from a task that retries every second), which voids every entry and every held state;
//! until then it reads from the database. Another replica that never lost Redis keeps its
//! entries for at most `max_ttl`: that bounds how long a change made during an outage can
//! go unseen.
//!
//! Needs Redis 6.2 or later (`PXAT`). Redis is trusted: whoever can write to it can forge a
//! session. Use AUTH, TLS or a
//! private network, and a `maxmemory-policy` of `noeviction` (an evicted invalidation
//! record would let an entry live up to `max_ttl`). Clock steps on the Redis host (a
//! failover to a host whose clock is behind) can void or, for a moment, revive entries.
//!
//! Keys: `<prefix>s:<hash>` (session), `<prefix>k:<hash>` (API key), `<prefix>u:<id>` (user),
//! `<prefix>inv:<user id>`, `<prefix>gen`, `<prefix>rl:<key>`, `<prefix>wc:<id>`,
//! `<prefix>mp…:…` (pending sign-ins). Not for Redis Cluster (the scripts touch keys they
//! compute).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::entity::*;

/// How yauth uses Redis.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// Put before every key, so several applications can share one Redis (default `yauth:`).
    pub prefix: String,
    /// The longest a cached read lives (default 60 s): also the bound on how long a change
    /// made while Redis was unreachable, or made in the database behind yauth's back, can go
    /// unseen.
    pub max_ttl: Duration,
    /// How long one Redis call may take before the operation goes to the database instead
    /// (default 250 ms).
    pub timeout: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            prefix: "yauth:".into(),
            max_ttl: Duration::from_secs(60),
            timeout: Duration::from_millis(250),
        }
    }
}

/// How long a tombstone keeps a racing read from storing what was just deleted: longer than
/// [`MAX_READ_AGE_US`], past which no fill is accepted.
const TOMBSTONE_MS: u64 = 120_000;

/// A fill whose database read began longer ago than this (µs, Redis's clock) is dropped:
/// an invalidation that may have come after its read is still on record then (they live
/// `max_ttl` + 60 s).
const MAX_READ_AGE_US: u64 = 30_000_000;

/// After a failed call, Redis is left alone for this long (a circuit breaker: a Redis that
/// drops packets would otherwise cost every operation the whole timeout).
const BREAK_MS: u64 = 1_000;

/// Looks an entry up. Answers `{"hit", payload}`, `{"gone"}` (a tombstone) or
/// `{"miss", now_us, gen}`: Redis's clock before the database read, and the generation the
/// fill must carry. An entry is `users|read_at_us|gen|payload` (`users`: the user, and for
/// an impersonation session also the admin, comma-separated); one older than an invalidation
/// of any of them, or of another generation, is deleted and missed.
const LOOKUP: &str = r"
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]))
local gen = redis.call('GET', KEYS[2]) or '0'
local v = redis.call('GET', KEYS[1])
if not v then return {'miss', now, gen} end
if v == 'x' then return {'gone'} end
local a = string.find(v, '|', 1, true)
local b = a and string.find(v, '|', a + 1, true)
local c = b and string.find(v, '|', b + 1, true)
if not c then redis.call('DEL', KEYS[1]) return {'miss', now, gen} end
local inv = 0
for user in string.gmatch(string.sub(v, 1, a - 1), '[^,]+') do
  inv = math.max(inv, tonumber(redis.call('GET', ARGV[1] .. user) or '0'))
end
if string.sub(v, b + 1, c - 1) ~= gen or tonumber(string.sub(v, a + 1, b - 1)) <= inv then
  redis.call('DEL', KEYS[1])
  return {'miss', now, gen}
end
return {'hit', string.sub(v, c + 1)}
";

/// Stores what a missed lookup read (KEYS: entry, gen, the users' invalidations (two; the
/// same twice for one user), the id mapping; ARGV: users, read_at, gen, payload, ttl_ms,
/// mapped hash or '', max read age),
/// unless the generation moved, the user was invalidated after the read began, the read is
/// too old, or something (a tombstone, a racing fill) is already there.
const FILL: &str = r"
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local read_at = tonumber(ARGV[2])
if now - read_at > tonumber(ARGV[7]) then return 0 end
if read_at <= tonumber(redis.call('GET', KEYS[3]) or '0') then return 0 end
if read_at <= tonumber(redis.call('GET', KEYS[4]) or '0') then return 0 end
local stored = redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4], 'NX', 'PX', ARGV[5])
if stored and ARGV[6] ~= '' then redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[5]) end
return 1
";

/// Records a user's invalidation time (Redis's clock, microseconds).
const INVALIDATE: &str = r"
local t = redis.call('TIME')
redis.call('SET', KEYS[1], string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2])), 'PX', ARGV[1])
return 1
";

/// Drops the entry an id maps to (`sid:<id>` → the session's hash), unless it is a tombstone.
const FORGET_MAPPED: &str = r"
local h = redis.call('GET', KEYS[1])
if h then
  local key = ARGV[1] .. h
  local v = redis.call('GET', key)
  if v and v ~= 'x' then redis.call('DEL', key) end
end
return 1
";

/// Counts a hit in a fixed window of ARGV[1] ms that starts, by Redis's clock, at the first
/// hit: `{count, start_ms, end_ms}`.
const HIT: &str = r"
local n = redis.call('HINCRBY', KEYS[1], 'c', 1)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('HSET', KEYS[1], 's', string.format('%.0f', now), 'e', string.format('%.0f', now + tonumber(ARGV[1])))
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
redis.call('HSETNX', KEYS[1], 's', string.format('%.0f', now))
return {n, redis.call('HGET', KEYS[1], 's'), redis.call('HGET', KEYS[1], 'e') or '0'}
";

/// Carries a database counter (written while Redis was down) into Redis's window: adds
/// ARGV[1] hits and ends the window ARGV[2] ms from now, as the database's does. Answers
/// `{count, start_ms, end_ms}`.
const SEED: &str = r"
local n = redis.call('HINCRBY', KEYS[1], 'c', ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSETNX', KEYS[1], 's', string.format('%.0f', now))
redis.call('HSET', KEYS[1], 'e', string.format('%.0f', now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {n, redis.call('HGET', KEYS[1], 's'), redis.call('HGET', KEYS[1], 'e')}
";

/// Stores ceremony state as `gen|json` until ARGV[2] (ms since the epoch).
const PUT: &str = r"
redis.call('SET', KEYS[1], (redis.call('GET', KEYS[2]) or '0') .. '|' .. ARGV[1], 'PXAT', ARGV[2])
return 1
";

/// Reads ceremony state stored by PUT, if it is of the current generation.
const FIND: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local a = string.find(v, '|', 1, true)
if not a or string.sub(v, 1, a - 1) ~= (redis.call('GET', KEYS[2]) or '0') then return false end
return string.sub(v, a + 1)
";

/// Deletes ceremony state stored by PUT: 1 only if it was of the current generation (a
/// voided copy is deleted but not consumed).
const TAKE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
redis.call('DEL', KEYS[1])
local a = string.find(v, '|', 1, true)
if not a or string.sub(v, 1, a - 1) ~= (redis.call('GET', KEYS[2]) or '0') then return 0 end
return 1
";

/// Stores a pending sign-in (KEYS: mp:<hash>, mpi:<id>, mpa:<id>, mpu:<user>, gen; ARGV:
/// json, hash, attempts, expiry ms, id).
const MFA_PUT: &str = r"
local gen = redis.call('GET', KEYS[5]) or '0'
redis.call('SET', KEYS[1], gen .. '|' .. ARGV[1], 'PXAT', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PXAT', ARGV[4])
redis.call('SET', KEYS[3], ARGV[3], 'PXAT', ARGV[4])
redis.call('SADD', KEYS[4], ARGV[5])
redis.call('PEXPIREAT', KEYS[4], ARGV[4])
return 1
";

/// Counts an MFA attempt on a pending sign-in held here: the new count, or nil.
const MFA_ATTEMPT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return false end
return redis.call('INCR', KEYS[2])
";

/// Deletes pending sign-ins (keys under the prefix ARGV[1]): those whose ids are ARGV[2..],
/// and, when KEYS[1] names a user's set, every one in it (and the set). Answers how many
/// existed in the current generation.
const MFA_DELETE: &str = r"
local gen = redis.call('GET', ARGV[1] .. 'gen') or '0'
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if KEYS[1] then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do ids[#ids + 1] = id end
  redis.call('DEL', KEYS[1])
end
local n = 0
for _, id in ipairs(ids) do
  local h = redis.call('GET', ARGV[1] .. 'mpi:' .. id)
  if h then
    local v = redis.call('GET', ARGV[1] .. 'mp:' .. h)
    local a = v and string.find(v, '|', 1, true)
    if a and string.sub(v, 1, a - 1) == gen then n = n + 1 end
    redis.call('DEL', ARGV[1] .. 'mp:' .. h, ARGV[1] .. 'mpi:' .. id, ARGV[1] .. 'mpa:' .. id)
  end
end
return n
";

struct Scripts {
    lookup: redis::Script,
    fill: redis::Script,
    invalidate: redis::Script,
    forget_mapped: redis::Script,
    hit: redis::Script,
    seed: redis::Script,
    put: redis::Script,
    find: redis::Script,
    take: redis::Script,
    mfa_put: redis::Script,
    mfa_attempt: redis::Script,
    mfa_delete: redis::Script,
}

/// The shared Redis side of every decorated repository.
#[derive(Clone)]
struct Cache {
    conn: ConnectionManager,
    config: Arc<RedisConfig>,
    scripts: Arc<Scripts>,
    /// Redis failed last time (logged once per change).
    down: Arc<AtomicBool>,
    /// Milliseconds since [`epoch`] before which Redis is not tried again.
    broken_until: Arc<AtomicU64>,
    /// An invalidation was lost: bump the generation before trusting any entry.
    dirty: Arc<AtomicBool>,
    /// A task retries the bump.
    retrying: Arc<AtomicBool>,
    /// Rate-limit keys counted in the database while Redis was away: carried into Redis at
    /// their next hit there.
    counted_apart: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

/// The process's reference point for the circuit breaker.
fn epoch() -> &'static Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now)
}

fn since_epoch_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

enum Lookup {
    Hit(String),
    Gone,
    /// Redis's clock (µs) before the database read, and the generation to store.
    Miss(String, String),
    /// Redis did not answer: read the database, store nothing.
    Unavailable,
}

/// What must reach Redis after a write, even if the request is dropped meanwhile.
enum Void {
    User(Uuid),
    Tombstone(String),
}

/// Runs a [`Void`] when the write is done; if the future is dropped first (the client went
/// away), a task of its own runs it, so a committed change is never left cached.
struct Voiding {
    cache: Cache,
    void: Option<Void>,
}

impl Voiding {
    async fn finish(mut self) {
        if let Some(void) = &self.void {
            self.cache.void(void).await;
        }
        // Done: nothing left for the drop (had this future been dropped during the await
        // above, the drop would have run it again).
        self.void = None;
    }
}

impl Drop for Voiding {
    fn drop(&mut self) {
        if let Some(void) = self.void.take() {
            let cache = self.cache.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    // The write may still commit after the first run: run it again later.
                    runtime.spawn(async move {
                        cache.void(&void).await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        cache.void(&void).await;
                    });
                }
                Err(_) => cache.dirty.store(true, Ordering::Relaxed),
            }
        }
    }
}

impl Cache {
    fn key(&self, kind: &str, id: impl std::fmt::Display) -> String {
        format!("{}{kind}:{id}", self.config.prefix)
    }

    fn gen_key(&self) -> String {
        format!("{}gen", self.config.prefix)
    }

    /// Runs one Redis call under the timeout; `None` (logged on the change) when it fails,
    /// or at once while the breaker is open.
    async fn run<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        if since_epoch_ms() < self.broken_until.load(Ordering::Relaxed) {
            return None;
        }
        self.run_always(what, call).await
    }

    /// [`Cache::run`] even while the breaker is open: for the clean-up of a write that may
    /// have landed late. Only a lost connection or a timeout opens the breaker; an answer
    /// that does not parse fails this call alone.
    async fn run_always<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        let outcome = match tokio::time::timeout(self.config.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e))
                if !(e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()) =>
            {
                tracing::warn!(operation = what, error = %e, "Redis refused a command");
                return None;
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".to_string()),
        };
        match outcome {
            Ok(value) => {
                if self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again; its cache is back in use");
                }
                Some(value)
            }
            Err(error) => {
                self.broken_until
                    .store(since_epoch_ms() + BREAK_MS, Ordering::Relaxed);
                if !self.down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        operation = what,
                        %error,
                        "Redis is unavailable: yauth reads and writes the database instead"
                    );
                }
                None
            }
        }
    }

    /// Voids every entry after a lost invalidation; false while that has not succeeded.
    async fn ready(&self) -> bool {
        // Taken before the bump: an invalidation lost meanwhile sets it again.
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return true;
        }
        let mut conn = self.conn.clone();
        let gen_key = self.gen_key();
        let bumped = self
            .run("bump generation", async move {
                redis::cmd("INCR")
                    .arg(gen_key)
                    .query_async::<i64>(&mut conn)
                    .await
            })
            .await;
        if bumped.is_some() {
            tracing::info!("every cached entry was voided after a lost invalidation");
        } else {
            self.dirty.store(true, Ordering::Relaxed);
        }
        bumped.is_some()
    }

    async fn lookup(&self, key: &str) -> Lookup {
        if !self.ready().await {
            return Lookup::Unavailable;
        }
        let mut conn = self.conn.clone();
        let mut call = self.scripts.lookup.key(key);
        call.key(self.gen_key())
            .arg(format!("{}inv:", self.config.prefix));
        let Some(answer) = self
            .run("lookup", call.invoke_async::<Vec<String>>(&mut conn))
            .await
        else {
            return Lookup::Unavailable;
        };
        let mut parts = answer.into_iter();
        match (parts.next().as_deref(), parts.next(), parts.next()) {
            (Some("hit"), Some(payload), _) => Lookup::Hit(payload),
            (Some("gone"), _, _) => Lookup::Gone,
            (Some("miss"), Some(now), Some(generation)) => Lookup::Miss(now, generation),
            _ => Lookup::Unavailable,
        }
    }

    /// Stores what a missed lookup read (see [`FILL`] for when it does not).
    async fn fill<T: Serialize>(
        &self,
        key: &str,
        (user, other): (Uuid, Option<Uuid>),
        (read_at, generation): (String, String),
        value: &T,
        ttl: Duration,
        mapping: Option<(String, &str)>,
    ) {
        let Ok(payload) = serde_json::to_string(value) else {
            return;
        };
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let (map_key, hash) = mapping.unwrap_or_else(|| (key.to_owned(), ""));
        let users = match other {
            Some(other) => format!("{user},{other}"),
            None => user.to_string(),
        };
        let mut call = self.scripts.fill.key(key);
        call.key(self.gen_key())
            .key(self.key("inv", user))
            .key(self.key("inv", other.unwrap_or(user)))
            .key(map_key)
            .arg(users)
            .arg(read_at)
            .arg(generation)
            .arg(payload)
            .arg(ttl_ms)
            .arg(hash)
            .arg(MAX_READ_AGE_US);
        let mut conn = self.conn.clone();
        self.run("fill", call.invoke_async::<i64>(&mut conn)).await;
    }

    /// The TTL of an entry that must not outlive `expires_at`; `None` when it already has.
    fn ttl_until(&self, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Duration> {
        match expires_at {
            None => Some(self.config.max_ttl),
            Some(at) => (at - now)
                .to_std()
                .ok()
                .filter(|d| !d.is_zero())
                .map(|d| d.min(self.config.max_ttl)),
        }
    }

    /// Runs `write`, then `void`; armed before the write, so that it also runs (in a task
    /// of its own) if the caller is dropped first.
    async fn after<T>(&self, void: Void, write: impl Future<Output = T>) -> T {
        let voiding = Voiding {
            cache: self.clone(),
            void: Some(void),
        };
        let result = write.await;
        voiding.finish().await;
        result
    }

    async fn void(&self, void: &Void) {
        let done = match void {
            Void::User(user) => {
                let user = *user;
                // Kept past the longest an entry, or a fill's read, can be older than it.
                let ttl =
                    u64::try_from(self.config.max_ttl.as_millis()).unwrap_or(u64::MAX) + 60_000;
                let mut call = self.scripts.invalidate.key(self.key("inv", user));
                call.arg(ttl);
                let mut conn = self.conn.clone();
                self.run("invalidate", call.invoke_async::<i64>(&mut conn))
                    .await
                    .is_some()
            }
            Void::Tombstone(key) => {
                let key = key.clone();
                let mut conn = self.conn.clone();
                self.run("tombstone", async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg("x")
                        .arg("PX")
                        .arg(TOMBSTONE_MS)
                        .query_async::<()>(&mut conn)
                        .await
                })
                .await
                .is_some()
            }
        };
        if !done {
            self.lost();
        }
    }

    /// Drops the entry that `map_key` points to (after a last-use write).
    async fn forget_mapped(&self, map_key: String, kind: &str) {
        let mut conn = self.conn.clone();
        let mut call = self.scripts.forget_mapped.key(map_key);
        call.arg(format!("{}{kind}:", self.config.prefix));
        self.run("forget", call.invoke_async::<i64>(&mut conn))
            .await;
    }

    /// Ceremony state stored by [`Cache::put_until`]: `None` when Redis did not answer,
    /// `Some(None)` when it holds nothing current under `key`.
    async fn find_state<T: DeserializeOwned>(&self, key: String) -> Option<Option<T>> {
        if !self.ready().await {
            return None;
        }
        let mut conn = self.conn.clone();
        let mut call = self.scripts.find.key(key);
        call.key(self.gen_key());
        let value = self
            .run("find", call.invoke_async::<Option<String>>(&mut conn))
            .await?;
        Some(value.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Stores ceremony state until `expires_at`; false when Redis did not take it (then
    /// the key is deleted, best effort, in case a late write lands: the state must live in
    /// one place only, or it could be consumed twice).
    async fn put_until<T: Serialize>(
        &self,
        key: String,
        value: &T,
        expires_at: DateTime<Utc>,
    ) -> bool {
        let Ok(json) = serde_json::to_string(value) else {
            return false;
        };
        let mut conn = self.conn.clone();
        let mut call = self.scripts.put.key(&key);
        call.key(self.gen_key())
            .arg(json)
            .arg(expires_at.timestamp_millis().max(1));
        if self
            .run("put", call.invoke_async::<i64>(&mut conn))
            .await
            .is_some()
        {
            return true;
        }
        let mut conn = self.conn.clone();
        let removed = self
            .run_always("delete", async move {
                redis::cmd("DEL")
                    .arg(key)
                    .query_async::<u64>(&mut conn)
                    .await
            })
            .await;
        if removed.is_none() {
            // If it landed after all, the next generation voids it.
            self.lost();
        }
        false
    }

    /// Notes that `key` was counted in the database (at most 10,000 keys are remembered; a
    /// key forgotten is carried over when Redis opens its next window).
    fn count_apart(&self, key: &str) {
        if let Ok(mut keys) = self.counted_apart.lock()
            && keys.len() < 10_000
        {
            keys.insert(key.to_owned());
        }
    }

    /// Whether `key` was counted in the database since Redis last carried it over.
    fn counted_apart_taken(&self, key: &str) -> bool {
        self.counted_apart
            .lock()
            .is_ok_and(|mut keys| !keys.is_empty() && keys.remove(key))
    }

    /// A change could not reach Redis: the generation is bumped as soon as Redis answers,
    /// by the next lookup or by a task that retries every second.
    fn lost(&self) {
        self.dirty.store(true, Ordering::Relaxed);
        if self.retrying.swap(true, Ordering::Relaxed) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.retrying.store(false, Ordering::Relaxed);
            return;
        };
        let cache = self.clone();
        runtime.spawn(async move {
            while cache.dirty.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(BREAK_MS)).await;
                cache.ready().await;
            }
            cache.retrying.store(false, Ordering::Relaxed);
        });
    }

    async fn del(&self, keys: Vec<String>) -> Option<u64> {
        let mut conn = self.conn.clone();
        self.run("delete", async move {
            redis::cmd("DEL")
                .arg(keys)
                .query_async::<u64>(&mut conn)
                .await
        })
        .await
    }
}

/// Wraps `inner` so that the hot reads, the counters and the ceremony state go through Redis.
pub(crate) fn cached(
    inner: &Repositories,
    conn: ConnectionManager,
    config: RedisConfig,
) -> Repositories {
    let cache = Cache {
        conn,
        config: Arc::new(config),
        scripts: Arc::new(Scripts {
            lookup: redis::Script::new(LOOKUP),
            fill: redis::Script::new(FILL),
            invalidate: redis::Script::new(INVALIDATE),
            forget_mapped: redis::Script::new(FORGET_MAPPED),
            hit: redis::Script::new(HIT),
            seed: redis::Script::new(SEED),
            put: redis::Script::new(PUT),
            find: redis::Script::new(FIND),
            take: redis::Script::new(TAKE),
            mfa_put: redis::Script::new(MFA_PUT),
            mfa_attempt: redis::Script::new(MFA_ATTEMPT),
            mfa_delete: redis::Script::new(MFA_DELETE),
        }),
        down: Arc::new(AtomicBool::new(false)),
        broken_until: Arc::new(AtomicU64::new(0)),
        dirty: Arc::new(AtomicBool::new(false)),
        retrying: Arc::new(AtomicBool::new(false)),
        counted_apart: Arc::default(),
    };
    let mut repos = inner.clone();
    repos.users = Arc::new(Cached::new(inner.users.clone(), &cache));
    repos.sessions = Arc::new(Cached::new(inner.sessions.clone(), &cache));
    repos.api_keys = Arc::new(Cached::new(inner.api_keys.clone(), &cache));
    repos.rate_limits = Arc::new(Cached::new(inner.rate_limits.clone(), &cache));
    repos.webauthn_challenges = Arc::new(Cached::new(inner.webauthn_challenges.clone(), &cache));
    repos.mfa_pending_logins = Arc::new(Cached::new(inner.mfa_pending_logins.clone(), &cache));
    repos.totp_secrets = Arc::new(Cached::new(inner.totp_secrets.clone(), &cache));
    repos.composite = Arc::new(Cached::new(inner.composite.clone(), &cache));
    repos
}

struct Cached<T: ?Sized> {
    inner: Arc<T>,
    cache: Cache,
}

impl<T: ?Sized> Cached<T> {
    fn new(inner: Arc<T>, cache: &Cache) -> Self {
        Cached {
            inner,
            cache: cache.clone(),
        }
    }
}

/// The users whose invalidation voids an entry: the owner, and an impersonating admin.
type Users = (Uuid, Option<Uuid>);

/// Reads through the cache: a hit answers from Redis; a miss reads the database and stores
/// what it found (`user` and `ttl` say under which user and for how long).
async fn read_through<V, R, U>(
    cache: &Cache,
    key: &str,
    read: R,
    store: impl FnOnce(&V) -> Option<(Users, Duration, Option<(String, String)>)>,
) -> Result<Option<V>, RepoError>
where
    V: Serialize + DeserializeOwned,
    R: FnOnce() -> U,
    U: Future<Output = Result<Option<V>, RepoError>>,
{
    let stamp = match cache.lookup(key).await {
        Lookup::Hit(payload) => match serde_json::from_str(&payload) {
            Ok(value) => return Ok(Some(value)),
            Err(_) => None,
        },
        Lookup::Gone => return Ok(None),
        Lookup::Miss(now, generation) => Some((now, generation)),
        Lookup::Unavailable => None,
    };
    let found = read().await?;
    if let (Some(stamp), Some(value)) = (stamp, &found)
        && let Some((user, ttl, mapping)) = store(value)
    {
        let mapping = mapping.as_ref().map(|(k, h)| (k.clone(), h.as_str()));
        cache.fill(key, user, stamp, value, ttl, mapping).await;
    }
    Ok(found)
}

#[async_trait]
impl UsersRepository for Cached<dyn UsersRepository> {
    async fn insert_user(&self, row: &User) -> Result<(), RepoError> {
        self.inner.insert_user(row).await
    }

    async fn get_user(&self, id: Uuid) -> Result<Option<User>, RepoError> {
        let key = self.cache.key("u", id);
        let max_ttl = self.cache.config.max_ttl;
        read_through(
            &self.cache,
            &key,
            || self.inner.get_user(id),
            |user: &User| Some(((user.id, None), max_ttl, None)),
        )
        .await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, RepoError> {
        self.inner.find_user_by_email(email).await
    }

    async fn list_users(&self, limit: u64, offset: u64) -> Result<Vec<User>, RepoError> {
        self.inner.list_users(limit, offset).await
    }

    async fn count_users(&self) -> Result<u64, RepoError> {
        self.inner.count_users().await
    }

    async fn search_users(
        &self,
        search: &str,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<User>, RepoError> {
        self.inner.search_users(search, limit, offset).await
    }

    async fn count_search_users(&self, search: &str) -> Result<u64, RepoError> {
        self.inner.count_search_users(search).await
    }

    async fn update_user_profile(
        &self,
        extra: &serde_json::Map<String, serde_json::Value>,
        display_name: Option<&str>,
        updated_at: DateTime<Utc>,
        id: Uuid,
    ) -> Result<(), RepoError> {
        self.cache
            .after(
                Void::User(id),
                self.inner
                    .update_user_profile(extra, display_name, updated_at, id),
            )
            .await
    }

    fn extra_columns(&self) -> &'static [ExtraColumn] {
        self.inner.extra_columns()
    }

    async fn update_user_admin(
        &self,
        display_name: Option<&str>,
        role: &str,
        email_verified: bool,
        updated_at: DateTime<Utc>,
        id: Uuid,
    ) -> Result<(), RepoError> {
        self.cache
            .after(
                Void::User(id),
                self.inner
                    .update_user_admin(display_name, role, email_verified, updated_at, id),
            )
            .await
    }

    async fn set_email_verified(
        &self,
        updated_at: DateTime<Utc>,
        id: Uuid,
    ) -> Result<(), RepoError> {
        self.cache
            .after(
                Void::User(id),
                self.inner.set_email_verified(updated_at, id),
            )
            .await
    }

    async fn ban_user(
        &self,
        banned_reason: Option<&str>,
        banned_until: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
        id: Uuid,
    ) -> Result<(), RepoError> {
        self.cache
            .after(
                Void::User(id),
                self.inner
                    .ban_user(banned_reason, banned_until, updated_at, id),
            )
            .await
    }

    async fn unban_user(&self, updated_at: DateTime<Utc>, id: Uuid) -> Result<(), RepoError> {
        self.cache
            .after(Void::User(id), self.inner.unban_user(updated_at, id))
            .await
    }

    async fn delete_user(&self, id: Uuid) -> Result<u64, RepoError> {
        self.cache
            .after(Void::User(id), self.inner.delete_user(id))
            .await
    }
}

#[async_trait]
impl SessionsRepository for Cached<dyn SessionsRepository> {
    async fn insert_session(&self, row: &Session) -> Result<(), RepoError> {
        self.inner.insert_session(row).await
    }

    async fn check_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, RepoError> {
        let key = self.cache.key("s", token_hash);
        let cache = &self.cache;
        let found = read_through(
            cache,
            &key,
            || self.inner.check_session(token_hash, now),
            |(session, user): &(Session, User)| {
                let ttl = cache.ttl_until(Some(session.expires_at), now)?;
                Some((
                    (user.id, session.impersonator_id),
                    ttl,
                    Some((cache.key("sid", session.id), session.token_hash.clone())),
                ))
            },
        )
        .await?;
        // A cached session is live only until its own expiry, as the query's filter says.
        Ok(found.filter(|(session, _)| session.expires_at > now))
    }

    async fn get_session(&self, id: Uuid) -> Result<Option<Session>, RepoError> {
        self.inner.get_session(id).await
    }

    async fn list_user_sessions(&self, user_id: Uuid) -> Result<Vec<Session>, RepoError> {
        self.inner.list_user_sessions(user_id).await
    }

    async fn list_sessions(&self, limit: u64, offset: u64) -> Result<Vec<Session>, RepoError> {
        self.inner.list_sessions(limit, offset).await
    }

    async fn count_sessions(&self) -> Result<u64, RepoError> {
        self.inner.count_sessions().await
    }

    async fn touch_session(
        &self,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        id: Uuid,
    ) -> Result<(), RepoError> {
        let result = self.inner.touch_session(last_seen_at, expires_at, id).await;
        // The cached row's last use is now stale: read a fresh one at the next request.
        self.cache
            .forget_mapped(self.cache.key("sid", id), "s")
            .await;
        result
    }

    async fn delete_session(&self, id: Uuid) -> Result<u64, RepoError> {
        let Some(session) = self.inner.get_session(id).await? else {
            return self.inner.delete_session(id).await;
        };
        self.cache
            .after(
                Void::Tombstone(self.cache.key("s", &session.token_hash)),
                self.inner.delete_session(id),
            )
            .await
    }

    async fn delete_user_session(&self, id: Uuid, user_id: Uuid) -> Result<u64, RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner.delete_user_session(id, user_id),
            )
            .await
    }

    async fn delete_session_by_token(&self, token_hash: &str) -> Result<u64, RepoError> {
        self.cache
            .after(
                Void::Tombstone(self.cache.key("s", token_hash)),
                self.inner.delete_session_by_token(token_hash),
            )
            .await
    }

    async fn delete_user_sessions(&self, user_id: Uuid) -> Result<u64, RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner.delete_user_sessions(user_id),
            )
            .await
    }

    async fn delete_other_user_sessions(
        &self,
        user_id: Uuid,
        keep: Uuid,
    ) -> Result<u64, RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner.delete_other_user_sessions(user_id, keep),
            )
            .await
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, RepoError> {
        // Entries never outlive their session: nothing cached is affected.
        self.inner.delete_expired_sessions(now).await
    }
}

#[async_trait]
impl ApiKeysRepository for Cached<dyn ApiKeysRepository> {
    async fn insert_api_key(&self, row: &ApiKey) -> Result<(), RepoError> {
        self.inner.insert_api_key(row).await
    }

    async fn list_user_api_keys(&self, user_id: Uuid) -> Result<Vec<ApiKey>, RepoError> {
        self.inner.list_user_api_keys(user_id).await
    }

    async fn count_user_api_keys(&self, user_id: Uuid) -> Result<u64, RepoError> {
        self.inner.count_user_api_keys(user_id).await
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<(ApiKey, User)>, RepoError> {
        let key = self.cache.key("k", key_hash);
        let cache = &self.cache;
        let now = Utc::now();
        read_through(
            cache,
            &key,
            || self.inner.find_api_key(key_hash),
            |(api_key, user): &(ApiKey, User)| {
                let ttl = cache.ttl_until(api_key.expires_at, now)?;
                Some((
                    (user.id, None),
                    ttl,
                    Some((cache.key("kid", api_key.id), api_key.key_hash.clone())),
                ))
            },
        )
        .await
    }

    async fn touch_api_key(
        &self,
        last_used_at: Option<DateTime<Utc>>,
        id: Uuid,
        stale_before: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let result = self
            .inner
            .touch_api_key(last_used_at, id, stale_before)
            .await;
        self.cache
            .forget_mapped(self.cache.key("kid", id), "k")
            .await;
        result
    }

    async fn delete_user_api_key(&self, id: Uuid, user_id: Uuid) -> Result<u64, RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner.delete_user_api_key(id, user_id),
            )
            .await
    }

    async fn delete_user_api_keys(&self, user_id: Uuid) -> Result<u64, RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner.delete_user_api_keys(user_id),
            )
            .await
    }
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[async_trait]
impl RateLimitsRepository for Cached<dyn RateLimitsRepository> {
    async fn get_rate_limit(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RateLimit>, RepoError> {
        let mut conn = self.cache.conn.clone();
        let redis_key = self.cache.key("rl", key);
        let read = self
            .cache
            .run("rate limit", async move {
                redis::cmd("HMGET")
                    .arg(redis_key)
                    .arg("c")
                    .arg("s")
                    .arg("e")
                    .query_async::<(Option<i64>, Option<i64>, Option<i64>)>(&mut conn)
                    .await
            })
            .await;
        match read {
            Some((Some(count), Some(start), Some(end))) if from_millis(end) > now => {
                Ok(Some(RateLimit {
                    key: key.to_owned(),
                    window_start: from_millis(start),
                    count: i32::try_from(count).unwrap_or(i32::MAX),
                    expires_at: from_millis(end),
                }))
            }
            // Nothing live in Redis: a counter kept while Redis was away may be.
            _ => self.inner.get_rate_limit(key, now).await,
        }
    }

    async fn delete_rate_limit(&self, key: &str) -> Result<u64, RepoError> {
        let in_redis = self
            .cache
            .del(vec![self.cache.key("rl", key)])
            .await
            .unwrap_or(0);
        // Counters written while Redis was down live in the database.
        Ok(in_redis + self.inner.delete_rate_limit(key).await?)
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_end: DateTime<Utc>,
    ) -> Result<RateLimit, RepoError> {
        let redis_key = self.cache.key("rl", key);
        let window_ms = (window_end - now).num_milliseconds().max(1);
        let mut conn = self.cache.conn.clone();
        let mut call = self.cache.scripts.hit.key(&redis_key);
        call.arg(window_ms);
        let Some(mut hit) = self
            .cache
            .run(
                "rate limit",
                call.invoke_async::<(i64, i64, i64)>(&mut conn),
            )
            .await
        else {
            self.cache.count_apart(key);
            return self.inner.hit_rate_limit(key, now, window_end).await;
        };
        let counted_apart = self.cache.counted_apart_taken(key);
        if hit.0 == 1 || counted_apart {
            // A window Redis just opened: hits the database counted while Redis was away
            // still count, until that window's end.
            if let Some(row) = self.inner.get_rate_limit(key, now).await?
                && row.count > 0
            {
                let left_ms = (row.expires_at - now).num_milliseconds().max(1);
                let mut call = self.cache.scripts.seed.key(&redis_key);
                call.arg(row.count).arg(left_ms);
                if let Some(seeded) = self
                    .cache
                    .run(
                        "rate limit",
                        call.invoke_async::<(i64, i64, i64)>(&mut conn),
                    )
                    .await
                {
                    hit = seeded;
                }
            }
        }
        let (count, start, end) = hit;
        Ok(RateLimit {
            key: key.to_owned(),
            window_start: from_millis(start),
            count: i32::try_from(count).unwrap_or(i32::MAX),
            expires_at: from_millis(end),
        })
    }

    async fn delete_expired_rate_limits(&self, now: DateTime<Utc>) -> Result<u64, RepoError> {
        self.inner.delete_expired_rate_limits(now).await
    }
}

#[async_trait]
impl WebauthnChallengesRepository for Cached<dyn WebauthnChallengesRepository> {
    async fn insert_webauthn_challenge(&self, row: &WebauthnChallenge) -> Result<(), RepoError> {
        if self
            .cache
            .put_until(self.cache.key("wc", row.id), row, row.expires_at)
            .await
        {
            return Ok(());
        }
        self.inner.insert_webauthn_challenge(row).await
    }

    async fn find_webauthn_challenge(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<WebauthnChallenge>, RepoError> {
        match self
            .cache
            .find_state::<WebauthnChallenge>(self.cache.key("wc", id))
            .await
        {
            Some(Some(row)) => Ok(Some(row).filter(|r| r.expires_at > now)),
            // Written while Redis was down, or never: the database knows.
            _ => self.inner.find_webauthn_challenge(id, now).await,
        }
    }

    async fn delete_webauthn_challenge(&self, id: Uuid) -> Result<u64, RepoError> {
        // DEL answers 1 to one caller only: the state is consumed once. State written to
        // the database while Redis was away is consumed there.
        let cache = &self.cache;
        let mut call = cache.scripts.take.key(cache.key("wc", id));
        call.key(cache.gen_key());
        let mut conn = cache.conn.clone();
        let in_redis = cache.run("take", call.invoke_async::<u64>(&mut conn)).await;
        let in_database = self.inner.delete_webauthn_challenge(id).await?;
        Ok(if in_redis == Some(1) { 1 } else { in_database })
    }

    async fn delete_expired_webauthn_challenges(
        &self,
        now: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        self.inner.delete_expired_webauthn_challenges(now).await
    }
}

#[async_trait]
impl MfaPendingLoginsRepository for Cached<dyn MfaPendingLoginsRepository> {
    async fn insert_mfa_pending_login(&self, row: &MfaPendingLogin) -> Result<(), RepoError> {
        let cache = &self.cache;
        let Ok(json) = serde_json::to_string(row) else {
            return self.inner.insert_mfa_pending_login(row).await;
        };
        let mut call = cache.scripts.mfa_put.key(cache.key("mp", &row.token_hash));
        call.key(cache.key("mpi", row.id))
            .key(cache.key("mpa", row.id))
            .key(cache.key("mpu", row.user_id))
            .key(cache.gen_key())
            .arg(json)
            .arg(&row.token_hash)
            .arg(row.attempts)
            .arg(row.expires_at.timestamp_millis().max(1))
            .arg(row.id.to_string());
        let mut conn = cache.conn.clone();
        if cache
            .run("pending sign-in", call.invoke_async::<i64>(&mut conn))
            .await
            .is_some()
        {
            return Ok(());
        }
        // In one place only: a late write that did land is removed (best effort).
        self.delete_in_redis(vec![row.id.to_string()], None).await;
        self.inner.insert_mfa_pending_login(row).await
    }

    async fn find_mfa_pending_login(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<MfaPendingLogin>, RepoError> {
        let cache = &self.cache;
        let Some(Some(mut row)) = cache
            .find_state::<MfaPendingLogin>(cache.key("mp", token_hash))
            .await
        else {
            // Stored while Redis was away, or not at all: the database knows.
            return self.inner.find_mfa_pending_login(token_hash, now).await;
        };
        let mut conn = cache.conn.clone();
        let attempts_key = cache.key("mpa", row.id);
        if let Some(Some(attempts)) = cache
            .run("pending sign-in", async move {
                redis::cmd("GET")
                    .arg(attempts_key)
                    .query_async::<Option<i32>>(&mut conn)
                    .await
            })
            .await
        {
            row.attempts = attempts;
        }
        Ok(Some(row).filter(|r| r.expires_at > now))
    }

    async fn count_mfa_attempt(&self, id: Uuid) -> Result<Option<i32>, RepoError> {
        let cache = &self.cache;
        let mut conn = cache.conn.clone();
        let mut call = cache.scripts.mfa_attempt.key(cache.key("mpi", id));
        call.key(cache.key("mpa", id));
        match cache
            .run(
                "pending sign-in",
                call.invoke_async::<Option<i32>>(&mut conn),
            )
            .await
        {
            Some(Some(count)) => Ok(Some(count)),
            _ => self.inner.count_mfa_attempt(id).await,
        }
    }

    async fn delete_mfa_pending_login(&self, id: Uuid) -> Result<u64, RepoError> {
        // One caller gets 1 from the script: a pending sign-in finishes once.
        let in_redis = self.delete_in_redis(vec![id.to_string()], None).await;
        let in_database = self.inner.delete_mfa_pending_login(id).await?;
        Ok(if in_redis == Some(1) { 1 } else { in_database })
    }

    async fn delete_user_mfa_pending_logins(&self, user_id: Uuid) -> Result<u64, RepoError> {
        let in_redis = self
            .delete_in_redis(Vec::new(), Some(self.cache.key("mpu", user_id)))
            .await
            .unwrap_or(0);
        Ok(in_redis + self.inner.delete_user_mfa_pending_logins(user_id).await?)
    }

    async fn delete_expired_mfa_pending_logins(
        &self,
        now: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        self.inner.delete_expired_mfa_pending_logins(now).await
    }
}

impl Cached<dyn MfaPendingLoginsRepository> {
    /// Deletes pending sign-ins held in Redis, by id and (with `user_set`) every one of a
    /// user, in one script. When Redis does not answer, the process bumps the generation as
    /// soon as it does, which voids what could not be deleted.
    async fn delete_in_redis(&self, ids: Vec<String>, user_set: Option<String>) -> Option<u64> {
        let cache = &self.cache;
        let mut call = cache.scripts.mfa_delete.prepare_invoke();
        if let Some(set) = user_set {
            call.key(set);
        }
        call.arg(cache.config.prefix.as_str());
        for id in ids {
            call.arg(id);
        }
        let mut conn = cache.conn.clone();
        // Also while the breaker is open: this may clean up after an insert that timed out.
        let deleted = cache
            .run_always("pending sign-in", call.invoke_async::<u64>(&mut conn))
            .await;
        if deleted.is_none() {
            cache.lost();
        }
        deleted
    }
}

#[async_trait]
impl TotpSecretsRepository for Cached<dyn TotpSecretsRepository> {
    async fn upsert_totp_secret(&self, row: &TotpSecret) -> Result<(), RepoError> {
        self.cache
            .after(Void::User(row.user_id), self.inner.upsert_totp_secret(row))
            .await
    }

    async fn get_totp_secret(&self, user_id: Uuid) -> Result<Option<TotpSecret>, RepoError> {
        self.inner.get_totp_secret(user_id).await
    }

    async fn confirm_totp_secret(&self, user_id: Uuid) -> Result<bool, RepoError> {
        self.cache
            .after(Void::User(user_id), self.inner.confirm_totp_secret(user_id))
            .await
    }

    async fn use_totp_step(&self, last_used_step: i64, id: Uuid) -> Result<bool, RepoError> {
        self.inner.use_totp_step(last_used_step, id).await
    }

    async fn delete_totp_secret(&self, user_id: Uuid) -> Result<u64, RepoError> {
        self.cache
            .after(Void::User(user_id), self.inner.delete_totp_secret(user_id))
            .await
    }

    async fn list_totp_secrets(
        &self,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TotpSecret>, RepoError> {
        self.inner.list_totp_secrets(limit, offset).await
    }

    async fn reseal_totp_secret(&self, encrypted_secret: &[u8], id: Uuid) -> Result<(), RepoError> {
        self.inner.reseal_totp_secret(encrypted_secret, id).await
    }
}

#[async_trait]
impl CompositeRepository for Cached<dyn CompositeRepository> {
    async fn register_user(
        &self,
        user: &User,
        password: &Password,
        verification: Option<&EmailVerification>,
        audit: &AuditLog,
    ) -> Result<(), RepoError> {
        self.inner
            .register_user(user, password, verification, audit)
            .await
    }

    async fn reset_password(
        &self,
        reset_id: Uuid,
        used_at: Option<DateTime<Utc>>,
        password: &Password,
        history: Option<&PasswordHistory>,
        user_id: Uuid,
        audit: &AuditLog,
    ) -> Result<bool, RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner
                    .reset_password(reset_id, used_at, password, history, user_id, audit),
            )
            .await
    }

    async fn change_password(
        &self,
        password: &Password,
        history: Option<&PasswordHistory>,
        user_id: Uuid,
        keep_session: Uuid,
        audit: &AuditLog,
    ) -> Result<(), RepoError> {
        self.cache
            .after(
                Void::User(user_id),
                self.inner
                    .change_password(password, history, user_id, keep_session, audit),
            )
            .await
    }

    async fn rotate_refresh_token(
        &self,
        old_id: Uuid,
        new_token: &RefreshToken,
    ) -> Result<bool, RepoError> {
        self.inner.rotate_refresh_token(old_id, new_token).await
    }

    async fn rotate_oauth2_refresh_token(
        &self,
        old_id: Uuid,
        new_token: &Oauth2RefreshToken,
        access: &Oauth2AccessToken,
    ) -> Result<bool, RepoError> {
        self.inner
            .rotate_oauth2_refresh_token(old_id, new_token, access)
            .await
    }

    async fn exchange_authorization_code(
        &self,
        code_id: Uuid,
        now: DateTime<Utc>,
        access: &Oauth2AccessToken,
        refresh: Option<&Oauth2RefreshToken>,
    ) -> Result<bool, RepoError> {
        self.inner
            .exchange_authorization_code(code_id, now, access, refresh)
            .await
    }
}
