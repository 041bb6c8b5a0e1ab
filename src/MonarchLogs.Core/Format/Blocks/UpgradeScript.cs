using System;
using System.Collections.Generic;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The two server scripts of the upgrade from format 1 to format 2 and their argument layout:
    /// marking the store version 2, and turning a chunk of a partition's format 1 entries into one
    /// block in one atomic step, so that no entry is lost or stored twice whenever the upgrade stops.
    /// </summary>
    internal static class UpgradeScript
    {
        /// <summary>
        /// KEYS: the format key. Sets it to <c>2</c> when it is missing, <c>1</c> or <c>2</c>, and
        /// leaves any other version alone. Answers what the key held before (nil when missing).
        /// </summary>
        public static readonly string MarkVersion2 = @"
local was = redis.call('GET', KEYS[1])
if was == false or was == '" + StorageFormat.Version + "' or was == '" + StorageFormat.Version2 + @"' then
  redis.call('SET', KEYS[1], '" + StorageFormat.Version2 + @"')
end
return was";

        /// <summary>
        /// KEYS: the stream, the late set. ARGV: t0 ms, t1 ms, the number n of source entries, their
        /// n stream IDs, then the block's field/value pairs. When every source entry is still in the
        /// stream, adds the block at <c>*</c>, lists it in the late set when it is not on time (the
        /// rule of the append script), deletes the sources and answers the block's ID; else (another
        /// run, or retention, went first) changes nothing and answers nil. The counts stay as they were.
        /// </summary>
        public static readonly string Convert = @"
local t0, t1, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, 3 + n do
  if #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i]) == 0 then return false end
end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4 + n))
local ms = tonumber(string.match(id, '^(%d+)'))
if t0 < ms - " + BlockScripts.LagMs + @" or t1 > ms + " + BlockScripts.LeadMs + @" then redis.call('ZADD', KEYS[2], t0, id) end
redis.call('XDEL', KEYS[1], unpack(ARGV, 4, 3 + n))
return id";

        /// <summary>The most source entries one <see cref="Convert"/> takes: a block's most entries.</summary>
        public const int MaxSources = BlockPositions.MaxBlockEntries;

        /// <summary>Whether a stream entry is one of format 1: it has no <c>data</c> field (a block always has one).</summary>
        public static bool IsFormat1Entry(StreamEntry entry)
        {
            foreach (var field in entry.Values ?? Array.Empty<NameValueEntry>())
            {
                if ((string?)field.Name == BlockFields.Data) return false;
            }

            return true;
        }

        /// <summary>The conversion script's keys for <paramref name="partition"/>.</summary>
        public static RedisKey[] ConvertKeys(Partition partition) => new RedisKey[] { partition.StreamKey, partition.LateKey };

        /// <summary>The conversion script's arguments: the block made of the entries <paramref name="sources"/> names, in that order.</summary>
        public static RedisValue[] ConvertArguments(EncodedBlock block, IReadOnlyList<RedisValue> sources)
        {
            if (sources.Count < 1 || sources.Count > MaxSources) throw new ArgumentOutOfRangeException(nameof(sources), $"A conversion takes 1 to {MaxSources} entries.");
            var fields = BlockFields.ToStreamFields(block);
            var args = new List<RedisValue>(3 + sources.Count + 2 * fields.Length)
            {
                BlockScripts.Milliseconds(block.Header.FirstTicks), BlockScripts.Milliseconds(block.Header.LastTicks), sources.Count,
            };
            args.AddRange(sources);
            foreach (var field in fields)
            {
                args.Add(field.Name);
                args.Add(field.Value);
            }

            return args.ToArray();
        }
    }
}
