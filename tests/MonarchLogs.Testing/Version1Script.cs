using System;
using System.Collections.Generic;
using System.Globalization;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using StackExchange.Redis;
using static MonarchLogs.Core.Format.StorageFormat;

namespace MonarchLogs.Testing
{
    /// <summary>
    /// The per-entry append script of storage format 1 and its argument layout, exactly as the
    /// releases before this one sent them (this version no longer writes format 1; tests and the
    /// benchmark use it to make stores "written by an older version").
    /// </summary>
    public static class Version1Script
    {
        // The fields each append sends per entry (declared before the script that is built from them), in order; level, service and host come from the run's header.
        private static readonly string[] PerEntryFields =
        {
            TimestampField, CategoryField, MessageField, TemplateField, EventIdField, EventNameField,
            ExceptionTypeField, ExceptionMessageField, ExceptionField, TraceIdField, SpanIdField, PropertiesField,
        };

        private static readonly RedisValue[] LevelNames = Array.ConvertAll(
            new[] { MonarchLogLevel.Trace, MonarchLogLevel.Debug, MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error, MonarchLogLevel.Critical },
            level => (RedisValue)LogLevels.StorageName(level));

        /// <summary>
        /// The server-side append of one partition's run of entries (EVAL with the stream key and,
        /// when the writer counts, its two counts keys: one slot, so it runs on the node that owns
        /// the stream). Each entry is added with the ID the writer sent (<c>&lt;ms&gt;-*</c>),
        /// raised to the ID the script added last, so a run is stored in the order given; an entry
        /// older than the stream's top (another writer went ahead) goes in at the hint or with
        /// <c>*</c>, right after the top, keeping its true time in <c>ts</c>. It stops at the first
        /// other error and answers <c>[stored, error]</c>: the count stored from the start of the
        /// run and the error text, empty when all were stored. The writer sends the run's counts
        /// per minute of the IDs it sent; in the same atomic step the script adds to the counts
        /// hashes those of the entries it stored, each at the minute of the ID it really got. A
        /// counts key that refuses (another type) costs the count, never the stored entries'
        /// answer: the statistics then see counts that do not add up and read that partition instead.
        /// </summary>
        public static readonly string AppendScript = BuildAppendScript();

        /// <summary>
        /// Values per entry: the ID (<c>&lt;ms&gt;-*</c>), then the fields of <see cref="PerEntryFields"/>
        /// (the level and the service are the run's, the host is the run's unless entries differ in it).
        /// </summary>
        public const int AppendArgumentsPerEntry = 1 + 12;

        /// <summary>The values before the minute counts: count, hint, level, service, host ('' = one per entry, after the props), number of minutes.</summary>
        private const int AppendHeaderArguments = 6;

        private static string BuildAppendScript()
        {
            // The stored field order stays the documented one (ts, level, service, ... host, props).
            var fields = new System.Text.StringBuilder();
            foreach (var name in FieldNames)
            {
                var field = (string)name!;
                var value = field switch
                {
                    LevelField => "level",
                    ServiceField => "service",
                    HostField => "h or ARGV[b + " + (PerEntryFields.Length + 1) + "]",
                    _ => "ARGV[b + " + (Array.IndexOf(PerEntryFields, field) + 1) + "]",
                };
                fields.Append(", '").Append(field).Append("', ").Append(value);
            }

            // The common case is one XADD per entry and a type check, nothing else: the writer
            // sends each entry's ID ready (times never decreasing within a run) and the run's
            // counts per minute. Only once an entry was placed elsewhere (the stream's top refused
            // it: it goes in at the hint, the latest time this writer ever sent to the stream, as
            // after a lost reply the top is its own, else with "*") does the script raise the later
            // entries to where it went and move their counts to the minutes their IDs really got.
            return "local key = KEYS[1]\n"
                + "local n = tonumber(ARGV[1])\n"
                + "local hint = ARGV[2]\n"
                + "local level, service, host = ARGV[3], ARGV[4], ARGV[5]\n"
                + "local h = host ~= '' and host or nil\n"
                + "local stride = h and " + AppendArgumentsPerEntry + " or " + (AppendArgumentsPerEntry + 1) + "\n"
                + "local minutes = tonumber(ARGV[" + AppendHeaderArguments + "])\n"
                + "local first = " + (AppendHeaderArguments + 1) + " + 2 * minutes\n"
                + "local floor, floorId, moved = nil, nil, nil\n"
                + "local function add(id, b) return redis.pcall('XADD', key, id" + fields + ") end\n"
                + "local function refused(r) return r.err and string.find(r.err, 'equal or smaller', 1, true) end\n"
                + "local function ms(id) return tonumber(string.match(id, '^(%d+)')) end\n"
                + "local function minute(id) return math.floor(ms(id) / " + CountsBucketMilliseconds + ") end\n"
                + "local function counted(stored, err)\n"
                + "  if KEYS[2] then\n"
                + "    local counts, left = moved or {}, stored\n"
                + "    for j = 0, minutes - 1 do\n"
                + "      local c = math.min(tonumber(ARGV[" + (AppendHeaderArguments + 2) + " + 2 * j]), left)\n"
                + "      local m = tonumber(ARGV[" + (AppendHeaderArguments + 1) + " + 2 * j])\n"
                + "      counts[m] = (counts[m] or 0) + c\n"
                + "      left = left - c\n"
                + "    end\n"
                + "    local hours = {}\n"
                + "    for m, c in pairs(counts) do\n"
                + "      if c ~= 0 then\n"
                + "        redis.pcall('HINCRBY', KEYS[2], m, c)\n"
                + "        local hour = math.floor(m / " + (HourCountsBucketMilliseconds / CountsBucketMilliseconds) + ")\n"
                + "        hours[hour] = (hours[hour] or 0) + c\n"
                + "      end\n"
                + "    end\n"
                + "    for hour, c in pairs(hours) do\n"
                + "      if c ~= 0 then redis.pcall('HINCRBY', KEYS[3], hour, c) end\n"
                + "    end\n"
                + "  end\n"
                + "  return {stored, err}\n"
                + "end\n"
                + "for i = 0, n - 1 do\n"
                + "  local b = first + i * stride\n"
                + "  local id = ARGV[b]\n"
                + "  if floor and (ms(id) or floor) < floor then id = floorId end\n"
                + "  local r = add(id, b)\n"
                + "  if type(r) == 'table' then\n"
                + "    if refused(r) then\n"
                + "      if hint ~= '0' then r = add(hint .. '-*', b) end\n"
                + "      if hint == '0' or (type(r) == 'table' and refused(r)) then r = add('*', b) end\n"
                + "      if type(r) ~= 'table' then\n"
                + "        floor = ms(r)\n"
                + "        floorId = floor .. '-*'\n"
                + "      end\n"
                + "    end\n"
                + "    if type(r) == 'table' then return counted(i, r.err or 'ERR') end\n"
                + "  end\n"
                + "  if floor then\n"
                + "    local from, to = minute(ARGV[b]), minute(r)\n"
                + "    if from ~= to then\n"
                + "      moved = moved or {}\n"
                + "      moved[from] = (moved[from] or 0) - 1\n"
                + "      moved[to] = (moved[to] or 0) + 1\n"
                + "    end\n"
                + "  end\n"
                + "end\n"
                + "return counted(n, '')\n";
        }

        /// <summary>
        /// The script's values for one partition's run: the count, the hint, the run's level,
        /// service and host, the run's counts per minute (when <paramref name="countMinutes"/>:
        /// how many minutes, then each minute and its count), then per entry its ID and fields. As
        /// <see cref="RedisValue"/>s, not boxed: the writer makes a dozen per entry.
        /// </summary>
        public static RedisValue[] AppendArguments(Partition partition, IReadOnlyList<MonarchLogEntry> entries, IReadOnlyList<int> indexes, IReadOnlyList<long> idMilliseconds, long hint, string host, bool countMinutes)
        {
            // One host for the run (the writer's, as a rule) is sent once; else each entry sends its own.
            string? runHost = null;
            var oneHost = true;
            for (var k = 0; k < indexes.Count && oneHost; k++)
            {
                var own = entries[indexes[k]].Host;
                var entryHost = string.IsNullOrEmpty(own) ? host : own;
                if (runHost is null) runHost = entryHost;
                else if (!string.Equals(runHost, entryHost, StringComparison.Ordinal)) oneHost = false;
            }

            // The minutes of the run's IDs, in entry order, as runs of equal minutes (the times
            // never decrease within a run, so these are few). The script counts the first runs up
            // to the number it stored; were a minute to repeat, it adds them up.
            var minutes = new List<(long Minute, int Count)>();
            for (var k = 0; countMinutes && k < idMilliseconds.Count; k++)
            {
                var minute = idMilliseconds[k] / CountsBucketMilliseconds;
                if (minutes.Count > 0 && minutes[minutes.Count - 1].Minute == minute) minutes[minutes.Count - 1] = (minute, minutes[minutes.Count - 1].Count + 1);
                else minutes.Add((minute, 1));
            }

            // An empty host cannot be the run's ('' means "per entry"); such entries send it each.
            oneHost &= !string.IsNullOrEmpty(runHost);
            var stride = oneHost ? AppendArgumentsPerEntry : AppendArgumentsPerEntry + 1;
            var values = new RedisValue[AppendHeaderArguments + 2 * minutes.Count + stride * indexes.Count];
            values[0] = indexes.Count;
            values[1] = hint;
            values[2] = LevelNames[(int)partition.Level];
            values[3] = partition.Service;
            values[4] = oneHost ? runHost : RedisValue.EmptyString;
            values[5] = minutes.Count;
            var at = AppendHeaderArguments;
            foreach (var (minute, count) in minutes)
            {
                values[at++] = minute;
                values[at++] = count;
            }

            for (var k = 0; k < indexes.Count; k++)
            {
                var entry = entries[indexes[k]];
                var ts = entry.Timestamp.Kind == DateTimeKind.Utc ? entry.Timestamp : entry.Timestamp.ToUniversalTime();
                values[at++] = idMilliseconds[k].ToString(CultureInfo.InvariantCulture) + "-*";
                // "O" of a UTC time is exactly the documented form, 2026-11-28T14:28:07.1234567Z.
                values[at++] = ts.ToString("O", CultureInfo.InvariantCulture);
                values[at++] = entry.Category;
                values[at++] = entry.Message;
                values[at++] = entry.Template;
                values[at++] = entry.EventId;
                values[at++] = entry.EventName;
                values[at++] = entry.ExceptionType;
                values[at++] = entry.ExceptionMessage;
                values[at++] = entry.Exception;
                values[at++] = entry.TraceId;
                values[at++] = entry.SpanId;
                values[at++] = entry.Properties;
                if (!oneHost) values[at++] = string.IsNullOrEmpty(entry.Host) ? host : entry.Host;
            }

            return values;
        }

    }
}
