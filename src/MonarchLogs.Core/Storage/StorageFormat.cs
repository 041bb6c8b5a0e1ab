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

        // The same names encoded once as RESP bulk strings, for the write path's own encoder.
        private static readonly byte[][] EncodedFieldNames = Array.ConvertAll(FieldNames, name => RespCommandBuffer.EncodeBulk(name!));

        private static readonly byte[][] EncodedLevels = Array.ConvertAll(
            new[] { MonarchLogLevel.Trace, MonarchLogLevel.Debug, MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error, MonarchLogLevel.Critical },
            level => RespCommandBuffer.EncodeBulk(LogLevels.StorageName(level)));

        private static readonly byte[] XaddCommand = RespCommandBuffer.EncodeBulk("XADD");

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

        /// <summary>
        /// The partition of each entry of a batch, and the batch's distinct partitions in the
        /// order first seen: the registry fields a batch writes.
        /// </summary>
        internal Partition[] PartitionsOf(IReadOnlyList<MonarchLogEntry> entries, out List<Partition> distinct)
        {
            var partitions = new Partition[entries.Count];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            distinct = new List<Partition>();
            for (var i = 0; i < entries.Count; i++)
            {
                var partition = GetPartition(entries[i].Service, entries[i].Level);
                partitions[i] = partition;
                if (seen.Add(partition.StreamKey)) distinct.Add(partition);
            }

            return partitions;
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

        /// <summary>The XADD ID that makes the entry's event time its stream ID.</summary>
        internal static RedisValue EventTimeId(DateTime timestamp) =>
            StreamId.ToUnixMilliseconds(timestamp).ToString(CultureInfo.InvariantCulture) + "-*";

        /// <summary>
        /// Writes the XADD of one entry for the RESP write path: the fields of <see cref="Encode"/>,
        /// same names, same order, same text. <paramref name="idMilliseconds"/> is the ID's time
        /// part (the server picks the sequence); null lets the server choose the whole ID.
        /// </summary>
        internal static void WriteAdd(RespCommandBuffer commands, string streamKey, long? idMilliseconds, MonarchLogEntry entry, string host)
        {
            var ts = entry.Timestamp.Kind == DateTimeKind.Utc ? entry.Timestamp : entry.Timestamp.ToUniversalTime();
            commands.BeginCommand(3 + 2 * FieldNames.Length);
            commands.WriteRaw(XaddCommand);
            commands.WriteBulk(streamKey);
            if (idMilliseconds is long milliseconds) commands.WriteBulkAutoSequenceId(milliseconds);
            else commands.WriteBulk("*");
            commands.WriteRaw(EncodedFieldNames[0]);
            commands.WriteBulkRoundTrip(ts);
            commands.WriteRaw(EncodedFieldNames[1]);
            commands.WriteRaw(EncodedLevels[(int)entry.Level]);
            commands.WriteRaw(EncodedFieldNames[2]);
            commands.WriteBulk(entry.Service);
            commands.WriteRaw(EncodedFieldNames[3]);
            commands.WriteBulk(entry.Category);
            commands.WriteRaw(EncodedFieldNames[4]);
            commands.WriteBulk(entry.Message);
            commands.WriteRaw(EncodedFieldNames[5]);
            commands.WriteBulk(entry.Template);
            commands.WriteRaw(EncodedFieldNames[6]);
            commands.WriteBulk(entry.EventId);
            commands.WriteRaw(EncodedFieldNames[7]);
            commands.WriteBulk(entry.EventName);
            commands.WriteRaw(EncodedFieldNames[8]);
            commands.WriteBulk(entry.ExceptionType);
            commands.WriteRaw(EncodedFieldNames[9]);
            commands.WriteBulk(entry.ExceptionMessage);
            commands.WriteRaw(EncodedFieldNames[10]);
            commands.WriteBulk(entry.Exception);
            commands.WriteRaw(EncodedFieldNames[11]);
            commands.WriteBulk(entry.TraceId);
            commands.WriteRaw(EncodedFieldNames[12]);
            commands.WriteBulk(entry.SpanId);
            commands.WriteRaw(EncodedFieldNames[13]);
            commands.WriteBulk(string.IsNullOrEmpty(entry.Host) ? host : entry.Host);
            commands.WriteRaw(EncodedFieldNames[14]);
            commands.WriteBulk(entry.Properties);
        }

        internal static NameValueEntry[] Encode(MonarchLogEntry entry, string host)
        {
            var ts = entry.Timestamp.Kind == DateTimeKind.Utc ? entry.Timestamp : entry.Timestamp.ToUniversalTime();
            return new[]
            {
                // "O" of a UTC time is exactly the documented form, 2026-11-28T14:28:07.1234567Z.
                new NameValueEntry(FieldNames[0], ts.ToString("O", CultureInfo.InvariantCulture)),
                new NameValueEntry(FieldNames[1], LogLevels.StorageName(entry.Level)),
                new NameValueEntry(FieldNames[2], entry.Service),
                new NameValueEntry(FieldNames[3], entry.Category),
                new NameValueEntry(FieldNames[4], entry.Message),
                new NameValueEntry(FieldNames[5], entry.Template),
                new NameValueEntry(FieldNames[6], entry.EventId),
                new NameValueEntry(FieldNames[7], entry.EventName),
                new NameValueEntry(FieldNames[8], entry.ExceptionType),
                new NameValueEntry(FieldNames[9], entry.ExceptionMessage),
                new NameValueEntry(FieldNames[10], entry.Exception),
                new NameValueEntry(FieldNames[11], entry.TraceId),
                new NameValueEntry(FieldNames[12], entry.SpanId),
                new NameValueEntry(FieldNames[13], string.IsNullOrEmpty(entry.Host) ? host : entry.Host),
                new NameValueEntry(FieldNames[14], entry.Properties),
            };
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
