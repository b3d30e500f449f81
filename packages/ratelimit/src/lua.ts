/**
 * The Redis side of the store: `algorithms.ts` ported line by line to Lua, in one script so a
 * single `EVALSHA` decides one request against any number of limits of the same user key.
 *
 * KEYS: one Redis key per limit (all with the same hash tag, so the script is Cluster-safe).
 * ARGV: action, amount, arg, then algorithm, p1, p2, p3 for each key.
 * Value of a key: "blockedUntil s1 s2 ..." (the block deadline, then the algorithm state).
 * Time: Redis `TIME`, in whole milliseconds. Every write sets a TTL (`PX`).
 * Returns 6 integers per key: allowed, remaining, resetAt, retryAfter, delay, ttl; then the time used.
 */
export const RATE_LIMIT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local action = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local arg = tonumber(ARGV[3])
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

local function tokenBucket(alg, p1, p2, p3, st, act, o)
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

local function leakyBucket(alg, p1, p2, p3, st, act, o)
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

local function gcra(alg, p1, p2, p3, st, act, o)
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

local function fixedWindow(alg, p1, p2, p3, st, act, o)
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

local function slidingLog(alg, p1, p2, p3, st, act, o)
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

local function slidingCounter(alg, p1, p2, p3, st, act, o)
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

local function concurrency(alg, p1, p2, p3, st, act, o)
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

local algorithms = { tokenBucket, leakyBucket, gcra, fixedWindow, slidingLog, slidingCounter, gcra, concurrency }

local function parse(value)
  local st = {}
  if not value then return 0, st end
  local blocked = nil
  for x in string.gmatch(value, '%S+') do
    if blocked == nil then blocked = tonumber(x) else st[#st + 1] = tonumber(x) end
  end
  return blocked or 0, st
end

local function format(blocked, st)
  local parts = { string.format('%.17g', blocked) }
  for i = 1, #st do parts[i + 1] = string.format('%.17g', st[i]) end
  return table.concat(parts, ' ')
end

local function decide(i, act, blocked, st)
  local o = (i - 1) * 6
  local base = 4 + (i - 1) * 4
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

local n = #KEYS
if action == RESET then
  for i = 1, n do
    redis.call('DEL', KEYS[i])
    put((i - 1) * 6, true, 0, 0, 0, 0, 0)
  end
  out[n * 6 + 1] = now
  return out
end

local blocks, states, pending = {}, {}, {}
local allowed = true
for i = 1, n do
  local blocked, st = parse(redis.call('GET', KEYS[i]))
  blocks[i] = blocked
  states[i] = st
  pending[i] = decide(i, action, blocked, st)
  if out[(i - 1) * 6 + 1] ~= 1 then allowed = false end
end

if action == CONSUME and not allowed then
  for i = 1, n do
    if out[(i - 1) * 6 + 1] == 1 then decide(i, PEEK, blocks[i], states[i]) end
  end
  out[n * 6 + 1] = now
  return out
end

for i = 1, n do
  local st = pending[i]
  if st ~= nil or action == BLOCK then
    local blocked = blocks[i]
    local ttl = out[(i - 1) * 6 + 6]
    if action == BLOCK then
      blocked = max(now + amount, blocked)
      st = states[i]
      ttl = 0
      if #st > 0 then ttl = redis.call('PTTL', KEYS[i]) end
    end
    if #st == 0 and blocked <= now then
      redis.call('DEL', KEYS[i])
    else
      if #st == 0 then ttl = 0 end
      redis.call('SET', KEYS[i], format(blocked, st), 'PX', max(ttl, blocked - now, 1))
    end
  end
end
out[n * 6 + 1] = now
return out
`;
