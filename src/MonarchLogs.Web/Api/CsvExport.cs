using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using MonarchLogs.Core;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// Writes entries as RFC 4180 CSV. Every field is quoted, so a comma, quote, CR or LF inside
    /// a message stays inside its field and can never start a row of its own. A field that a
    /// spreadsheet would run as a formula (it starts with =, +, -, @, tab or CR) gets a leading
    /// apostrophe, as OWASP advises for CSV injection; the JSON download keeps every value exact.
    /// </summary>
    internal static class CsvExport
    {
        public static readonly IReadOnlyList<string> Columns = new[]
        {
            "id", "timestamp", "level", "service", "category", "message", "template", "eventId", "eventName",
            "exceptionType", "exceptionMessage", "exception", "traceId", "spanId", "host", "properties",
        };

        public static Task WriteHeaderAsync(TextWriter writer) => WriteRowAsync(writer, Columns);

        public static Task WriteEntryAsync(TextWriter writer, MonarchLogEntry entry) => WriteRowAsync(writer, new[]
        {
            entry.Id ?? string.Empty,
            entry.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            entry.Level.ToString(),
            entry.Service,
            entry.Category,
            entry.Message,
            entry.Template,
            entry.EventId.ToString(CultureInfo.InvariantCulture),
            entry.EventName,
            entry.ExceptionType,
            entry.ExceptionMessage,
            entry.Exception,
            entry.TraceId,
            entry.SpanId,
            entry.Host,
            entry.Properties,
        });

        internal static string Field(string value)
        {
            var builder = new StringBuilder(value.Length + 3);
            builder.Append('"');
            if (value.Length > 0 && IsFormulaStart(value[0])) builder.Append('\'');
            builder.Append(value.Replace("\"", "\"\""));
            builder.Append('"');
            return builder.ToString();
        }

        private static bool IsFormulaStart(char c) => c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';

        private static async Task WriteRowAsync(TextWriter writer, IReadOnlyList<string> fields)
        {
            var line = new StringBuilder();
            for (var i = 0; i < fields.Count; i++)
            {
                if (i > 0) line.Append(',');
                line.Append(Field(fields[i]));
            }

            line.Append("\r\n");
            await writer.WriteAsync(line.ToString()).ConfigureAwait(false);
        }
    }
}
