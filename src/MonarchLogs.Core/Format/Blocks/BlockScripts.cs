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
        /// KEYS: the target (the stream or the head), the counts, the hour counts, the late set.
        /// ARGV: t0 ms, t1 ms, whether to count (1/0), whether the target is the stream (1/0),
        /// k, then k minute/count pairs, then the block's field/value pairs. Answers the block's ID.
        /// </summary>
        public static readonly string Append = @"
local t0, t1, count, stream, k = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1', ARGV[4] == '1', tonumber(ARGV[5])
local first = 6 + 2 * k
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, first))
if count then
  for i = 6, first - 1, 2 do
    local minute, n = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    redis.call('HINCRBY', KEYS[2], ARGV[i], n)
    redis.call('HINCRBY', KEYS[3], tostring(math.floor(minute / 60)), n)
  end
end
if stream then
  local ms = tonumber(string.match(id, '^(%d+)'))
  if t0 < ms - " + LagMs + @" or t1 > ms + " + LeadMs + @" then redis.call('ZADD', KEYS[4], t0, id) end
end
return id";

        /// <summary>
        /// KEYS: the stream, the head, the late set. ARGV: t0 ms, t1 ms, the first and last head
        /// block IDs replaced, how many head blocks that is, then the block's field/value pairs
        /// (with <c>src head</c>). Answers the new block's ID, or false when the head no longer
        /// starts with exactly those blocks (another compaction went first): then nothing changed.
        /// </summary>
        public static readonly string Compact = @"
local t0, t1, from, to, n = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
local present = redis.call('XRANGE', KEYS[2], '-', to)
if #present ~= n or present[1][1] ~= from then return false end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 6))
local ms = tonumber(string.match(id, '^(%d+)'))
if t0 < ms - " + LagMs + @" or t1 > ms + " + LeadMs + @" then redis.call('ZADD', KEYS[3], t0, id) end
for i = 1, n do redis.call('XDEL', KEYS[2], present[i][1]) end
return id";

        /// <summary>The append script's keys for a block of <paramref name="partition"/>.</summary>
        public static RedisKey[] AppendKeys(Partition partition, bool toHead) => new RedisKey[]
        {
            toHead ? partition.HeadKey : partition.StreamKey, partition.CountsKey, partition.HourCountsKey, partition.LateKey,
        };

        /// <summary>The append script's arguments for a block.</summary>
        public static RedisValue[] AppendArguments(EncodedBlock block, bool toHead, bool count)
        {
            var fields = BlockFields.ToStreamFields(block);
            var minutes = block.Header.MinuteCounts;
            var args = new List<RedisValue>(5 + 2 * minutes.Count + 2 * fields.Length)
            {
                Milliseconds(block.Header.FirstTicks), Milliseconds(block.Header.LastTicks), count ? 1 : 0, toHead ? 0 : 1, minutes.Count,
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

        /// <summary>Unix milliseconds of Unix ticks, rounded down (before 1970: negative).</summary>
        internal static long Milliseconds(long unixTicks) => unixTicks >= 0 ? unixTicks / TimeSpan.TicksPerMillisecond : -((-unixTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
    }
}
