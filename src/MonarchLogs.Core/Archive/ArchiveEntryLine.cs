using System;
using System.Runtime.CompilerServices;
using System.Buffers;
using System.Buffers.Text;
using System.IO;
using System.Linq;
using System.Text;
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
            json.WriteString(names[JsonLinesPayload.TraceIdIndex], entry.TraceId);
            json.WriteString(names[JsonLinesPayload.SpanIdIndex], entry.SpanId);
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

        /// <summary>
        /// The bytes of a partition's lines around each entry's own: <c>{"id":"</c> comes before the
        /// entry's <c>&lt;ms&gt;-&lt;seq&gt;</c>, <see cref="AfterPosition"/> between it and the event
        /// time, <see cref="AfterTime"/> after the time; each as <see cref="Write(Utf8JsonWriter, in StoredEntry, ReadOnlySpan{byte}, string?)"/> writes it.
        /// </summary>
        internal sealed class PartitionBytes
        {
            private PartitionBytes(byte[] afterPosition, byte[] afterTime)
            {
                AfterPosition = afterPosition;
                AfterTime = afterTime;
            }

            /// <summary>The rest of the Id (@service/level) and the time's name.</summary>
            public byte[] AfterPosition { get; }

            /// <summary>The level and the service.</summary>
            public byte[] AfterTime { get; }

            /// <summary>The bytes of <paramref name="partition"/>'s lines; null when its names cannot be written (the writer of JSON refuses them: they throw as the line is written).</summary>
            public static PartitionBytes? For(Partition partition)
            {
                try
                {
                    var suffix = Escaped("@" + partition.Service + "/" + LogLevels.StorageName(partition.Level));
                    var level = Escaped(LogLevels.StorageName(partition.Level));
                    var service = Escaped(partition.Service);
                    return new PartitionBytes(
                        Concat(suffix, Encoding.UTF8.GetBytes("\",\"" + StorageFormat.TimestampField + "\":\"")),
                        Concat(Encoding.UTF8.GetBytes("\",\"" + StorageFormat.LevelField + "\":\""), level, Encoding.UTF8.GetBytes("\",\"" + StorageFormat.ServiceField + "\":\""), service, new[] { (byte)'"' }));
                }
                catch (ArgumentException)
                {
                    return null;
                }
            }

            /// <summary>The text as the archive's writer writes it inside a JSON string (escaped per character, so a part of a string escapes as the whole does).</summary>
            private static byte[] Escaped(string text)
            {
                using var output = new MemoryStream();
                using (var json = new Utf8JsonWriter(output, ArchiveFormat.WriterOptions)) json.WriteStringValue(text);
                var bytes = output.ToArray();
                return bytes.AsSpan(1, bytes.Length - 2).ToArray();
            }

            private static byte[] Concat(params byte[][] parts)
            {
                var result = new byte[parts.Sum(p => p.Length)];
                var at = 0;
                foreach (var part in parts)
                {
                    Buffer.BlockCopy(part, 0, result, at, part.Length);
                    at += part.Length;
                }

                return result;
            }
        }

        private static readonly byte[] IdStart = Encoding.UTF8.GetBytes("{\"" + ArchiveFormat.IdField + "\":\"");

        // Each field after the service as it starts: ,"name":
        private static readonly byte[][] FieldStarts = JsonLinesPayload.FieldNames.Select(name => Encoding.UTF8.GetBytes(",\"").Concat(name.EncodedUtf8Bytes.ToArray()).Concat(Encoding.UTF8.GetBytes("\":")).ToArray()).ToArray();

        /// <summary>The most bytes <see cref="TryWrite"/> writes for a line of <paramref name="stored"/>'s.</summary>
        [MethodImpl(HotPath.Options)]
        public static int MaxLength(in StoredEntry stored, PartitionBytes partition)
        {
            var lines = stored.Lines!;
            var length = 256 + partition.AfterPosition.Length + partition.AfterTime.Length;
            for (var field = 1; field < FieldStarts.Length; field++) length += FieldStarts[field].Length + (2 * lines.ValueOf(stored.Line, field).Length);
            return length;
        }

        /// <summary>
        /// Writes the line of a payload line whose values are all plain ASCII (<see cref="PayloadValue.IsAscii"/>
        /// or missing), and its line feed, into <paramref name="destination"/> (of at least
        /// <see cref="MaxLength"/> bytes), the same bytes as <see cref="Write(Utf8JsonWriter, in StoredEntry, ReadOnlySpan{byte}, string?)"/>
        /// and a line feed: the number of bytes; -1 (nothing written that counts) for a line with another value.
        /// </summary>
        [MethodImpl(HotPath.Options)]
        public static int TryWrite(Span<byte> destination, in StoredEntry stored, PartitionBytes partition)
        {
            var lines = stored.Lines!;
            var line = stored.Line;
            var at = Copy(IdStart, destination, 0);
            Utf8Formatter.TryFormat(stored.Position.Milliseconds, destination.Slice(at), out var written);
            at += written;
            destination[at++] = (byte)'-';
            Utf8Formatter.TryFormat(stored.Position.Sequence, destination.Slice(at), out written);
            at += written;
            at = Copy(partition.AfterPosition, destination, at);
            Utf8Formatter.TryFormat(BlockHeader.FromUnixTicks(lines.TicksOf(line)), destination.Slice(at), out written, RoundTrip);
            at += written;
            at = Copy(partition.AfterTime, destination, at);
            for (var field = 1; field < FieldStarts.Length; field++)
            {
                at = Copy(FieldStarts[field], destination, at);
                if (field == JsonLinesPayload.EventIdIndex)
                {
                    Utf8Formatter.TryFormat(lines.EventIdOf(line), destination.Slice(at), out written);
                    at += written;
                    continue;
                }

                var value = lines.ValueOf(line, field);
                if (value.Text is not null) return -1;
                destination[at++] = (byte)'"';
                at = CopyEscaped(lines.BytesOf(value), destination, at);
                destination[at++] = (byte)'"';
            }

            destination[at++] = (byte)'}';
            destination[at++] = (byte)'\n';
            return at;
        }

        private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination, int at)
        {
            source.CopyTo(destination.Slice(at));
            return at + source.Length;
        }

        /// <summary>Plain ASCII as a JSON string holds it: a quote and a backslash escaped, as the archive's writer escapes them.</summary>
        [MethodImpl(HotPath.Options)]
        private static int CopyEscaped(ReadOnlySpan<byte> source, Span<byte> destination, int at)
        {
            while (true)
            {
                var special = source.IndexOfAny((byte)'"', (byte)'\\');
                if (special < 0) return Copy(source, destination, at);
                at = Copy(source.Slice(0, special), destination, at);
                destination[at++] = (byte)'\\';
                destination[at++] = source[special];
                source = source.Slice(special + 1);
            }
        }
    }
}
