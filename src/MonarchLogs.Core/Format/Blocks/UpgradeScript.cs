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

        // The entries ever removed from the stream KEYS[1] (XDEL, XTRIM): entries added minus its
        // length; -1 when the stream is missing or the server does not say how many were added (before Redis 7).
        // A refusal naming a key that holds another type than the upgrade keeps there (nil when it is that type or missing),
        // answered before the script writes anything.
        private const string ExpectFunction = @"
local function expect(key, kind, what)
  local found = redis.call('TYPE', key)['ok']
  if found == 'none' or found == kind then return nil end
  return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. found .. ', where the upgrade keeps ' .. what .. ' (a ' .. kind .. '); delete or rename it, then run Update-MonarchLogStore again')
end
";

        private const string DeletedFunction = @"
local function deleted()
  if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local length, added = nil, nil
  for i = 1, #info, 2 do
    if info[i] == 'length' then length = info[i + 1] elseif info[i] == 'entries-added' then added = info[i + 1] end
  end
  if length == nil or added == nil then return -1 end
  return added - length
end
";

        /// <summary>KEYS: the stream. Answers how many entries were ever removed from it, or -1 when the server does not tell.</summary>
        public static readonly string Deleted = DeletedFunction + "return deleted()";

        /// <summary>
        /// KEYS: the stream, the late set. ARGV: t0 ms, t1 ms, the entries removed from the stream
        /// as the caller expects (<see cref="Deleted"/> before it read the sources, plus those its own
        /// conversions removed since; -1: unknown), the number r of runs, the number n of sources, r
        /// triples (first ID, last ID, entries) that each name a run of sources that were all the
        /// stream held from its first to its last ID when they were read, the n source IDs, then the
        /// block's field/value pairs (with <c>src upgrade</c>: a live tail skips the block). When every source is still there, adds the block at <c>*</c>,
        /// lists it in the late set when it is not on time (the rule of the append script), deletes
        /// the sources and answers the block's ID; else (another run, or retention, went first)
        /// changes nothing and answers nil. The counts stay as they were.
        /// Every source is there when nothing else removed an entry since the caller read them (the
        /// removed count is as expected); else when each run still counts its entries, since a
        /// stream never gains an entry below its top. The first check costs one XINFO; the second
        /// reads every source.
        /// </summary>
        public static readonly string Convert = DeletedFunction + @"
local t0, t1, expected, r, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if expected < 0 or deleted() ~= expected then
  for i = 6, 3 + 3 * r, 3 do
    local count = tonumber(ARGV[i + 2])
    if #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i + 1], 'COUNT', count + 1) ~= count then return false end
  end
end
local sources = 6 + 3 * r
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, sources + n))
local ms = tonumber(string.match(id, '^(%d+)'))
if t0 < ms - " + BlockScripts.LagMs + @" or t1 > ms + " + BlockScripts.LeadMs + @" then redis.call('ZADD', KEYS[2], t0, id) end
redis.call('XDEL', KEYS[1], unpack(ARGV, sources, sources + n - 1))
return id";

        /// <summary>
        /// A rebuild (docs/storage-format.md, "Upgrade"): KEYS: the stream, the rebuild stream, the
        /// rebuild's hash, the late set. Refuses (<c>WRONGTYPE</c>, naming the key) when one of the
        /// last three holds another type. Starts a partition's rebuild unless one is under way: records in the
        /// hash the entries ever removed from the stream (<c>deleted</c>) and no entry taken yet
        /// (<c>after</c> empty). Answers what <c>after</c> holds: empty for a new rebuild, the last
        /// stream ID taken for one under way, or <c>done</c> when the partition was rebuilt less than
        /// a day ago (the hash then lives on a day). Answers nil when the server does not tell how
        /// many entries were removed (before Redis 7): the partition is then converted in place.
        /// </summary>
        public static readonly string BeginRebuild = DeletedFunction + ExpectFunction + @"
local wrong = expect(KEYS[2], 'stream', 'the stream it rebuilds') or expect(KEYS[3], 'hash', 'the progress of a rebuild') or expect(KEYS[4], 'zset', 'the late set')
if wrong then return wrong end
local state = redis.call('HGET', KEYS[3], 'after')
if state then return state end
local removed = deleted()
if removed < 0 and redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[3], 'after', '', 'deleted', removed)
return ''";

        /// <summary>
        /// KEYS: the stream, the rebuild stream, the rebuild's hash. ARGV: <c>after</c> as the caller
        /// read it, the last stream ID the step takes, t0 ms, t1 ms, whether the step is a copy (1:
        /// a block or an entry taken as it is, under its own ID) or a block made of format 1 entries
        /// (0), then the field/value pairs. A made block goes in at its last entry's time, but never
        /// after the last stream ID it takes, so that every stream entry after it still fits after
        /// it; one that is not on time there is noted in the hash (<c>l:&lt;ID&gt;</c> = t0) and
        /// joins the late set when the rebuild replaces the stream; <c>made</c> counts the made blocks. Answers the ID, or nil when
        /// <c>after</c> moved (another upgrade went first): then nothing changed.
        /// </summary>
        public static readonly string Rebuild = @"
local expected, last, t0, t1, copy = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
if redis.call('HGET', KEYS[3], 'after') ~= expected then return false end
local id
if copy then
  id = redis.call('XADD', KEYS[2], last, unpack(ARGV, 6))
else
  local lastms = tonumber(string.match(last, '^(%d+)'))
  local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  local ms = t1
  if #top > 0 then ms = math.max(ms, tonumber(string.match(top[1][1], '^(%d+)'))) end
  if ms > lastms then ms = lastms end
  if ms < 0 then ms = 0 end
  id = redis.call('XADD', KEYS[2], string.format('%d', ms) .. '-*', unpack(ARGV, 6))
  if t0 < ms - " + BlockScripts.LagMs + @" or t1 > ms + " + BlockScripts.LeadMs + @" then redis.call('HSET', KEYS[3], 'l:' .. id, t0) end
  redis.call('HINCRBY', KEYS[3], 'made', 1)
end
redis.call('HSET', KEYS[3], 'after', last)
return id";

        /// <summary>
        /// KEYS: the stream, the rebuild stream, the rebuild's hash, the late set, the replaced
        /// stream. ARGV: <c>after</c> as the caller read it, the most entries to copy. When nothing
        /// was removed from the stream since the rebuild began, copies the entries after
        /// <c>after</c> under their own IDs, puts the rebuild stream in the stream's place (the old
        /// stream is freed in the background), adds the noted late blocks to the late set and
        /// answers <c>done</c>. Answers <c>more</c> when more than that many entries wait to be
        /// taken (a rebuild pass first), <c>changed</c> when an entry was removed meanwhile
        /// (retention: the rebuild is dropped), nil when <c>after</c> moved; each changes nothing.
        /// </summary>
        public static readonly string Replace = DeletedFunction + ExpectFunction + @"
if redis.call('HGET', KEYS[3], 'after') ~= ARGV[1] then return false end
local wrong = expect(KEYS[4], 'zset', 'the late set')
if wrong then return wrong end
if deleted() ~= tonumber(redis.call('HGET', KEYS[3], 'deleted')) then return 'changed' end
local low = ARGV[1] == '' and '-' or '(' .. ARGV[1]
local rest = redis.call('XRANGE', KEYS[1], low, '+', 'COUNT', tonumber(ARGV[2]) + 1)
if #rest > tonumber(ARGV[2]) then return 'more' end
for _, entry in ipairs(rest) do redis.call('XADD', KEYS[2], entry[1], unpack(entry[2])) end
local state = redis.call('HGETALL', KEYS[3])
for i = 1, #state, 2 do
  if string.sub(state[i], 1, 2) == 'l:' then redis.call('ZADD', KEYS[4], state[i + 1], string.sub(state[i], 3)) end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('RENAME', KEYS[1], KEYS[5])
    redis.call('UNLINK', KEYS[5])
  end
  redis.call('RENAME', KEYS[2], KEYS[1])
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'after', 'done')
redis.call('EXPIRE', KEYS[3], 86400)
return 'done'";

        /// <summary>KEYS: the rebuild stream, the rebuild's hash. Drops a rebuild (after <c>changed</c>).</summary>
        public static readonly string DropRebuild = "redis.call('DEL', KEYS[1], KEYS[2]) return 1";

        /// <summary>The rebuild scripts' keys for <paramref name="partition"/>: the stream, the rebuild stream, the rebuild's hash, the late set, the replaced stream.</summary>
        public static RedisKey[] RebuildKeys(StorageFormat format, Partition partition) => new RedisKey[]
        {
            partition.StreamKey, format.SlotKeyOf("rebuild", partition.StreamKey), format.SlotKeyOf("rebuilding", partition.StreamKey), partition.LateKey, format.SlotKeyOf("replaced", partition.StreamKey),
        };

        /// <summary>The rebuild script's arguments for a block made of format 1 entries, the last of which has the stream ID <paramref name="lastSource"/>.</summary>
        public static RedisValue[] RebuildArguments(string after, RedisValue lastSource, EncodedBlock block)
        {
            var fields = BlockFields.ToStreamFields(block);
            var args = new List<RedisValue>(7 + 2 * fields.Length)
            {
                after, lastSource, BlockScripts.Milliseconds(block.Header.FirstTicks), BlockScripts.Milliseconds(block.Header.LastTicks), 0,
            };
            BlockScripts.AddFields(args, fields, StoredBlock.FromUpgrade);
            return args.ToArray();
        }

        /// <summary>The rebuild script's arguments for a stream entry taken as it is.</summary>
        public static RedisValue[] CopyArguments(string after, StreamEntry entry)
        {
            var args = new List<RedisValue>(5 + 2 * entry.Values.Length) { after, entry.Id, 0, 0, 1 };
            foreach (var field in entry.Values)
            {
                args.Add(field.Name);
                args.Add(field.Value);
            }

            return args.ToArray();
        }

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

        /// <summary>
        /// The conversion script's arguments: the block made of the entries <paramref name="sources"/>
        /// names, in that order, which <paramref name="runs"/> cut into runs: the number of sources
        /// in each, in order, each run being all the stream held from its first to its last entry;
        /// <paramref name="expectedDeleted"/>: the entries removed from the stream as the caller
        /// expects (see <see cref="Convert"/>), -1 when it does not know.
        /// </summary>
        public static RedisValue[] ConvertArguments(EncodedBlock block, long expectedDeleted, IReadOnlyList<RedisValue> sources, IReadOnlyList<int> runs)
        {
            if (sources.Count < 1 || sources.Count > MaxSources) throw new ArgumentOutOfRangeException(nameof(sources), $"A conversion takes 1 to {MaxSources} entries.");
            var fields = BlockFields.ToStreamFields(block);
            var args = new List<RedisValue>(7 + 3 * runs.Count + sources.Count + 2 * fields.Length)
            {
                BlockScripts.Milliseconds(block.Header.FirstTicks), BlockScripts.Milliseconds(block.Header.LastTicks), expectedDeleted, runs.Count, sources.Count,
            };
            var first = 0;
            foreach (var length in runs)
            {
                args.Add(sources[first]);
                args.Add(sources[first + length - 1]);
                args.Add(length);
                first += length;
            }

            if (first != sources.Count) throw new ArgumentException("The runs do not add up to the sources.", nameof(runs));
            args.AddRange(sources);
            BlockScripts.AddFields(args, fields, StoredBlock.FromUpgrade);
            return args.ToArray();
        }
    }
}
