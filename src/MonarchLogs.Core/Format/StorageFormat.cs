using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format
{
    /// <summary>
    /// The one owner of the storage format (docs/storage-format.md): key names, field names and
    /// order, value encoding and the format version. Writer, readers, retention and tests all
    /// go through it.
    /// </summary>
    public sealed class StorageFormat
    {
        /// <summary>The key prefix of a store when none is configured: <c>monarch:logs</c>.</summary>
        public const string DefaultPrefix = "monarch:logs";
        /// <summary>The storage format version this code reads and writes; the store's format key holds it.</summary>
        public const string Version = "1";
        /// <summary>The longest service name, in characters.</summary>
        public const int MaxServiceNameLength = 200;

        /// <summary>Stream field: the event time, ISO 8601 UTC with seven decimals.</summary>
        public const string TimestampField = "ts";
        /// <summary>Stream field: the level name in its storage spelling.</summary>
        public const string LevelField = "level";
        /// <summary>Stream field: the service name.</summary>
        public const string ServiceField = "service";
        /// <summary>Stream field: the logger category.</summary>
        public const string CategoryField = "category";
        /// <summary>Stream field: the formatted message.</summary>
        public const string MessageField = "message";
        /// <summary>Stream field: the message template, before its arguments were filled in.</summary>
        public const string TemplateField = "template";
        /// <summary>Stream field: the event id number.</summary>
        public const string EventIdField = "eventId";
        /// <summary>Stream field: the event name.</summary>
        public const string EventNameField = "eventName";
        /// <summary>Stream field: the exception's type name.</summary>
        public const string ExceptionTypeField = "exType";
        /// <summary>Stream field: the exception's message.</summary>
        public const string ExceptionMessageField = "exMessage";
        /// <summary>Stream field: the whole exception as text (type, message, stack, inner exceptions).</summary>
        public const string ExceptionField = "exStack";
        /// <summary>Stream field: the W3C trace id.</summary>
        public const string TraceIdField = "traceId";
        /// <summary>Stream field: the W3C span id.</summary>
        public const string SpanIdField = "spanId";
        /// <summary>Stream field: the name of the machine that wrote the entry.</summary>
        public const string HostField = "host";
        /// <summary>Stream field: the structured properties as one JSON object.</summary>
        public const string PropertiesField = "props";

        private const int MaxCachedPartitions = 10_000;

        // Field names as RedisValues, made once: every XADD reuses them in this fixed order.
        private static readonly RedisValue[] FieldNames =
        {
            TimestampField, LevelField, ServiceField, CategoryField, MessageField, TemplateField,
            EventIdField, EventNameField, ExceptionTypeField, ExceptionMessageField, ExceptionField,
            TraceIdField, SpanIdField, HostField, PropertiesField,
        };

        // The fields each append sends per entry (declared before the script that is built from them), in order; level, service and host come from the run's header.
        private static readonly string[] PerEntryFields =
        {
            TimestampField, CategoryField, MessageField, TemplateField, EventIdField, EventNameField,
            ExceptionTypeField, ExceptionMessageField, ExceptionField, TraceIdField, SpanIdField, PropertiesField,
        };

        private static readonly RedisValue[] LevelNames = Array.ConvertAll(
            new[] { MonarchLogLevel.Trace, MonarchLogLevel.Debug, MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error, MonarchLogLevel.Critical },
            level => (RedisValue)LogLevels.StorageName(level));


        private readonly ConcurrentDictionary<(string, MonarchLogLevel), Partition> _partitions = new ConcurrentDictionary<(string, MonarchLogLevel), Partition>();

        /// <summary>The format of the store under <paramref name="prefix"/>.</summary>
        /// <exception cref="ArgumentException">The prefix is empty or white space.</exception>
        public StorageFormat(string prefix = DefaultPrefix)
        {
            if (string.IsNullOrWhiteSpace(prefix)) throw new ArgumentException("The key prefix must not be empty.", nameof(prefix));
            Prefix = prefix;
            FormatKey = prefix + ":format";
            PartitionsKey = prefix + ":partitions";
            NotifyChannel = prefix + ":notify";
        }

        /// <summary>The key prefix every key of this store starts with.</summary>
        public string Prefix { get; }

        /// <summary>The string key that holds the store's format version.</summary>
        public RedisKey FormatKey { get; }

        /// <summary>The registry hash: one field per partition stream key, its value <c>level:service</c>.</summary>
        public RedisKey PartitionsKey { get; }

        /// <summary>The pub/sub channel on which writers nudge live tails after an append.</summary>
        public string NotifyChannel { get; }

        /// <summary>The partition of <paramref name="service"/> at <paramref name="level"/>, with its stream and counts keys.</summary>
        /// <exception cref="ArgumentException">The service name is empty, too long or holds control characters.</exception>
        public Partition GetPartition(string service, MonarchLogLevel level)
        {
            // The writer asks for every entry; a store has few partitions, so they are made once.
            if (_partitions.TryGetValue((service, level), out var known)) return known;
            ValidateServiceName(service);
            var streamKey = Prefix + ":stream:" + service + ":" + LogLevels.StorageName(level);
            var partition = new Partition(service, level, streamKey, CountsKeyOf(streamKey), SlotKeyOf("head", streamKey), SlotKeyOf("late", streamKey));
            return _partitions.Count < MaxCachedPartitions ? _partitions.GetOrAdd((service, level), partition) : partition;
        }

        /// <summary>The length of a counting bucket: entries are counted per minute of their ID.</summary>
        public const long CountsBucketMilliseconds = 60_000;

        /// <summary>The length of a coarse counting bucket: the hour counts sum the minutes of each hour.</summary>
        public const long HourCountsBucketMilliseconds = 3_600_000;

        /// <summary>
        /// <c>&lt;prefix&gt;:counts:{&lt;stream key&gt;}</c>: the braces make Valkey Cluster hash the
        /// counts key by the stream key, so both are on one slot. A stream key that has braces of
        /// its own is hashed by what is inside them; the counts key then carries that, then the
        /// stream key, so it stays on the same slot and one per partition.
        /// </summary>
        internal string CountsKeyOf(string streamKey) => SlotKeyOf("counts", streamKey);

        /// <summary><c>&lt;prefix&gt;:&lt;kind&gt;:{&lt;stream key&gt;}</c>, on the stream's cluster slot (see <see cref="CountsKeyOf"/>).</summary>
        internal string SlotKeyOf(string kind, string streamKey)
        {
            var tag = HashTagOf(streamKey);
            return tag is null ? Prefix + ":" + kind + ":{" + streamKey + "}" : Prefix + ":" + kind + ":{" + tag + "}:" + streamKey;
        }

        /// <summary>What Valkey Cluster hashes a key by: the text inside its first "{...}" when not empty, else null (the whole key).</summary>
        internal static string? HashTagOf(string key)
        {
            var open = key.IndexOf('{');
            if (open < 0) return null;
            var close = key.IndexOf('}', open + 1);
            return close <= open + 1 ? null : key.Substring(open + 1, close - open - 1);
        }

        /// <summary>The version of format 2: compressed blocks (docs/storage-format.md).</summary>
        public const string Version2 = "2";

        private string _newStoreVersion = Version2;

        /// <summary>
        /// The version a writer marks a new store with: <see cref="Version2"/> (blocks) or
        /// <see cref="Version"/>. A store that exists keeps its own version; <c>Update-MonarchLogStore</c>
        /// upgrades a version 1 store.
        /// </summary>
        /// <exception cref="ArgumentException">Neither "1" nor "2".</exception>
        public string NewStoreVersion
        {
            get => _newStoreVersion;
            set => _newStoreVersion = value == Version || value == Version2
                ? value
                : throw new ArgumentException($"A new store is version {Version} or {Version2}; got '{value}'.", nameof(value));
        }

        /// <summary>The format of a store whose format key holds <paramref name="version"/> (none: 1); refuses any other.</summary>
        internal int ReadVersion(string? version)
        {
            if (version is null || version == Version) return 1;
            if (version == Version2) return 2;
            throw new MonarchLogsException("UnsupportedStorageFormat", MonarchErrorKind.InvalidData,
                $"The store under '{Prefix}' has storage format version {version}; this MonarchLogs reads and writes versions {Version} and {Version2}.");
        }

        /// <summary>The error of an appender of format <paramref name="writes"/> over a store of <paramref name="version"/>.</summary>
        internal static MonarchLogsException WritesOtherVersion(StorageFormat format, int version, int writes) =>
            new MonarchLogsException("UnsupportedStorageFormat", MonarchErrorKind.InvalidData,
                $"The store under '{format.Prefix}' has storage format version {version}; this appender writes version {writes}.");

        /// <summary>The registry hash value of a partition: level first, since levels hold no ':'.</summary>
        internal static string RegistryValue(Partition partition) => LogLevels.StorageName(partition.Level) + ":" + partition.Service;

        /// <summary>
        /// Reads one registry entry. An entry that names no partition of this store gives null and
        /// the reason: a value that is not <c>&lt;level&gt;:&lt;service&gt;</c>, or a field that is not
        /// the stream key of that value (a key outside the prefix, another partition's key). Readers
        /// never touch the key of such an entry.
        /// </summary>
        internal Partition? ParseRegistryEntry(HashEntry entry, out string? problem)
        {
            var field = (string?)entry.Name ?? string.Empty;
            var value = (string?)entry.Value;
            problem = null;
            var colon = value?.IndexOf(':') ?? -1;
            if (value is null || colon <= 0 || colon == value.Length - 1 || !LogLevels.TryParse(value.Substring(0, colon), out var level))
            {
                problem = $"the registry value '{Printable(value)}' is not <level>:<service>";
                return null;
            }

            var service = value.Substring(colon + 1);
            if (!IsValidServiceName(service))
            {
                problem = $"the registry value '{Printable(value)}' names no valid service";
                return null;
            }

            var partition = GetPartition(service, level);
            if (!string.Equals(partition.StreamKey, field, StringComparison.Ordinal))
            {
                problem = field.StartsWith(Prefix + ":stream:", StringComparison.Ordinal)
                    ? $"the registry field '{Printable(field)}' does not match its value '{Printable(value)}' (expected the field '{Printable(partition.StreamKey)}')"
                    : $"the registry field '{Printable(field)}' is not a stream key under '{Prefix}:stream:'";
                return null;
            }

            return partition;
        }

        /// <summary>Registry text for a message: control characters shown as \uXXXX, and cut at 200 characters.</summary>
        private static string Printable(string? text)
        {
            if (text is null) return string.Empty;
            var builder = new System.Text.StringBuilder(Math.Min(text.Length, 200));
            foreach (var c in text)
            {
                if (builder.Length >= 200)
                {
                    builder.Append('…');
                    break;
                }

                if (char.IsControl(c)) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else builder.Append(c);
            }

            return builder.ToString();
        }

        /// <summary>Whether <paramref name="service"/> can name a partition: 1 to <see cref="MaxServiceNameLength"/> characters, no control characters.</summary>
        public static bool IsValidServiceName(string? service)
        {
            if (string.IsNullOrEmpty(service) || service!.Length > MaxServiceNameLength) return false;
            foreach (var c in service)
            {
                if (char.IsControl(c)) return false;
            }

            return true;
        }

        /// <summary>Throws unless <paramref name="service"/> can name a partition (see <see cref="IsValidServiceName"/>).</summary>
        /// <exception cref="ArgumentException">The service name is not valid.</exception>
        public static void ValidateServiceName(string? service)
        {
            if (!IsValidServiceName(service))
            {
                throw new ArgumentException($"A service name must be 1 to {MaxServiceNameLength} characters without control characters; got '{service}'.", nameof(service));
            }
        }

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
        internal const int AppendArgumentsPerEntry = 1 + 12;

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
        internal static RedisValue[] AppendArguments(Partition partition, IReadOnlyList<MonarchLogEntry> entries, IReadOnlyList<int> indexes, IReadOnlyList<long> idMilliseconds, long hint, string host, bool countMinutes)
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

        /// <summary>
        /// Decodes one stream entry. Missing fields read as empty and unknown ones are ignored, so
        /// entries written by hand need only the fields they have. The partition supplies the
        /// service and level when the fields lack them.
        /// </summary>
        internal static MonarchLogEntry Decode(Partition partition, StreamEntry streamEntry)
        {
            StreamId.TryParse(streamEntry.Id, out var position);
            return Decode(partition, streamEntry, position);
        }

        /// <summary>Decodes one stream entry whose ID the caller has already read.</summary>
        internal static MonarchLogEntry Decode(Partition partition, StreamEntry streamEntry, StreamId position)
        {
            string ts = "", message = "", category = "", template = "", eventId = "", eventName = "";
            string exType = "", exMessage = "", exStack = "", traceId = "", spanId = "", host = "", props = "";
            var fields = streamEntry.Values;
            for (var i = 0; i < fields.Length; i++)
            {
                // The partition names the level and the service: their values are not read.
                var index = FieldIndex(fields[i].Name, i);
                if (index < 0 || index == LevelIndex || index == ServiceIndex) continue;
                var value = (string?)fields[i].Value ?? string.Empty;
                switch (index)
                {
                    case TimestampIndex: ts = value; break;
                    case CategoryIndex: category = value; break;
                    case MessageIndex: message = value; break;
                    case TemplateIndex: template = value; break;
                    case EventIdIndex: eventId = value; break;
                    case EventNameIndex: eventName = value; break;
                    case ExceptionTypeIndex: exType = value; break;
                    case ExceptionMessageIndex: exMessage = value; break;
                    case ExceptionIndex: exStack = value; break;
                    case TraceIdIndex: traceId = value; break;
                    case SpanIdIndex: spanId = value; break;
                    case HostIndex: host = value; break;
                    case PropertiesIndex: props = value; break;
                }
            }

            return new MonarchLogEntry
            {
                Id = new LogEntryId(position, partition.Service, partition.Level).ToString(),
                Timestamp = ParseTimestamp(ts, position),
                Level = partition.Level,
                Service = partition.Service,
                Category = category,
                Message = message,
                Template = template,
                EventId = int.TryParse(eventId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : 0,
                EventName = eventName,
                ExceptionType = exType,
                ExceptionMessage = exMessage,
                Exception = exStack,
                TraceId = traceId,
                SpanId = spanId,
                Host = host,
                Properties = props,
            };
        }

        // The positions of the fields in FieldNames, the documented order.
        private const int TimestampIndex = 0, LevelIndex = 1, ServiceIndex = 2, CategoryIndex = 3, MessageIndex = 4, TemplateIndex = 5,
            EventIdIndex = 6, EventNameIndex = 7, ExceptionTypeIndex = 8, ExceptionMessageIndex = 9, ExceptionIndex = 10,
            TraceIdIndex = 11, SpanIdIndex = 12, HostIndex = 13, PropertiesIndex = 14;

        private static readonly byte[][] FieldNameBytes = Array.ConvertAll(FieldNames, name => System.Text.Encoding.UTF8.GetBytes((string)name!));

        /// <summary>
        /// The position of a field name in the documented order, -1 for an unknown one. Compared as
        /// bytes, without making a string of it; the field at the position <paramref name="at"/>
        /// is tried first, as entries written by MonarchLogs have every field in that order.
        /// </summary>
        private static int FieldIndex(RedisValue name, int at)
        {
            ReadOnlyMemory<byte> bytes = name;
            var span = bytes.Span;
            if (at < FieldNameBytes.Length && span.SequenceEqual(FieldNameBytes[at])) return at;
            for (var i = 0; i < FieldNameBytes.Length; i++)
            {
                if (span.SequenceEqual(FieldNameBytes[i])) return i;
            }

            return -1;
        }

        private static DateTime ParseTimestamp(string text, StreamId position)
        {
            if (TryParseRoundTrip(text, out var exact)) return exact;
            if (text.Length > 0 && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            }

            return StreamId.ToUtcTime(position.Milliseconds);
        }

        /// <summary>
        /// The form every writer of MonarchLogs stores, <c>2026-11-28T14:28:07.1234567Z</c>, read
        /// digit by digit; anything else (a hand-written entry, an offset) is left to the general parser.
        /// </summary>
        internal static bool TryParseRoundTrip(string text, out DateTime value) => TryParseRoundTrip(text.AsSpan(), out value);

        /// <summary>The same form as UTF-8 bytes (a block's payload).</summary>
        internal static bool TryParseRoundTrip(ReadOnlySpan<byte> utf8, out DateTime value)
        {
            value = default;
            if (utf8.Length != 28) return false;
            Span<char> text = stackalloc char[28];
            for (var i = 0; i < 28; i++) text[i] = (char)utf8[i];
            return TryParseRoundTrip(text, out value);
        }

        private static bool TryParseRoundTrip(ReadOnlySpan<char> text, out DateTime value)
        {
            value = default;
            if (text.Length != 28 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.' || text[27] != 'Z') return false;
            if (!Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
                || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second)
                || !Digits(text, 20, 7, out var fraction))
            {
                return false;
            }

            if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
            value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction);
            return true;
        }

        private static bool Digits(ReadOnlySpan<char> text, int start, int count, out int value)
        {
            value = 0;
            for (var i = start; i < start + count; i++)
            {
                var digit = text[i] - '0';
                if (digit < 0 || digit > 9) return false;
                value = value * 10 + digit;
            }

            return true;
        }
    }
}
