import { AlgorithmId, type LimitSpec, StoreAction } from './algorithms.js';

/**
 * The Redis side of the store: `algorithms.ts` ported line by line to Lua, in one script so a
 * single `EVALSHA` decides one request against any number of limits of the same user key.
 *
 * One call may carry several independent requests (decisions issued in the same tick share a
 * round trip); each is applied atomically and in order.
 *
 * KEYS: one Redis key per limit of each request (a request's keys share one hash tag, so the
 * script is Cluster-safe when a call carries one user key — see `RedisStore`'s `batch`).
 * ARGV: request count, then per request: action, amount, arg, key count, then algorithm, p1, p2,
 * p3 per key.
 * Value of a key: its expiry, the block deadline, then the algorithm state, as native doubles.
 * Time: Redis `TIME`, in whole milliseconds. Every key has an expiry: at least as late as its
 * state needs, at most twice as far as needed; a write that needs no later expiry keeps the
 * current one (`KEEPTTL`, cheaper than setting one), else sets twice the need (`PXAT`). Redis 6.2+.
 * Returns 6 integers per key: allowed, remaining, resetAt, retryAfter, delay, ttl; then the time used.
 */
const PRELUDE = `
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local action, amount, arg = 0, 0, 0
local CONSUME, PEEK, RESET, PENALTY, REWARD, BLOCK, RELEASE, EXTEND = 0, 1, 2, 3, 4, 5, 6, 7
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min
local out = {}

local function put(o, ok, remaining, resetAt, retryAfter, delay, ttl)
  out[o + 1] = ok and 1 or 0
  out[o + 2] = remaining
  out[o + 3] = resetAt
  out[o + 4] = retryAfter
  out[o + 5] = delay
  if ttl < 1 then ttl = 1 end
  out[o + 6] = ttl
end

`;

/** Each algorithm's Lua function, by name (GCRA serves the shaping queue too). */
const FUNCTIONS: Readonly<Record<string, string>> = {
  tokenBucket: `local function tokenBucket(alg, p1, p2, p3, st, act, o)
  local full, rate, unit = p1 * p3, p2, p3
  local s, last = full, now
  if #st >= 2 then s = st[1]; last = st[2] end
  local t = now
  if last > t then t = last end
  s = min(full, s + (t - last) * rate)
  local after, ok, write = s, true, false
  if act == CONSUME or act == PEEK then
    ok = s >= amount * unit
    if ok and act == CONSUME then after = s - amount * unit; write = true end
  elseif act == PENALTY then after = s - amount * unit; write = true
  elseif act == REWARD then after = min(full, s + amount * unit); write = true end
  local remaining = 0
  if after > 0 then remaining = floor(after / unit) end
  local resetAt = t + ceil((full - after) / rate)
  local retryAfter = 0
  if not ok then retryAfter = t - now + ceil((amount * unit - s) / rate) end
  put(o, ok, remaining, resetAt, retryAfter, 0, resetAt - now)
  if write then return { after, t } end
  return nil
end
`,
  leakyBucket: `local function leakyBucket(alg, p1, p2, p3, st, act, o)
  local full, rate, unit = p1 * p3, p2, p3
  local level, last = 0, now
  if #st >= 2 then level = st[1]; last = st[2] end
  local t = now
  if last > t then t = last end
  level = max(0, level - (t - last) * rate)
  local after, ok, write = level, true, false
  if act == CONSUME or act == PEEK then
    ok = level + amount * unit <= full
    if ok and act == CONSUME then after = level + amount * unit; write = true end
  elseif act == PENALTY then after = level + amount * unit; write = true
  elseif act == REWARD then after = max(0, level - amount * unit); write = true end
  local remaining = 0
  if full - after > 0 then remaining = floor((full - after) / unit) end
  local resetAt = t + ceil(after / rate)
  local retryAfter = 0
  if not ok then retryAfter = t - now + ceil((level + amount * unit - full) / rate) end
  put(o, ok, remaining, resetAt, retryAfter, 0, resetAt - now)
  if write then return { after, t } end
  return nil
end
`,
  gcra: `local function gcra(alg, p1, p2, p3, st, act, o)
  local burst, rate, unit = p1 * p3, p2, p3
  local d = 0
  if #st >= 2 then
    d = (st[1] - now) * rate + st[2]
    if d < 0 then d = 0 end
  end
  local after, ok, write, delay = d, true, false, 0
  if act == CONSUME or act == PEEK then
    ok = d + amount * unit <= burst
    if ok and act == CONSUME then
      after = d + amount * unit
      write = true
      if alg == 3 then delay = ceil(d / rate) end
    end
  elseif act == PENALTY then after = d + amount * unit; write = true
  elseif act == REWARD then after = max(0, d - amount * unit); write = true end
  local remaining = 0
  if burst - after > 0 then remaining = floor((burst - after) / unit) end
  local ahead = ceil(after / rate)
  local retryAfter = 0
  if not ok then retryAfter = ceil((d + amount * unit - burst) / rate) end
  put(o, ok, remaining, now + ahead, retryAfter, delay, ahead)
  if not write then return nil end
  local whole = floor(after / rate)
  return { now + whole, after - whole * rate }
end
`,
  fixedWindow: `local function fixedWindow(alg, p1, p2, p3, st, act, o)
  local limit, size = p1, p2
  local w = floor(now / size) * size
  local count = 0
  if #st >= 2 then
    if st[1] > w then w = st[1] end
    if st[1] == w then count = st[2] end
  end
  local after, ok, write = count, true, false
  if act == CONSUME or act == PEEK then
    ok = count + amount <= limit
    if ok and act == CONSUME then after = count + amount; write = true end
  elseif act == PENALTY then after = count + amount; write = true
  elseif act == REWARD then after = max(0, count - amount); write = true end
  local resetAt = w + size
  local retryAfter = 0
  if not ok then retryAfter = resetAt - now end
  local remaining = 0
  if limit - after > 0 then remaining = limit - after end
  put(o, ok, remaining, resetAt, retryAfter, 0, resetAt - now)
  if write then return { w, after } end
  return nil
end
`,
  slidingLog: `local function slidingLog(alg, p1, p2, p3, st, act, o)
  local limit, size = p1, p2
  local t = now
  local log = {}
  local used = 0
  if #st >= 2 then
    local newest = st[#st - 1]
    if newest > t then t = newest end
    for i = 1, #st - 1, 2 do
      if st[i] + size > t then
        log[#log + 1] = st[i]
        log[#log + 1] = st[i + 1]
        used = used + st[i + 1]
      end
    end
  end
  local ok, write, after = true, false, used
  local function append(c)
    if #log > 0 and log[#log - 1] == t then log[#log] = log[#log] + c
    else log[#log + 1] = t; log[#log + 1] = c end
  end
  if act == CONSUME or act == PEEK then
    ok = used + amount <= limit
    if ok and act == CONSUME then append(amount); after = used + amount; write = true end
  elseif act == PENALTY then append(amount); after = used + amount; write = true
  elseif act == REWARD then
    local left = amount
    while left > 0 and #log > 0 do
      local last = log[#log]
      if last > left then log[#log] = last - left; left = 0
      else left = left - last; log[#log] = nil; log[#log] = nil end
    end
    after = max(0, used - amount)
    write = true
  end
  local retryAfter = 0
  if not ok then
    local freed = 0
    for i = 1, #log - 1, 2 do
      freed = freed + log[i + 1]
      if used - freed + amount <= limit then retryAfter = log[i] + size - now; break end
    end
  end
  local resetAt = t
  if #log > 0 then resetAt = log[#log - 1] + size end
  local remaining = 0
  if limit - after > 0 then remaining = limit - after end
  put(o, ok, remaining, resetAt, retryAfter, 0, resetAt - now)
  if write then return log end
  return nil
end
`,
  slidingCounter: `local function slidingCounter(alg, p1, p2, p3, st, act, o)
  local limit, size = p1, p2
  local t = now
  if #st >= 3 and st[1] > t then t = st[1] end
  local w = floor(t / size) * size
  local prev, curr = 0, 0
  if #st >= 3 then
    if st[1] == w then prev = st[2]; curr = st[3]
    elseif st[1] == w - size then prev = st[3] end
  end
  local e = t - w
  local used = prev * (size - e) + curr * size
  local ok, write, currAfter = true, false, curr
  if act == CONSUME or act == PEEK then
    ok = used + amount * size <= limit * size
    if ok and act == CONSUME then currAfter = curr + amount; write = true end
  elseif act == PENALTY then currAfter = curr + amount; write = true
  elseif act == REWARD then currAfter = max(0, curr - amount); write = true end
  local usedAfter = used + (currAfter - curr) * size
  local remaining = 0
  if limit * size - usedAfter > 0 then remaining = floor((limit * size - usedAfter) / size) end
  local resetAt = t
  if currAfter > 0 then resetAt = w + 2 * size elseif prev > 0 then resetAt = w + size end
  local retryAfter = 0
  if not ok then
    local at = -1
    if curr + amount <= limit and prev > 0 then
      local e2 = size - floor(((limit - curr - amount) * size) / prev)
      if e2 < size then at = w + e2 end
    end
    if at < 0 then
      local e2 = 0
      if curr > 0 then e2 = max(0, size - floor(((limit - amount) * size) / curr)) end
      at = w + size + e2
    end
    retryAfter = at - now
  end
  put(o, ok, remaining, resetAt, retryAfter, 0, w + 2 * size - now)
  if write then return { w, prev, currAfter } end
  return nil
end
`,
  concurrency: `local function concurrency(alg, p1, p2, p3, st, act, o)
  local limit, leaseMs = p1, p2
  local leases = {}
  local used = 0
  for i = 1, #st - 2, 3 do
    if st[i] > now then
      leases[#leases + 1] = st[i]
      leases[#leases + 1] = st[i + 1]
      leases[#leases + 1] = st[i + 2]
      used = used + st[i + 1]
    end
  end
  local ok, write, after = true, false, used
  if act == CONSUME or act == PEEK then
    ok = used + amount <= limit
    if ok and act == CONSUME then
      leases[#leases + 1] = now + leaseMs
      leases[#leases + 1] = amount
      leases[#leases + 1] = arg
      after = used + amount
      write = true
    end
  elseif act == RELEASE or act == EXTEND then
    ok = false
    for i = 1, #leases - 2, 3 do
      if leases[i + 2] == arg then
        ok = true
        write = true
        if act == RELEASE then
          after = used - leases[i + 1]
          table.remove(leases, i); table.remove(leases, i); table.remove(leases, i)
        else
          leases[i] = now + leaseMs
        end
        break
      end
    end
  end
  local resetAt = now
  for i = 1, #leases - 2, 3 do if leases[i] > resetAt then resetAt = leases[i] end end
  local retryAfter = 0
  if not ok and (act == CONSUME or act == PEEK) then
    local order = {}
    for i = 1, #leases - 2, 3 do order[#order + 1] = i end
    table.sort(order, function(a, b) return leases[a] < leases[b] end)
    local freed = 0
    for _, i in ipairs(order) do
      freed = freed + leases[i + 1]
      if used - freed + amount <= limit then retryAfter = leases[i] - now; break end
    end
  end
  local remaining = 0
  if limit - after > 0 then remaining = limit - after end
  put(o, ok, remaining, resetAt, retryAfter, 0, resetAt - now)
  if write then return leases end
  return nil
end
`,
};

const FUNCTION_OF: Readonly<Record<AlgorithmId, string>> = {
  [AlgorithmId.TokenBucket]: 'tokenBucket',
  [AlgorithmId.LeakyBucket]: 'leakyBucket',
  [AlgorithmId.LeakyBucketQueue]: 'gcra',
  [AlgorithmId.FixedWindow]: 'fixedWindow',
  [AlgorithmId.SlidingWindowLog]: 'slidingLog',
  [AlgorithmId.SlidingWindowCounter]: 'slidingCounter',
  [AlgorithmId.Gcra]: 'gcra',
  [AlgorithmId.Concurrency]: 'concurrency',
};

const MAIN = `
-- A value is: when the key expires, the block deadline, then the algorithm state; native
-- doubles (struct 'd'). Knowing the expiry lets a write keep it (KEEPTTL) while it is late enough.
local function parse(value)
  if not value then return 0, 0, {} end
  local count = #value / 8
  local expires, blocked = struct.unpack('dd', value)
  local st = {}
  if count <= 34 then
    st = { struct.unpack(string.rep('d', count - 2), value, 17) }
    st[count - 1] = nil
  else
    local pos = 17
    for i = 1, count - 2 do st[i], pos = struct.unpack('d', value, pos) end
  end
  return expires, blocked, st
end

local function format(expires, blocked, st)
  local count = #st
  if count < 32 then return struct.pack(string.rep('d', count + 2), expires, blocked, unpack(st)) end
  local parts = { struct.pack('dd', expires, blocked) }
  for i = 1, count do parts[i + 1] = struct.pack('d', st[i]) end
  return table.concat(parts)
end

local function decide(base, o, act, blocked, st)
  local alg = tonumber(ARGV[base])
  if blocked > now and (act == CONSUME or act == PEEK) then
    local wait = blocked - now
    put(o, false, 0, blocked, wait, 0, wait)
    return nil
  end
  local f = algorithms[alg]
  if act == BLOCK then
    local saved = amount
    amount = 1
    f(alg, tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), st, PEEK, o)
    amount = saved
    out[o + 1] = 0
    out[o + 2] = 0
    out[o + 3] = max(now + amount, blocked)
    out[o + 4] = out[o + 3] - now
    return nil
  end
  return f(alg, tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), st, act, o)
end

-- Stores a key's state: deletes it when empty, else keeps its expiry if late enough.
local function write(key, expires, blocked, st, ttl)
  if #st == 0 and blocked <= now then
    redis.call('DEL', key)
    return
  end
  if #st == 0 then ttl = 0 end
  local needed = max(ttl, blocked - now, 1)
  if expires >= now + needed then
    redis.call('SET', key, format(expires, blocked, st), 'KEEPTTL')
  else
    -- Extend with slack (twice what is needed), so the next writes can keep the expiry.
    local at = now + 2 * needed
    redis.call('SET', key, format(at, blocked, st), 'PXAT', at)
  end
end

-- One request: n keys from KEYS[k0 + 1], their parameters from ARGV[a0], results at out[o0 + 1].
local function request(n, k0, a0, o0)
  if action == RESET then
    for i = 1, n do
      redis.call('DEL', KEYS[k0 + i])
      put(o0 + (i - 1) * 6, true, 0, 0, 0, 0, 0)
    end
    return
  end
  local expiries, blocks, states, pending = {}, {}, {}, {}
  local allowed = true
  for i = 1, n do
    local expires, blocked, st = parse(redis.call('GET', KEYS[k0 + i]))
    expiries[i] = expires
    blocks[i] = blocked
    states[i] = st
    pending[i] = decide(a0 + (i - 1) * 4, o0 + (i - 1) * 6, action, blocked, st)
    if out[o0 + (i - 1) * 6 + 1] ~= 1 then allowed = false end
  end
  if action == CONSUME and not allowed then
    for i = 1, n do
      if out[o0 + (i - 1) * 6 + 1] == 1 then decide(a0 + (i - 1) * 4, o0 + (i - 1) * 6, PEEK, blocks[i], states[i]) end
    end
    return
  end
  for i = 1, n do
    local st = pending[i]
    if st ~= nil or action == BLOCK then
      local key = KEYS[k0 + i]
      local blocked = blocks[i]
      local ttl = out[o0 + (i - 1) * 6 + 6]
      if action == BLOCK then
        blocked = max(now + amount, blocked)
        st = states[i]
        ttl = 0
        if #st > 0 then ttl = expiries[i] - now end
      end
      write(key, expiries[i], blocked, st, ttl)
    end
  end
end

-- ARGV: request count, then per request: action, amount, arg, key count, and per key: algorithm, p1, p2, p3.
local requests = tonumber(ARGV[1])
-- The common case, one request on one key, without the bookkeeping of the general loop.
if requests == 1 and tonumber(ARGV[5]) == 1 then
  action = tonumber(ARGV[2])
  if action ~= RESET and action ~= BLOCK then
    amount = tonumber(ARGV[3])
    arg = tonumber(ARGV[4])
    local key = KEYS[1]
    local expires, blocked, st = parse(redis.call('GET', key))
    local nextState = decide(6, 0, action, blocked, st)
    if nextState ~= nil then write(key, expires, blocked, nextState, out[6]) end
    out[7] = now
    return out
  end
end
local a, k, o = 2, 0, 0
for r = 1, requests do
  action = tonumber(ARGV[a])
  amount = tonumber(ARGV[a + 1])
  arg = tonumber(ARGV[a + 2])
  local n = tonumber(ARGV[a + 3])
  request(n, k, a + 4, o)
  a = a + 4 + 4 * n
  k = k + n
  o = o + 6 * n
end
out[o + 1] = now
return out
`;

/**
 * The script for the given algorithms: the shared prelude and main loop with only the functions
 * those algorithms need (a smaller script runs faster: Lua builds every function's closure on
 * each call). Calls for other algorithms fail with a Lua error, so callers pass every algorithm
 * of a call.
 */
export function buildRateLimitScript(algorithms: Iterable<AlgorithmId>): string {
  const ids = [...new Set(algorithms)].sort((a, b) => a - b);
  const names = [...new Set(ids.map((id) => FUNCTION_OF[id]))];
  let script = PRELUDE;
  for (const name of names) script += FUNCTIONS[name]! + '\n';
  script += 'local algorithms = {}\n';
  for (const id of ids) script += `algorithms[${id}] = ${FUNCTION_OF[id]}\n`;
  script += MAIN;
  // The action names are written into the script as numbers: every local a function refers to
  // is an upvalue Lua must bind each time the script runs, and these need not be.
  script = script.replace(/^local CONSUME, PEEK, RESET, PENALTY, REWARD, BLOCK, RELEASE, EXTEND = .*$/m, '');
  for (const [name, value] of Object.entries(StoreAction)) script = script.replace(new RegExp(`\\b${name.toUpperCase()}\\b`, 'g'), String(value));
  return script;
}

/** The script with every algorithm. */
export const RATE_LIMIT_SCRIPT: string = buildRateLimitScript(Object.values(AlgorithmId));

/**
 * Lean scripts: one per limit (algorithm and parameters, written into the script as constants)
 * for the algorithms with a fixed-size state (all but the sliding-window log and the concurrency
 * limiter), for the common call: requests of that one limit on one key each, with consume, peek,
 * penalty or reward. Straight-line Lua with the algorithm inlined: no function closures, no string
 * to number conversions but the time's (actions are compared as strings, a cost of 1 needs no
 * parsing), one `GET` and at most one `SET` per request, and the reply table built in one go.
 * Decides exactly like the general script (same value format, same expiry rule), so both may
 * touch the same keys.
 *
 * Two variants: one for a single request (what a sequential caller sends: straight-line code,
 * a compact reply of 3 to 6 integers, see {@link decodeLeanReply}) and one looping over several.
 *
 * KEYS: one key per request. ARGV: action and amount per request.
 * The variant for several requests returns 6 integers per request (allowed, remaining, resetAt,
 * retryAfter, delay, ttl), then the time.
 */
// The time: TIME's two strings are coerced by the arithmetic (tonumber costs more in Redis's Lua).
const LEAN_PRELUDE = `local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local floor, ceil = math.floor, math.ceil
local p1, p2, p3 = $P1, $P2, $P3
`;

/** Several requests: a loop over KEYS, the reply built in a table. */
const LEAN_LOOP_OPEN = `local n = #KEYS
local out
if n > 1 then out = {} end
for r = 1, n do
  local key = KEYS[r]
  local act = ARGV[2 * r - 1]
  local amount = ARGV[2 * r]
`;

/** One request (the sequential caller's command): no loop, no reply table to fill. */
const LEAN_SINGLE_OPEN = `local key = KEYS[1]
local act = ARGV[1]
local amount = ARGV[2]
`;

const LEAN_DECIDE_HEAD = `  if amount == '1' then amount = 1 else amount = tonumber(amount) end
  local take = act == '0'
  local ask = take or act == '1'
  local pen = act == '3'
  local value = redis.call('GET', key)
  local expires, blocked, has, a, b, c = 0, 0, false, 0, 0, 0
  if value then
    if #value >= $MIN then
      expires, blocked, a, b$C = struct.unpack('$FMT', value)
      has = true
    else
      expires, blocked = struct.unpack('dd', value)
    end
  end
  local ok, write, remaining, resetAt, retryAfter, delay, ttl = true, false, 0, 0, 0, 0, 0
  if blocked > now and ask then
    ok = false
    resetAt = blocked
    retryAfter = blocked - now
    ttl = retryAfter
  else
    local n1, n2, n3 = 0, 0, 0
`;

const LEAN_DECIDE_TAIL = `    if ttl < 1 then ttl = 1 end
    if write then
      local needed = ttl
      if blocked - now > needed then needed = blocked - now end
      if expires >= now + needed then
        redis.call('SET', key, struct.pack('$FMT', expires, blocked, n1, n2$N), 'KEEPTTL')
      else
        local at = now + 2 * needed
        redis.call('SET', key, struct.pack('$FMT', at, blocked, n1, n2$N), 'PXAT', at)
      end
    end
  end
  if ttl < 1 then ttl = 1 end
`;

const LEAN_LOOP_CLOSE = `  if n == 1 then return { ok and 1 or 0, remaining, resetAt, retryAfter, delay, ttl, now } end
  local o = 6 * (r - 1)
  out[o + 1] = ok and 1 or 0
  out[o + 2] = remaining
  out[o + 3] = resetAt
  out[o + 4] = retryAfter
  out[o + 5] = delay
  out[o + 6] = ttl
end
out[6 * n + 1] = now
return out
`;

/**
 * The single-request reply is compact, because every integer of a reply costs the sequential
 * caller measurably: the time, the remaining units (negative -1 - remaining when refused) and
 * resetAt - now; then retryAfter, delay and ttl only when they are not 0, 0 and resetAt - now
 * (trailing ones that are dropped). See `decodeLeanReply`.
 */
const LEAN_SINGLE_CLOSE = `local code = remaining
if not ok then code = -1 - remaining end
local resetIn = resetAt - now
if delay ~= 0 or ttl ~= resetIn then return { now, code, resetIn, retryAfter, delay, ttl } end
if retryAfter ~= 0 then return { now, code, resetIn, retryAfter } end
return { now, code, resetIn }
`;

/** Each lean algorithm's body: reads has, a, b, c (the state), act, amount, p1..p3; sets the decision and n1..n3. */
const LEAN_BODIES: Readonly<Partial<Record<AlgorithmId, string>>> = {
  [AlgorithmId.TokenBucket]: `    local full, rate, unit = p1 * p3, p2, p3
    local s, last = full, now
    if has then s = a; last = b end
    local t = now
    if last > t then t = last end
    s = s + (t - last) * rate
    if s > full then s = full end
    local need = amount * unit
    local after = s
    if ask then
      ok = s >= need
      if ok and take then after = s - need; write = true end
    elseif pen then after = s - need; write = true
    else after = s + need; if after > full then after = full end; write = true end
    if after > 0 then remaining = floor(after / unit) end
    resetAt = t + ceil((full - after) / rate)
    if not ok then retryAfter = t - now + ceil((need - s) / rate) end
    ttl = resetAt - now
    n1, n2 = after, t
`,
  [AlgorithmId.LeakyBucket]: `    local full, rate, unit = p1 * p3, p2, p3
    local level, last = 0, now
    if has then level = a; last = b end
    local t = now
    if last > t then t = last end
    level = level - (t - last) * rate
    if level < 0 then level = 0 end
    local need = amount * unit
    local after = level
    if ask then
      ok = level + need <= full
      if ok and take then after = level + need; write = true end
    elseif pen then after = level + need; write = true
    else after = level - need; if after < 0 then after = 0 end; write = true end
    if full - after > 0 then remaining = floor((full - after) / unit) end
    resetAt = t + ceil(after / rate)
    if not ok then retryAfter = t - now + ceil((level + need - full) / rate) end
    ttl = resetAt - now
    n1, n2 = after, t
`,
  [AlgorithmId.Gcra]: `    local burst, rate, unit = p1 * p3, p2, p3
    local d = 0
    if has then
      d = (a - now) * rate + b
      if d < 0 then d = 0 end
    end
    local need = amount * unit
    local after = d
    if ask then
      ok = d + need <= burst
      if ok and take then
        after = d + need
        write = true
        $DELAY
      end
    elseif pen then after = d + need; write = true
    else after = d - need; if after < 0 then after = 0 end; write = true end
    if burst - after > 0 then remaining = floor((burst - after) / unit) end
    local ahead = ceil(after / rate)
    if not ok then retryAfter = ceil((d + need - burst) / rate) end
    resetAt = now + ahead
    ttl = ahead
    local whole = floor(after / rate)
    n1, n2 = now + whole, after - whole * rate
`,
  [AlgorithmId.FixedWindow]: `    local limit, size = p1, p2
    local w = floor(now / size) * size
    local count = 0
    if has then
      if a > w then w = a end
      if a == w then count = b end
    end
    local after = count
    if ask then
      ok = count + amount <= limit
      if ok and take then after = count + amount; write = true end
    elseif pen then after = count + amount; write = true
    else after = count - amount; if after < 0 then after = 0 end; write = true end
    resetAt = w + size
    if not ok then retryAfter = resetAt - now end
    if limit - after > 0 then remaining = limit - after end
    ttl = resetAt - now
    n1, n2 = w, after
`,
  [AlgorithmId.SlidingWindowCounter]: `    local limit, size = p1, p2
    local t = now
    if has and a > t then t = a end
    local w = floor(t / size) * size
    local prev, curr = 0, 0
    if has then
      if a == w then prev = b; curr = c
      elseif a == w - size then prev = c end
    end
    local used = prev * (size - (t - w)) + curr * size
    local currAfter = curr
    if ask then
      ok = used + amount * size <= limit * size
      if ok and take then currAfter = curr + amount; write = true end
    elseif pen then currAfter = curr + amount; write = true
    else currAfter = curr - amount; if currAfter < 0 then currAfter = 0 end; write = true end
    local usedAfter = used + (currAfter - curr) * size
    if limit * size - usedAfter > 0 then remaining = floor((limit * size - usedAfter) / size) end
    resetAt = t
    if currAfter > 0 then resetAt = w + 2 * size elseif prev > 0 then resetAt = w + size end
    if not ok then
      local at = -1
      if curr + amount <= limit and prev > 0 then
        local e2 = size - floor(((limit - curr - amount) * size) / prev)
        if e2 < size then at = w + e2 end
      end
      if at < 0 then
        local e2 = 0
        if curr > 0 then
          e2 = size - floor(((limit - amount) * size) / curr)
          if e2 < 0 then e2 = 0 end
        end
        at = w + size + e2
      end
      retryAfter = at - now
    end
    ttl = w + 2 * size - now
    n1, n2, n3 = w, prev, currAfter
`,
};

/** The actions a lean script handles (the others go through the general script). */
export function isLeanAction(action: StoreAction): boolean {
  return action === StoreAction.Consume || action === StoreAction.Peek || action === StoreAction.Penalty || action === StoreAction.Reward;
}

/** True when `algorithm` has a lean script ({@link buildLeanScript}). */
export function hasLeanScript(algorithm: AlgorithmId): boolean {
  return algorithm === AlgorithmId.LeakyBucketQueue || LEAN_BODIES[algorithm] !== undefined;
}

/**
 * The lean script of one limit (see above); `single` gives the variant for exactly one request
 * (one key), else the one for any number. Throws for the sliding-window log and concurrency.
 */
export function buildLeanScript(spec: Pick<LimitSpec, 'algorithm' | 'p1' | 'p2' | 'p3'>, single = false): string {
  const { algorithm } = spec;
  const queue = algorithm === AlgorithmId.LeakyBucketQueue;
  const body = LEAN_BODIES[queue ? AlgorithmId.Gcra : algorithm];
  if (body === undefined) throw new Error(`no lean script for algorithm ${algorithm}`);
  for (const p of [spec.p1, spec.p2, spec.p3]) if (!Number.isSafeInteger(p)) throw new Error(`limit parameters must be safe integers, got ${p}`);
  const three = algorithm === AlgorithmId.SlidingWindowCounter;
  const fmt = three ? 'ddddd' : 'dddd';
  const decide = LEAN_DECIDE_HEAD + body.replace('$DELAY', queue ? 'delay = ceil(d / rate)' : '') + LEAN_DECIDE_TAIL;
  const script = single ? LEAN_PRELUDE + LEAN_SINGLE_OPEN + decide + LEAN_SINGLE_CLOSE : LEAN_PRELUDE + LEAN_LOOP_OPEN + decide + LEAN_LOOP_CLOSE;
  return script
    .replace('$P1', String(spec.p1))
    .replace('$P2', String(spec.p2))
    .replace('$P3', String(spec.p3))
    .replaceAll('$MIN', String(fmt.length * 8))
    .replaceAll('$FMT', fmt)
    .replaceAll('$C', three ? ', c' : '')
    .replaceAll('$N', three ? ', n3' : '');
}

/**
 * Expands the compact reply of a single-request lean script — `{ now, code, resetIn [, retryAfter
 * [, delay, ttl]] }`, code = remaining when allowed and -1 - remaining when refused — into the
 * store's result layout (allowed, remaining, resetAt, retryAfter, delay, ttl, now). Returns
 * undefined when `reply` is not such a reply.
 */
export function decodeLeanReply(reply: unknown): number[] | undefined {
  if (!Array.isArray(reply) || reply.length < 3 || reply.length > 6 || reply.length === 5) return undefined;
  const now = Number(reply[0]);
  const code = Number(reply[1]);
  const resetIn = Number(reply[2]);
  const retryAfter = reply.length > 3 ? Number(reply[3]) : 0;
  const delay = reply.length > 4 ? Number(reply[4]) : 0;
  const ttl = reply.length > 5 ? Number(reply[5]) : resetIn;
  if (!Number.isSafeInteger(now) || !Number.isSafeInteger(code) || !Number.isSafeInteger(resetIn) || !Number.isSafeInteger(retryAfter) || !Number.isSafeInteger(delay) || !Number.isSafeInteger(ttl)) {
    return undefined;
  }
  const allowed = code >= 0;
  return [allowed ? 1 : 0, allowed ? code : -1 - code, now + resetIn, retryAfter, delay, ttl, now];
}
