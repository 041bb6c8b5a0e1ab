using System;
using System.Collections.Generic;
using System.Globalization;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The two server scripts of format 2 and their argument layout: the append script (one per
    /// block, the only script of the write path) and the compaction script (one per head compacted).
    /// </summary>
    internal static class BlockScripts
    {
        /// <summary>S and L in milliseconds, as the scripts' late rule writes them.</summary>
        internal static readonly string LeadMs = ((long)BlockPositions.Lead.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        internal static readonly string LagMs = ((long)BlockPositions.Lag.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// KEYS: the target (the stream or the head), the late set, then, when the writer counts,
        /// the counts and the hour counts. ARGV: t0 ms, t1 ms, whether to count (1/0), the target
        /// (<see cref="ToHead"/>, <see cref="ToStream"/> or <see cref="ToStreamAtEventTime"/>), k, then k
        /// minute/count pairs, then the block's field/value pairs. Answers the block's ID. A late set
        /// of another type refuses the block before anything is written (a block of the stream that
        /// readers of a time range could miss); a counts key that refuses costs the count, never the
        /// stored block's answer (a retry would store it again), as in format 1.
        /// A block for the stream at its event time (an import's) goes in at
        /// max(t1, the stream's top ID) when that is on time and not after the server's clock,
        /// with <c>XADD &lt;ms&gt;-*</c> (at t1 first; the top is read only when the server refuses
        /// that); else (the stream holds later IDs, the server refuses the ID) at <c>*</c>, as every
        /// other block, and then into the late set unless on time there. A user who may not ask
        /// the server's clock (<c>TIME</c>) gets every block at <c>*</c>.
        /// </summary>
        public static readonly string Append = @"
local t0, t1, target, k = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4], tonumber(ARGV[5])
local stream = target ~= '" + ToHead + @"'
local count = ARGV[3] == '1' and #KEYS >= 4
local first = 6 + 2 * k
if stream then
  local t = redis.call('TYPE', KEYS[2]).ok
  if t ~= 'none' and t ~= 'zset' then return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value') end
end
local id
if target == '" + ToStreamAtEventTime + @"' then
  local now = redis.pcall('TIME')
  if now.err == nil then now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) else now = -1 end
  local function place(ms)
    if ms > now or t0 < ms - " + LagMs + @" or t1 > ms + " + LeadMs + @" then return nil end
    local placed = redis.pcall('XADD', KEYS[1], string.format('%d', ms) .. '-*', unpack(ARGV, first))
    if type(placed) == 'string' then return placed end
    return nil
  end
  id = place(math.max(t1, 0))
  if not id then
    local top = redis.pcall('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
    if top.err == nil and #top > 0 then
      local topms = tonumber(string.match(top[1][1], '^(%d+)'))
      if topms > t1 then id = place(topms) end
    end
  end
end
if not id then id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, first)) end
if count then
  local hours = {}
  for i = 6, first - 1, 2 do
    local n = tonumber(ARGV[i + 1])
    redis.pcall('HINCRBY', KEYS[3], ARGV[i], n)
    local hour = math.floor(tonumber(ARGV[i]) / 60)
    hours[hour] = (hours[hour] or 0) + n
  end
  for hour, n in pairs(hours) do redis.pcall('HINCRBY', KEYS[4], string.format('%d', hour), n) end
end
if stream then
  local ms = tonumber(string.match(id, '^(%d+)'))
  if t0 < ms - " + LagMs + @" or t1 > ms + " + LeadMs + @" then redis.call('ZADD', KEYS[2], t0, id) end
end
return id";

        /// <summary>
        /// KEYS: the stream, the head, the late set. ARGV: t0 ms, t1 ms, the first and last head
        /// block IDs replaced, how many head blocks that is, then the block's field/value pairs
        /// (with <c>src head</c>). Answers the new block's ID, or false when the head no longer
        /// starts with exactly those blocks (another compaction went first): then nothing changed.
        /// Every check that can refuse comes before the first write, so a refusal leaves the head as it was.
        /// </summary>
        public static readonly string Compact = @"
local t0, t1, from, to, n = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
local t = redis.call('TYPE', KEYS[3]).ok
if t ~= 'none' and t ~= 'zset' then return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value') end
local present = redis.call('XRANGE', KEYS[2], '-', to, 'COUNT', n + 1)
if #present ~= n or present[1][1] ~= from then return false end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 6))
local ms = tonumber(string.match(id, '^(%d+)'))
if t0 < ms - " + LagMs + @" or t1 > ms + " + LeadMs + @" then redis.call('ZADD', KEYS[3], t0, id) end
local ids = {}
for i = 1, n do ids[i] = present[i][1] end
redis.call('XDEL', KEYS[2], unpack(ids))
return id";

        /// <summary>The append script's target argument: the partition's head.</summary>
        public const string ToHead = "0";

        /// <summary>The append script's target argument: the stream, at the server's time (<c>*</c>).</summary>
        public const string ToStream = "1";

        /// <summary>The append script's target argument: the stream, at the block's event time where the stream lets it stand there on time (an import's blocks).</summary>
        public const string ToStreamAtEventTime = "2";

        /// <summary>The SHA-1 digest of <see cref="Append"/>, for EVALSHA.</summary>
        public static readonly byte[] AppendDigest = Digest(Append);

        /// <summary>The SHA-1 digest of <see cref="Compact"/>, for EVALSHA.</summary>
        public static readonly byte[] CompactDigest = Digest(Compact);

        /// <summary>The append script's keys for a block of <paramref name="partition"/>; without the counts keys when the writer does not count (its user may not write them).</summary>
        public static RedisKey[] AppendKeys(Partition partition, bool toHead, bool count = true) => count
            ? new RedisKey[] { toHead ? partition.HeadKey : partition.StreamKey, partition.LateKey, partition.CountsKey, partition.HourCountsKey }
            : new RedisKey[] { toHead ? partition.HeadKey : partition.StreamKey, partition.LateKey };

        /// <summary>The append script's arguments for a block; <paramref name="atEventTime"/>: a block of the stream placed at its event time where it fits (<see cref="ToStreamAtEventTime"/>).</summary>
        public static RedisValue[] AppendArguments(EncodedBlock block, bool toHead, bool count, bool atEventTime = false)
        {
            var fields = BlockFields.ToStreamFields(block);
            var minutes = block.Header.MinuteCounts;
            var target = toHead ? ToHead : atEventTime ? ToStreamAtEventTime : ToStream;
            var args = new List<RedisValue>(5 + 2 * minutes.Count + 2 * fields.Length)
            {
                Milliseconds(block.Header.FirstTicks), Milliseconds(block.Header.LastTicks), count ? 1 : 0, target, minutes.Count,
            };
            foreach (var minute in minutes)
            {
                args.Add(minute.Minute);
                args.Add(minute.Count);
            }

            AddFields(args, fields);
            return args.ToArray();
        }

        /// <summary>The compaction script's keys for <paramref name="partition"/>.</summary>
        public static RedisKey[] CompactKeys(Partition partition) => new RedisKey[] { partition.StreamKey, partition.HeadKey, partition.LateKey };

        /// <summary>The compaction script's arguments: the block (written with <c>src head</c>) and the head blocks it replaces.</summary>
        public static RedisValue[] CompactArguments(EncodedBlock block, StreamId firstHeadBlock, StreamId lastHeadBlock, int headBlocks)
        {
            var fields = BlockFields.ToStreamFields(block);
            var args = new List<RedisValue>(8 + 2 * fields.Length)
            {
                Milliseconds(block.Header.FirstTicks), Milliseconds(block.Header.LastTicks), firstHeadBlock.ToString(), lastHeadBlock.ToString(), headBlocks,
            };
            AddFields(args, fields, StoredBlock.FromHead);
            return args.ToArray();
        }

        /// <summary>Adds the block's field/value pairs, with <c>src</c> <paramref name="source"/> as the last field but one (before <c>data</c>).</summary>
        internal static void AddFields(List<RedisValue> args, NameValueEntry[] fields, string source)
        {
            for (var i = 0; i < fields.Length - 1; i++)
            {
                args.Add(fields[i].Name);
                args.Add(fields[i].Value);
            }

            args.Add(StoredBlock.SourceField);
            args.Add(source);
            args.Add(fields[fields.Length - 1].Name);
            args.Add(fields[fields.Length - 1].Value);
        }

        private static void AddFields(List<RedisValue> args, NameValueEntry[] fields)
        {
            foreach (var field in fields)
            {
                args.Add(field.Name);
                args.Add(field.Value);
            }
        }

        private static byte[] Digest(string script)
        {
            using var sha1 = System.Security.Cryptography.SHA1.Create();
            return sha1.ComputeHash(System.Text.Encoding.UTF8.GetBytes(script));
        }

        /// <summary>Unix milliseconds of Unix ticks, rounded down (before 1970: negative).</summary>
        internal static long Milliseconds(long unixTicks) => unixTicks >= 0 ? unixTicks / TimeSpan.TicksPerMillisecond : -((-unixTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
    }
}
