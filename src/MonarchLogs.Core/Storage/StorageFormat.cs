using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using MonarchLogs.Core.Ingest;
using StackExchange.Redis;

namespace MonarchLogs.Core.Storage
{
    /// <summary>
    /// The one owner of the storage format (docs/storage-format.md): key names, field names and
    /// order, value encoding and the format version. Writer, readers, retention and tests all
    /// go through it.
    /// </summary>
    public sealed class StorageFormat
    {
        public const string DefaultPrefix = "monarch:logs";
        public const string Version = "1";
        public const int MaxServiceNameLength = 200;

        public const string TimestampField = "ts";
        public const string LevelField = "level";
        public const string ServiceField = "service";
        public const string CategoryField = "category";
        public const string MessageField = "message";
        public const string TemplateField = "template";
        public const string EventIdField = "eventId";
        public const string EventNameField = "eventName";
        public const string ExceptionTypeField = "exType";
        public const string ExceptionMessageField = "exMessage";
        public const string ExceptionField = "exStack";
        public const string TraceIdField = "traceId";
        public const string SpanIdField = "spanId";
        public const string HostField = "host";
        public const string PropertiesField = "props";

        private const int MaxCachedPartitions = 10_000;

        // Field names as RedisValues, made once: every XADD reuses them in this fixed order.
        private static readonly RedisValue[] FieldNames =
        {
            TimestampField, LevelField, ServiceField, CategoryField, MessageField, TemplateField,
            EventIdField, EventNameField, ExceptionTypeField, ExceptionMessageField, ExceptionField,
            TraceIdField, SpanIdField, HostField, PropertiesField,
        };

        private static readonly byte[][] EncodedLevels = Array.ConvertAll(
            new[] { MonarchLogLevel.Trace, MonarchLogLevel.Debug, MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error, MonarchLogLevel.Critical },
            level => RespCommandBuffer.EncodeBulk(LogLevels.StorageName(level)));


        private readonly ConcurrentDictionary<(string, MonarchLogLevel), Partition> _partitions = new ConcurrentDictionary<(string, MonarchLogLevel), Partition>();

        public StorageFormat(string prefix = DefaultPrefix)
        {
            if (string.IsNullOrWhiteSpace(prefix)) throw new ArgumentException("The key prefix must not be empty.", nameof(prefix));
            Prefix = prefix;
            FormatKey = prefix + ":format";
            PartitionsKey = prefix + ":partitions";
            NotifyChannel = prefix + ":notify";
        }

        public string Prefix { get; }

        public RedisKey FormatKey { get; }

        public RedisKey PartitionsKey { get; }

        public string NotifyChannel { get; }

        public Partition GetPartition(string service, MonarchLogLevel level)
        {
            // The writer asks for every entry; a store has few partitions, so they are made once.
            if (_partitions.TryGetValue((service, level), out var known)) return known;
            ValidateServiceName(service);
            var partition = new Partition(service, level, Prefix + ":stream:" + service + ":" + LogLevels.StorageName(level));
            return _partitions.Count < MaxCachedPartitions ? _partitions.GetOrAdd((service, level), partition) : partition;
        }

        /// <summary>Refuses a store whose format key holds another version.</summary>
        internal void CheckVersion(string? version)
        {
            if (version is not null && version != Version)
            {
                throw new MonarchLogsException("UnsupportedStorageFormat", MonarchErrorKind.InvalidData,
                    $"The store under '{Prefix}' has storage format version {version}; this MonarchLogs reads and writes version {Version}.");
            }
        }

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

        public static bool IsValidServiceName(string? service)
        {
            if (string.IsNullOrEmpty(service) || service!.Length > MaxServiceNameLength) return false;
            foreach (var c in service)
            {
                if (char.IsControl(c)) return false;
            }

            return true;
        }

        public static void ValidateServiceName(string? service)
        {
            if (!IsValidServiceName(service))
            {
                throw new ArgumentException($"A service name must be 1 to {MaxServiceNameLength} characters without control characters; got '{service}'.", nameof(service));
            }
        }

        /// <summary>
        /// The server-side append of one partition's run of entries (EVAL with the stream key as
        /// its one key, so it runs on the node that owns the stream). Each entry is added with its
        /// ID time (<c>&lt;ms&gt;-*</c>), raised to the ID the script added last, so a run is stored
        /// in the order given; an entry older than the stream's top (another writer went ahead)
        /// goes in with <c>*</c>, right after the top, keeping its true time in <c>ts</c>. It stops
        /// at the first other error and answers <c>[stored, error]</c>: the count stored from the
        /// start of the run and the error text, empty when all were stored.
        /// </summary>
        public static readonly string AppendScript = BuildAppendScript();

        /// <summary>Arguments per entry after the script's count: the ID time, then the fifteen field values.</summary>
        internal const int AppendArgumentsPerEntry = 1 + 15;

        private static string BuildAppendScript()
        {
            var fields = new System.Text.StringBuilder();
            for (var i = 0; i < FieldNames.Length; i++)
            {
                fields.Append(", '").Append((string?)FieldNames[i]).Append("', ARGV[b + ").Append(i + 1).Append(']');
            }

            return "local key = KEYS[1]\n"
                + "local n = tonumber(ARGV[1])\n"
                + "local floor, floorText = -1, nil\n"
                + "local function add(id, b) return redis.pcall('XADD', key, id" + fields + ") end\n"
                + "for i = 0, n - 1 do\n"
                + "  local b = 2 + i * " + AppendArgumentsPerEntry + "\n"
                + "  local id = ARGV[b] .. '-*'\n"
                + "  if floorText ~= nil and tonumber(ARGV[b]) < floor then id = floorText .. '-*' end\n"
                + "  local r = add(id, b)\n"
                + "  if type(r) == 'table' and r.err and string.find(r.err, 'equal or smaller', 1, true) then r = add('*', b) end\n"
                + "  if type(r) == 'table' and r.err then return {i, r.err} end\n"
                + "  floorText = string.match(r, '^(%d+)')\n"
                + "  floor = tonumber(floorText)\n"
                + "end\n"
                + "return {n, ''}\n";
        }

        private static readonly byte[] EvalCommand = RespCommandBuffer.EncodeBulk("EVAL");
        private static readonly byte[] EncodedAppendScript = RespCommandBuffer.EncodeBulk(AppendScript);
        private static readonly byte[] OneKey = RespCommandBuffer.EncodeBulk("1");

        /// <summary>
        /// Writes the append of one partition's run for the RESP write path: the same command and
        /// arguments as <see cref="AppendArguments"/>, encoded straight into the buffer.
        /// </summary>
        internal static void WriteAppend(RespCommandBuffer commands, string streamKey, IReadOnlyList<MonarchLogEntry> entries, IReadOnlyList<int> indexes, IReadOnlyList<long> idMilliseconds, string host)
        {
            commands.BeginCommand(5 + AppendArgumentsPerEntry * indexes.Count);
            commands.WriteRaw(EvalCommand);
            commands.WriteRaw(EncodedAppendScript);
            commands.WriteRaw(OneKey);
            commands.WriteBulk(streamKey);
            commands.WriteBulk(indexes.Count);
            for (var k = 0; k < indexes.Count; k++)
            {
                var entry = entries[indexes[k]];
                var ts = entry.Timestamp.Kind == DateTimeKind.Utc ? entry.Timestamp : entry.Timestamp.ToUniversalTime();
                commands.WriteBulk(idMilliseconds[k]);
                commands.WriteBulkRoundTrip(ts);
                commands.WriteRaw(EncodedLevels[(int)entry.Level]);
                commands.WriteBulk(entry.Service);
                commands.WriteBulk(entry.Category);
                commands.WriteBulk(entry.Message);
                commands.WriteBulk(entry.Template);
                commands.WriteBulk(entry.EventId);
                commands.WriteBulk(entry.EventName);
                commands.WriteBulk(entry.ExceptionType);
                commands.WriteBulk(entry.ExceptionMessage);
                commands.WriteBulk(entry.Exception);
                commands.WriteBulk(entry.TraceId);
                commands.WriteBulk(entry.SpanId);
                commands.WriteBulk(string.IsNullOrEmpty(entry.Host) ? host : entry.Host);
                commands.WriteBulk(entry.Properties);
            }
        }

        /// <summary>The EVAL arguments (after the command name) of one partition's run, for StackExchange.Redis.</summary>
        internal static object[] AppendArguments(string streamKey, IReadOnlyList<MonarchLogEntry> entries, IReadOnlyList<int> indexes, IReadOnlyList<long> idMilliseconds, string host)
        {
            var arguments = new object[4 + AppendArgumentsPerEntry * indexes.Count];
            arguments[0] = (RedisValue)AppendScript;
            arguments[1] = (RedisValue)1;
            arguments[2] = (RedisKey)streamKey;
            arguments[3] = (RedisValue)indexes.Count;
            var at = 4;
            for (var k = 0; k < indexes.Count; k++)
            {
                var entry = entries[indexes[k]];
                var ts = entry.Timestamp.Kind == DateTimeKind.Utc ? entry.Timestamp : entry.Timestamp.ToUniversalTime();
                arguments[at++] = (RedisValue)idMilliseconds[k];
                // "O" of a UTC time is exactly the documented form, 2026-11-28T14:28:07.1234567Z.
                arguments[at++] = (RedisValue)ts.ToString("O", CultureInfo.InvariantCulture);
                arguments[at++] = (RedisValue)LogLevels.StorageName(entry.Level);
                arguments[at++] = (RedisValue)entry.Service;
                arguments[at++] = (RedisValue)entry.Category;
                arguments[at++] = (RedisValue)entry.Message;
                arguments[at++] = (RedisValue)entry.Template;
                arguments[at++] = (RedisValue)entry.EventId;
                arguments[at++] = (RedisValue)entry.EventName;
                arguments[at++] = (RedisValue)entry.ExceptionType;
                arguments[at++] = (RedisValue)entry.ExceptionMessage;
                arguments[at++] = (RedisValue)entry.Exception;
                arguments[at++] = (RedisValue)entry.TraceId;
                arguments[at++] = (RedisValue)entry.SpanId;
                arguments[at++] = (RedisValue)(string.IsNullOrEmpty(entry.Host) ? host : entry.Host);
                arguments[at++] = (RedisValue)entry.Properties;
            }

            return arguments;
        }

        /// <summary>
        /// Decodes one stream entry. Missing fields read as empty and unknown ones are ignored, so
        /// entries written by hand need only the fields they have. The partition supplies the
        /// service and level when the fields lack them.
        /// </summary>
        internal static MonarchLogEntry Decode(Partition partition, StreamEntry streamEntry)
        {
            StreamId.TryParse(streamEntry.Id, out var position);
            string ts = "", message = "", category = "", template = "", eventId = "", eventName = "";
            string exType = "", exMessage = "", exStack = "", traceId = "", spanId = "", host = "", props = "";
            foreach (var field in streamEntry.Values)
            {
                var value = (string?)field.Value ?? string.Empty;
                switch ((string?)field.Name)
                {
                    case TimestampField: ts = value; break;
                    case CategoryField: category = value; break;
                    case MessageField: message = value; break;
                    case TemplateField: template = value; break;
                    case EventIdField: eventId = value; break;
                    case EventNameField: eventName = value; break;
                    case ExceptionTypeField: exType = value; break;
                    case ExceptionMessageField: exMessage = value; break;
                    case ExceptionField: exStack = value; break;
                    case TraceIdField: traceId = value; break;
                    case SpanIdField: spanId = value; break;
                    case HostField: host = value; break;
                    case PropertiesField: props = value; break;
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

        private static DateTime ParseTimestamp(string text, StreamId position)
        {
            if (text.Length > 0 && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            }

            return StreamId.ToUtcTime(position.Milliseconds);
        }
    }
}
