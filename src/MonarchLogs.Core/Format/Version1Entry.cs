using System;
using System.Globalization;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format
{
    /// <summary>
    /// Reads a stream entry of storage format 1 (one log entry per stream entry, its fields named
    /// as <see cref="StorageFormat"/> lists them; docs/storage-format.md, "Version 1"): what a store
    /// an earlier release wrote, or one being upgraded, holds, and what a hand-written entry is.
    /// </summary>
    internal static class Version1Entry
    {
        /// <summary>
        /// Decodes one stream entry. Missing fields read as empty and unknown ones are ignored, so
        /// entries written by hand need only the fields they have. The partition supplies the
        /// service and level when the fields lack them.
        /// </summary>
        public static MonarchLogEntry Decode(Partition partition, StreamEntry streamEntry)
        {
            StreamId.TryParse(streamEntry.Id, out var position);
            return Decode(partition, streamEntry, position);
        }

        /// <summary>Decodes one stream entry whose ID the caller has already read.</summary>
        public static MonarchLogEntry Decode(Partition partition, StreamEntry streamEntry, StreamId position)
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

        private static readonly byte[][] FieldNameBytes = Array.ConvertAll(StorageFormat.FieldNames, name => System.Text.Encoding.UTF8.GetBytes((string)name!));

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
            if (StorageFormat.TryParseRoundTrip(text, out var exact)) return exact;
            if (text.Length > 0 && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            }

            return StreamId.ToUtcTime(position.Milliseconds);
        }
    }
}
