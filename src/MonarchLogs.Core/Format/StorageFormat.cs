using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format
{
    /// <summary>
    /// The one owner of the storage format's names (docs/storage-format.md): key names, field names
    /// and order, the timestamp form and the format version. A version 1 entry is read by
    /// <see cref="Version1Entry"/>, a version 2 block by the types of <c>Format/Blocks</c>.
    /// </summary>
    public sealed class StorageFormat
    {
        /// <summary>The key prefix of a store when none is configured: <c>monarch:logs</c>.</summary>
        public const string DefaultPrefix = "monarch:logs";
        /// <summary>The version of format 1 (one stream entry per log entry): read and upgraded, no longer written.</summary>
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

        /// <summary>The stream fields of a format 1 entry, in the documented order.</summary>
        internal static readonly RedisValue[] FieldNames =
        {
            TimestampField, LevelField, ServiceField, CategoryField, MessageField, TemplateField,
            EventIdField, EventNameField, ExceptionTypeField, ExceptionMessageField, ExceptionField,
            TraceIdField, SpanIdField, HostField, PropertiesField,
        };

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

        /// <summary>The format of a store whose format key holds <paramref name="version"/> (none: 1); refuses any other.</summary>
        internal int ReadVersion(string? version)
        {
            if (version is null || version == Version) return 1;
            if (version == Version2) return 2;
            throw new MonarchLogsException("UnsupportedStorageFormat", MonarchErrorKind.InvalidData,
                $"The store under '{Prefix}' has storage format version {version}; this MonarchLogs reads versions {Version} and {Version2} and writes version {Version2}.");
        }

        /// <summary>
        /// The refusal of a writer that met a store of version 1 (<see cref="StoreErrors.NeedsUpgrade"/>):
        /// one line that names the command which upgrades it.
        /// </summary>
        internal MonarchLogsException NeedsUpgrade() =>
            new MonarchLogsException(StoreErrors.NeedsUpgrade, MonarchErrorKind.InvalidData,
                $"The store '{Prefix}' is storage format {Version}; this version writes format {Version2} only. Run Update-MonarchLogStore to upgrade it.");

        /// <summary>
        /// The refusal of a writer that found no format key and may not set it: the store may be
        /// one an older version wrote (format 1), or a new one that an administrator must mark.
        /// </summary>
        internal MonarchLogsException CannotMark() =>
            new MonarchLogsException(StoreErrors.NeedsUpgrade, MonarchErrorKind.InvalidData,
                $"The store '{Prefix}' has no storage format mark and this user may not set it; this version writes format {Version2} only. Run Update-MonarchLogStore to upgrade a store an older version wrote, or mark a new one as an administrator (SET {FormatKey} {Version2} NX).");

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
