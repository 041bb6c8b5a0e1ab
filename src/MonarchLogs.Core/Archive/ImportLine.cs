using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Archive
{
    /// <summary>What one line of an import file is.</summary>
    internal enum ImportLineKind
    {
        Blank,
        Header,
        Entry,
        Invalid,
    }

    /// <summary>
    /// Reads one line of an import file: an archive header, an archive entry, or a line of the
    /// framework's JSON console logger (<c>AddJsonConsole</c>), which it turns into the entry the
    /// logging provider would have stored for the same call.
    /// </summary>
    internal static class ImportLine
    {
        private const string OriginalFormatKey = "{OriginalFormat}";
        private const string MessageKey = "Message";

        public static ImportLineKind Parse(ReadOnlyMemory<byte> line, ImportDefaults defaults, out MonarchLogEntry? entry, out ArchiveHeader? header, out string? problem)
        {
            entry = null;
            header = null;
            problem = null;
            if (IsBlank(line.Span)) return ImportLineKind.Blank;
            if (ArchiveEntryReader.TryRead(line.Span, defaults.Service, out var archived))
            {
                entry = archived;
                return ImportLineKind.Entry;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 256 });
            }
            catch (JsonException ex)
            {
                problem = "the line is not JSON (" + FirstSentence(ex.Message) + ")";
                return ImportLineKind.Invalid;
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    problem = "the line is not a JSON object";
                    return ImportLineKind.Invalid;
                }

                if (ArchiveFormat.IsHeader(root))
                {
                    header = ArchiveFormat.ReadHeader(root);
                    return ImportLineKind.Header;
                }

                if (root.TryGetProperty(StorageFormat.TimestampField, out _) || root.TryGetProperty(StorageFormat.LevelField, out _))
                {
                    entry = ArchiveFormat.ReadEntry(root, defaults.Service, out problem);
                }
                else if (root.TryGetProperty("LogLevel", out _))
                {
                    entry = ReadConsoleLine(root, defaults, out problem);
                }
                else
                {
                    problem = "the line is neither a MonarchLogs archive entry (ts, level, ...) nor a JSON console log line (LogLevel, Category, Message, ...)";
                }

                return problem is null ? ImportLineKind.Entry : ImportLineKind.Invalid;
            }
        }

        private static bool IsBlank(ReadOnlySpan<byte> line)
        {
            foreach (var b in line)
            {
                if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r') return false;
            }

            return true;
        }

        private static string FirstSentence(string message)
        {
            var end = message.IndexOf(". ", StringComparison.Ordinal);
            return end < 0 ? message.TrimEnd('.') : message.Substring(0, end);
        }

        /// <summary>
        /// {"Timestamp":"...","EventId":0,"LogLevel":"Information","Category":"...","Message":"...",
        /// "Exception":"...","State":{"Message":"...","{OriginalFormat}":"...",...},"Scopes":[...]}:
        /// the state's values and the key/value scopes become the properties, as the provider
        /// stores them (scope values first, then the state's; a name given twice keeps its last
        /// value); a scope that is text, or a message-template scope, goes into "Scope".
        /// </summary>
        private static MonarchLogEntry ReadConsoleLine(JsonElement root, ImportDefaults defaults, out string? problem)
        {
            problem = null;
            var levelText = root.TryGetProperty("LogLevel", out var levelValue) && levelValue.ValueKind == JsonValueKind.String ? levelValue.GetString() : null;
            if (!LogLevels.TryParse(levelText, out var level))
            {
                problem = $"'{DisplayText.Quote(levelText ?? levelValue.GetRawText())}' in \"LogLevel\" is not a log level";
                return null!;
            }

            DateTime timestamp;
            if (root.TryGetProperty("Timestamp", out var time))
            {
                if (time.ValueKind != JsonValueKind.String || !TryParseConsoleTime(time.GetString()!, out timestamp))
                {
                    problem = $"'{DisplayText.Quote(time.ValueKind == JsonValueKind.String ? time.GetString() : time.GetRawText())}' in \"Timestamp\" is not a time";
                    return null!;
                }
            }
            else if (defaults.Timestamp is { } fallback)
            {
                timestamp = fallback.Kind == DateTimeKind.Utc ? fallback : fallback.ToUniversalTime();
            }
            else
            {
                problem = "the line has no \"Timestamp\" (the console logger writes one only with TimestampFormat set); give -DefaultTimestamp to import such lines";
                return null!;
            }

            var eventId = 0;
            if (root.TryGetProperty("EventId", out var id) && !(id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out eventId)))
            {
                problem = "\"EventId\" is not a 32-bit integer";
                return null!;
            }

            var properties = new List<KeyValuePair<string, object?>>();
            var scopes = new List<string>();
            string? routedService = null;
            string traceId = string.Empty, spanId = string.Empty;
            if (root.TryGetProperty("Scopes", out var scopeList) && scopeList.ValueKind == JsonValueKind.Array)
            {
                foreach (var scope in scopeList.EnumerateArray())
                {
                    if (scope.ValueKind == JsonValueKind.Object)
                    {
                        var hasTemplate = false;
                        var first = true;
                        foreach (var pair in scope.EnumerateObject())
                        {
                            var isText = first && pair.NameEquals(MessageKey);
                            first = false;
                            if (isText) continue;
                            if (pair.NameEquals(OriginalFormatKey))
                            {
                                hasTemplate = true;
                                continue;
                            }

                            // The activity-tracking scope holds what the provider stores as the trace and span ids.
                            if (pair.NameEquals("TraceId") || pair.NameEquals("SpanId") || pair.NameEquals("ParentId"))
                            {
                                if (pair.Value.ValueKind == JsonValueKind.String && pair.NameEquals("TraceId")) traceId = pair.Value.GetString()!;
                                if (pair.Value.ValueKind == JsonValueKind.String && pair.NameEquals("SpanId")) spanId = pair.Value.GetString()!;
                                continue;
                            }

                            properties.Add(new KeyValuePair<string, object?>(pair.Name, pair.Value.Clone()));
                            if (defaults.ServicePropertyName is { } name && pair.NameEquals(name) && pair.Value.ValueKind == JsonValueKind.String
                                && StorageFormat.IsValidServiceName(pair.Value.GetString()))
                            {
                                routedService = pair.Value.GetString();
                            }
                        }

                        if (hasTemplate && scope.TryGetProperty(MessageKey, out var text) && text.ValueKind == JsonValueKind.String) scopes.Add(text.GetString()!);
                    }
                    else
                    {
                        scopes.Add(scope.ValueKind == JsonValueKind.String ? scope.GetString()! : scope.GetRawText());
                    }
                }
            }

            var template = string.Empty;
            if (root.TryGetProperty("State", out var state) && state.ValueKind == JsonValueKind.Object)
            {
                var first = true;
                foreach (var pair in state.EnumerateObject())
                {
                    var isText = first && pair.NameEquals(MessageKey);
                    first = false;
                    if (isText) continue;
                    if (pair.NameEquals(OriginalFormatKey))
                    {
                        template = pair.Value.ValueKind == JsonValueKind.String ? pair.Value.GetString()! : pair.Value.GetRawText();
                        continue;
                    }

                    properties.Add(new KeyValuePair<string, object?>(pair.Name, pair.Value.Clone()));
                }
            }

            var service = routedService ?? defaults.Service;
            if (!StorageFormat.IsValidServiceName(service))
            {
                problem = string.IsNullOrEmpty(service)
                    ? "a console log line names no service; give one with -Service (or -ServicePropertyName for a scope that names it)"
                    : $"'{DisplayText.Quote(service)}' is not a valid service name";
                return null!;
            }

            var exception = StringOf(root, "Exception");
            ExceptionText.Split(exception, out var exceptionType, out var exceptionMessage);
            return new MonarchLogEntry
            {
                Timestamp = timestamp,
                Level = level,
                Service = service!,
                Category = StringOf(root, "Category"),
                Message = StringOf(root, MessageKey),
                Template = template,
                EventId = eventId,
                ExceptionType = exceptionType,
                ExceptionMessage = exceptionMessage,
                Exception = exception,
                TraceId = traceId,
                SpanId = spanId,
                Properties = PropertiesJson.Write(properties, scopes),
            };
        }

        private static string StringOf(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Null => string.Empty,
                _ => value.GetRawText(),
            } : string.Empty;

        /// <summary>
        /// A time as the console logger's TimestampFormat wrote it. With a zone (Z or an offset) it
        /// is exact; without one it is read as this machine's local time, as the console logger
        /// writes local time unless UseUtcTimestamp is set.
        /// </summary>
        private static bool TryParseConsoleTime(string text, out DateTime utc)
        {
            utc = default;
            if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var parsed)) return false;
            utc = parsed.UtcDateTime;
            return true;
        }
    }
}
