using System;
using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// An entry line of an archive (<see cref="ArchiveFormat"/>): its id, then the fifteen fields in
    /// the storage format's order, every one written even when empty. It is made from an entry, or
    /// straight from a block's payload line, which gives the same bytes without decoding the entry.
    /// </summary>
    internal static class ArchiveEntryLine
    {
        private static readonly JsonEncodedText Id = JsonEncodedText.Encode(ArchiveFormat.IdField);
        private static readonly JsonEncodedText Level = JsonEncodedText.Encode(StorageFormat.LevelField);
        private static readonly JsonEncodedText Service = JsonEncodedText.Encode(StorageFormat.ServiceField);
        private static readonly StandardFormat RoundTrip = new StandardFormat('O');

        /// <summary>Writes the line of <paramref name="entry"/>.</summary>
        public static void Write(Utf8JsonWriter json, MonarchLogEntry entry)
        {
            json.WriteStartObject();
            json.WriteString(Id, entry.Id ?? string.Empty);
            json.WriteString(JsonLinesPayload.FieldNames[JsonLinesPayload.TsIndex], ArchiveFormat.FormatTime(entry.Timestamp));
            json.WriteString(Level, LogLevels.StorageName(entry.Level));
            json.WriteString(Service, entry.Service);
            var names = JsonLinesPayload.FieldNames;
            json.WriteString(names[1], entry.Category);
            json.WriteString(names[2], entry.Message);
            json.WriteString(names[3], entry.Template);
            json.WriteNumber(names[JsonLinesPayload.EventIdIndex], entry.EventId);
            json.WriteString(names[5], entry.EventName);
            json.WriteString(names[6], entry.ExceptionType);
            json.WriteString(names[7], entry.ExceptionMessage);
            json.WriteString(names[8], entry.Exception);
            json.WriteString(names[9], entry.TraceId);
            json.WriteString(names[10], entry.SpanId);
            json.WriteString(names[11], entry.Host);
            json.WriteString(names[JsonLinesPayload.PropertiesIndex], entry.Properties);
            json.WriteEndObject();
        }

        /// <summary>
        /// Writes the line of a payload line (<paramref name="stored"/> holds one) whose Id is
        /// <paramref name="id"/>, UTF-8 and plain ASCII (else <paramref name="idText"/>): the same bytes as <see cref="Write(Utf8JsonWriter, MonarchLogEntry)"/>
        /// writes for the entry the line decodes to. Plain ASCII values are copied; the others were
        /// decoded to text when the line was read, as the entry's are.
        /// </summary>
        public static void Write(Utf8JsonWriter json, in StoredEntry stored, ReadOnlySpan<byte> id, string? idText)
        {
            var lines = stored.Lines!;
            var line = stored.Line;
            var names = JsonLinesPayload.FieldNames;
            json.WriteStartObject();
            if (idText is null) json.WriteString(Id, id);
            else json.WriteString(Id, idText);
            Span<byte> time = stackalloc byte[40];
            Utf8Formatter.TryFormat(BlockHeader.FromUnixTicks(lines.TicksOf(line)), time, out var timeLength, RoundTrip);
            json.WriteString(names[JsonLinesPayload.TsIndex], time.Slice(0, timeLength));
            json.WriteString(Level, LogLevels.StorageName(stored.Partition.Level));
            json.WriteString(Service, stored.Partition.Service);
            for (var field = 1; field < names.Length; field++)
            {
                if (field == JsonLinesPayload.EventIdIndex)
                {
                    json.WriteNumber(names[field], lines.EventIdOf(line));
                    continue;
                }

                var value = lines.ValueOf(line, field);
                if (value.Text is { } text) json.WriteString(names[field], text);
                else json.WriteString(names[field], lines.BytesOf(value));
            }

            json.WriteEndObject();
        }
    }
}
