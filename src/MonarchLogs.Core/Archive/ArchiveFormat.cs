using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// The one owner of the archive file format (docs/storage-format.md, "Archive files"): JSON
    /// Lines, UTF-8, gzip-compressed when the name ends in <c>.gz</c>. The first line is a header
    /// (<see cref="ArchiveHeader"/>); every other line is one entry with the storage format's field
    /// names and its <c>id</c>, oldest first. Export, import, the retention archive and its check
    /// all read and write through here.
    /// </summary>
    public static class ArchiveFormat
    {
        /// <summary>The header's marker: <c>{"archive":"MonarchLogs",...}</c>.</summary>
        public const string Marker = "MonarchLogs";

        /// <summary>The archive format version written in every header.</summary>
        public const int Version = 1;

        /// <summary>The header kind of a file written by an export.</summary>
        public const string ExportKind = "export";

        /// <summary>The header kind of a daily file written by a retention archive.</summary>
        public const string RetentionKind = "retention";

        /// <summary>The file name ending that makes a file gzip-compressed.</summary>
        public const string CompressedExtension = ".gz";

        /// <summary>The extension of the daily files of a retention archive.</summary>
        public const string DailyFileExtension = ".jsonl.gz";

        /// <summary>The error id of a file whose compressed data is damaged (<see cref="FindCompressionDamage"/>): none of it is imported.</summary>
        public const string DamagedFileErrorId = "InvalidImportFile";

        internal const string MarkerField = "archive";
        internal const string VersionField = "version";
        internal const string StorageFormatField = "storageFormat";
        internal const string ExportedField = "exported";
        internal const string KindField = "kind";
        internal const string FilterField = "filter";
        internal const string PartitionField = "partition";
        internal const string IdField = "id";

        /// <summary>Compact output that keeps non-ASCII text as UTF-8; control characters, quotes and backslashes are still escaped.</summary>
        internal static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        };

        private static readonly byte[] GzipMagic = { 0x1f, 0x8b };

        /// <summary>Whether a file of this name is written gzip-compressed.</summary>
        public static bool IsCompressedName(string path) =>
            path.EndsWith(CompressedExtension, StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// Opens a file to read, decompressing it when it starts with the gzip magic bytes (so a
        /// renamed file reads too).
        /// </summary>
        public static Stream OpenRead(string path)
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            try
            {
                var start = new byte[2];
                var read = 0;
                while (read < 2)
                {
                    var n = file.Read(start, read, 2 - read);
                    if (n == 0) break;
                    read += n;
                }

                file.Position = 0;
                return read == 2 && start[0] == GzipMagic[0] && start[1] == GzipMagic[1]
                    ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false)
                    : file;
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>
        /// For a gzip file, reads it whole and returns what is wrong with its compressed data (a
        /// damaged block, a checksum that does not match), or null when it reads to its end; null
        /// at once for a file that is not gzip. Damaged gzip data can decompress to plausible text
        /// before the damage is detected, so an import checks a file this way before reading any
        /// entry of it. A file cut short is not detected here: it ends early, at its last whole line.
        /// </summary>
        public static string? FindCompressionDamage(string path, CancellationToken cancellationToken = default)
        {
            using var stream = OpenRead(path);
            if (stream is not GZipStream) return null;
            var buffer = new byte[1 << 16];
            try
            {
                while (stream.Read(buffer, 0, buffer.Length) > 0) cancellationToken.ThrowIfCancellationRequested();
                return null;
            }
            catch (InvalidDataException ex)
            {
                return ex.Message;
            }
        }

        /// <summary>
        /// The name of one day of one partition in a retention archive:
        /// <c>&lt;prefix&gt;_&lt;service&gt;_&lt;level&gt;_&lt;yyyy-MM-dd&gt;.jsonl.gz</c>, each part escaped
        /// (<see cref="EscapeFileNamePart"/>), with <c>_2</c>, <c>_3</c>, … before the extension for
        /// a second file of the same day.
        /// </summary>
        public static string DailyFileName(string prefix, Partition partition, DateTime dayUtc, int copy = 1)
        {
            var name = EscapeFileNamePart(prefix) + "_" + EscapeFileNamePart(partition.Service) + "_" + LogLevels.StorageName(partition.Level)
                + "_" + dayUtc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (copy > 1) name += "_" + copy.ToString(CultureInfo.InvariantCulture);
            return name + DailyFileExtension;
        }

        /// <summary>
        /// A part of a file name that is safe on every file system and never ambiguous: letters,
        /// digits, '-' and '.' stay (a leading '.' does not); every other character, '_' and '%'
        /// included, is written as %XX per UTF-8 byte.
        /// </summary>
        public static string EscapeFileNamePart(string text)
        {
            var builder = new StringBuilder(text.Length);
            var bytes = new byte[4];
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || (c == '.' && i > 0))
                {
                    builder.Append(c);
                    continue;
                }

                var length = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                    ? Encoding.UTF8.GetBytes(text.ToCharArray(i++, 2), 0, 2, bytes, 0)
                    : Encoding.UTF8.GetBytes(new[] { c }, 0, 1, bytes, 0);
                for (var b = 0; b < length; b++) builder.Append('%').Append(bytes[b].ToString("X2", CultureInfo.InvariantCulture));
            }

            return builder.ToString();
        }

        /// <summary>The time as the archive writes it: ISO 8601 UTC with 7 fractional digits (the 100 ns ticks), like the <c>ts</c> field.</summary>
        public static string FormatTime(DateTime time) =>
            (time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime()).ToString("O", CultureInfo.InvariantCulture);

        internal static void WriteHeader(Utf8JsonWriter json, ArchiveHeader header)
        {
            json.WriteStartObject();
            json.WriteString(MarkerField, Marker);
            json.WriteNumber(VersionField, header.Version);
            json.WriteString(StorageFormatField, header.StorageFormat);
            json.WriteString(ExportedField, FormatTime(header.Exported));
            json.WriteString(KindField, header.Kind);
            if (header.Partition is { } partition)
            {
                json.WriteStartObject(PartitionField);
                json.WriteString(StorageFormat.ServiceField, partition.Service);
                json.WriteString(StorageFormat.LevelField, LogLevels.StorageName(partition.Level));
                json.WriteEndObject();
            }

            json.WriteStartObject(FilterField);
            if (header.Filter is { } filter) WriteFilter(json, filter);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        private static void WriteFilter(Utf8JsonWriter json, LogQuery filter)
        {
            if (filter.Since is { } since) json.WriteString("since", FormatTime(since));
            if (filter.Until is { } until) json.WriteString("until", FormatTime(until));
            if (filter.Levels is { Count: > 0 } levels) WriteList(json, "levels", levels.Select(LogLevels.StorageName).ToArray());
            if (filter.MinimumLevel is { } minimum) json.WriteString("minimumLevel", LogLevels.StorageName(minimum));
            if (filter.Services is { Count: > 0 } services) WriteList(json, "services", services);
            if (filter.ExcludeServices is { Count: > 0 } excludeServices) WriteList(json, "excludeServices", excludeServices);
            if (filter.Categories is { Count: > 0 } categories) WriteList(json, "categories", categories);
            if (filter.ExcludeCategories is { Count: > 0 } excludeCategories) WriteList(json, "excludeCategories", excludeCategories);
            if (!string.IsNullOrEmpty(filter.Message)) json.WriteString("message", filter.Message);
            if (filter.Pattern is { } pattern) json.WriteString("pattern", pattern.ToString());
            if (!string.IsNullOrEmpty(filter.Text)) json.WriteString("text", filter.Text);
            if (!string.IsNullOrEmpty(filter.After)) json.WriteString("after", filter.After);
            if (!string.IsNullOrEmpty(filter.Before)) json.WriteString("before", filter.Before);
        }

        private static void WriteList(Utf8JsonWriter json, string name, System.Collections.Generic.IReadOnlyList<string> values)
        {
            json.WriteStartArray(name);
            foreach (var value in values) json.WriteStringValue(value);
            json.WriteEndArray();
        }

        /// <summary>Whether a parsed line is an archive header.</summary>
        internal static bool IsHeader(JsonElement root) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(MarkerField, out var marker)
            && marker.ValueKind == JsonValueKind.String && marker.ValueEquals(Marker);

        /// <summary>Reads a header line; a header of a version this code does not read is refused.</summary>
        internal static ArchiveHeader ReadHeader(JsonElement root)
        {
            var version = root.TryGetProperty(VersionField, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var number) ? number : 0;
            if (version != Version)
            {
                throw new MonarchLogsException("UnsupportedArchive", MonarchErrorKind.InvalidData,
                    $"The file is a MonarchLogs archive of version {(version == 0 ? "unknown" : version.ToString(CultureInfo.InvariantCulture))}; this MonarchLogs reads version {Version}.");
            }

            var storageFormat = root.TryGetProperty(StorageFormatField, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : string.Empty;
            if (storageFormat != StorageFormat.Version)
            {
                throw new MonarchLogsException("UnsupportedArchive", MonarchErrorKind.InvalidData,
                    $"The archive holds entries of storage format version '{DisplayText.Quote(storageFormat)}'; this MonarchLogs reads and writes version {StorageFormat.Version}.");
            }

            var exported = root.TryGetProperty(ExportedField, out var e) && e.ValueKind == JsonValueKind.String && TryParseTime(e.GetString(), out var time) ? time : default;
            return new ArchiveHeader
            {
                Version = version,
                StorageFormat = storageFormat,
                Exported = exported,
                Kind = root.TryGetProperty(KindField, out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : string.Empty,
                FilterJson = root.TryGetProperty(FilterField, out var filter) ? filter.GetRawText() : string.Empty,
            };
        }

        /// <summary>
        /// Reads an entry line of an archive. Only <c>ts</c> and <c>level</c> are required; a missing
        /// service is <paramref name="defaultService"/>; other missing fields are empty, unknown ones ignored.
        /// </summary>
        internal static MonarchLogEntry ReadEntry(JsonElement root, string? defaultService, out string? problem)
        {
            problem = null;
            string Text(string name)
            {
                if (!root.TryGetProperty(name, out var value)) return string.Empty;
                return value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString()!,
                    JsonValueKind.Null => string.Empty,
                    _ => value.GetRawText(),
                };
            }

            if (!TryParseTime(Text(StorageFormat.TimestampField), out var timestamp))
            {
                problem = root.TryGetProperty(StorageFormat.TimestampField, out _)
                    ? $"'{DisplayText.Quote(Text(StorageFormat.TimestampField))}' in \"ts\" is not an ISO 8601 time"
                    : "the entry has no \"ts\" (its event time)";
                return null!;
            }

            var levelText = Text(StorageFormat.LevelField);
            if (!LogLevels.TryParse(levelText, out var level))
            {
                problem = $"'{DisplayText.Quote(levelText)}' in \"level\" is not a log level";
                return null!;
            }

            var service = Text(StorageFormat.ServiceField);
            if (service.Length == 0) service = defaultService ?? string.Empty;
            if (!StorageFormat.IsValidServiceName(service))
            {
                problem = service.Length == 0
                    ? "the entry names no service; give one with -Service"
                    : $"'{DisplayText.Quote(service)}' in \"service\" is not a valid service name (1 to {StorageFormat.MaxServiceNameLength} characters, no control characters)";
                return null!;
            }

            var eventId = 0;
            if (root.TryGetProperty(StorageFormat.EventIdField, out var id))
            {
                if (id.ValueKind == JsonValueKind.Number ? !id.TryGetInt32(out eventId)
                    : id.ValueKind == JsonValueKind.String && !int.TryParse(id.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out eventId))
                {
                    problem = $"\"eventId\" is not a 32-bit integer";
                    return null!;
                }
            }

            return new MonarchLogEntry
            {
                Id = Text(IdField),
                Timestamp = timestamp,
                Level = level,
                Service = service,
                Category = Text(StorageFormat.CategoryField),
                Message = Text(StorageFormat.MessageField),
                Template = Text(StorageFormat.TemplateField),
                EventId = eventId,
                EventName = Text(StorageFormat.EventNameField),
                ExceptionType = Text(StorageFormat.ExceptionTypeField),
                ExceptionMessage = Text(StorageFormat.ExceptionMessageField),
                Exception = Text(StorageFormat.ExceptionField),
                TraceId = Text(StorageFormat.TraceIdField),
                SpanId = Text(StorageFormat.SpanIdField),
                Host = Text(StorageFormat.HostField),
                Properties = Text(StorageFormat.PropertiesField),
            };
        }

        /// <summary>ISO 8601 with a zone (Z or an offset) as UTC; without one, UTC as well (the archive always writes Z).</summary>
        internal static bool TryParseTime(string? text, out DateTime utc)
        {
            utc = default;
            if (string.IsNullOrEmpty(text)) return false;
            // The form the archive writes reads fast; anything else ISO 8601 takes the general parser.
            if (text!.Length == 28 && text[27] == 'Z' && DateTime.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var exact))
            {
                utc = exact;
                return true;
            }

            if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed)) return false;
            utc = DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            return true;
        }
    }
}
