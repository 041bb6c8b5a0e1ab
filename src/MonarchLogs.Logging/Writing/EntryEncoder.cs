using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Turns a captured entry into the stored one on the writer's thread: the exception read
    /// field by field where it throws, the properties as JSON, and every field cut to the size
    /// limits with the cut marked in the text, so that no entry is too large to send in time.
    /// </summary>
    internal sealed class EntryEncoder : IDisposable
    {
        private const int MaxShortField = 1024;
        private readonly MonarchValkeyLoggerOptions _options;
        private readonly MemoryStream _jsonBuffer = new MemoryStream();
        private readonly Utf8JsonWriter _json;
        private readonly ByteArena _arena = new ByteArena();

        public EntryEncoder(MonarchValkeyLoggerOptions options)
        {
            _options = options;
            _json = new Utf8JsonWriter(_jsonBuffer);
        }

        public MonarchLogEntry Encode(EntryView view, out bool truncated)
        {
            truncated = false;
            var pending = view.Pending;
            var exception = pending.Exception;
            var message = SafeText.Truncate(view.Message, _options.MaxMessageLength, ref truncated);
            var exceptionText = exception is null ? string.Empty : SafeText.Truncate(SafeText.TextOf(exception), _options.MaxExceptionLength, ref truncated);
            var properties = PropertiesOf(view, out var plain);
            if (properties.Length + plain.Length > _options.MaxPropertiesLength)
            {
                truncated = true;
                properties = TruncatedProperties(properties.Length + plain.Length);
                plain = default;
            }

            var entry = new MonarchLogEntry
            {
                Timestamp = pending.Timestamp,
                Level = pending.Level,
                Service = view.Service,
                Category = SafeText.Truncate(pending.Category, MaxShortField, ref truncated),
                Message = message,
                Template = SafeText.Truncate(view.Template ?? string.Empty, _options.MaxMessageLength, ref truncated),
                EventId = pending.EventId,
                EventName = SafeText.Truncate(pending.EventName ?? string.Empty, MaxShortField, ref truncated),
                ExceptionType = exception?.GetType().FullName ?? string.Empty,
                ExceptionMessage = exception is null ? string.Empty : SafeText.Truncate(SafeText.MessageOf(exception), _options.MaxMessageLength, ref truncated),
                Exception = exceptionText,
                TraceId = pending.TraceId ?? string.Empty,
                SpanId = pending.SpanId ?? string.Empty,
                Properties = properties,
                PlainProperties = plain,
            };

            return FitsWhole(entry) ? entry : Shrink(entry, ref truncated);
        }

        /// <summary>
        /// The properties object: as <paramref name="plain"/> bytes when it is a plain object
        /// (<see cref="PropertiesJson.IsPlainObject"/>, the usual case), which a block takes as
        /// they are, and the empty text; else as its text.
        /// </summary>
        private string PropertiesOf(EntryView view, out ReadOnlyMemory<byte> plain)
        {
            plain = default;
            try
            {
                var length = PropertiesJson.WriteUtf8(view.Properties, view.Pending.Scopes, _jsonBuffer, _json);
                if (length == 0) return string.Empty;
                var bytes = new ReadOnlySpan<byte>(_jsonBuffer.GetBuffer(), 0, length);
                if (!PropertiesJson.IsPlainObject(bytes)) return Encoding.UTF8.GetString(_jsonBuffer.GetBuffer(), 0, length);
                plain = _arena.Copy(bytes);
                return string.Empty;
            }
            catch (Exception ex)
            {
                // The JSON writer may be mid-object: start it over for the next entry.
                _json.Reset();
                return "{\"PropertiesError\":\"The properties could not be written: " + SafeText.Describe(ex) + "\"}";
            }
        }

        private static string TruncatedProperties(int length) =>
            "{\"PropertiesTruncated\":true,\"PropertiesLength\":" + length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";

        private bool FitsWhole(MonarchLogEntry entry) => Length(entry) <= _options.MaxEntryLength;

        private static int Length(MonarchLogEntry entry) =>
            entry.Service.Length + entry.Category.Length + entry.Message.Length + entry.Template.Length + entry.EventName.Length
            + entry.ExceptionType.Length + entry.ExceptionMessage.Length + entry.Exception.Length + entry.TraceId.Length
            + entry.SpanId.Length + entry.PropertiesLength + 64;

        /// <summary>Over the whole-entry limit: the exception, then the properties, then the template and message give way.</summary>
        private MonarchLogEntry Shrink(MonarchLogEntry entry, ref bool truncated)
        {
            truncated = true;
            var over = Length(entry) - _options.MaxEntryLength;
            var exception = entry.Exception;
            if (over > 0 && exception.Length > 0)
            {
                exception = SafeText.Truncate(exception, Math.Max(256, exception.Length - over), ref truncated);
                over -= entry.Exception.Length - exception.Length;
            }

            var plain = entry.PlainProperties;
            var properties = plain.IsEmpty ? entry.Properties : string.Empty;
            if (over > 0 && entry.PropertiesLength > 64)
            {
                var marker = TruncatedProperties(entry.PropertiesLength);
                over -= entry.PropertiesLength - marker.Length;
                properties = marker;
                plain = default;
            }

            var template = entry.Template;
            if (over > 0 && template.Length > 0)
            {
                over -= template.Length;
                template = string.Empty;
            }

            var message = entry.Message;
            if (over > 0)
            {
                message = SafeText.Truncate(message, Math.Max(256, message.Length - over), ref truncated);
            }

            return new MonarchLogEntry
            {
                Timestamp = entry.Timestamp,
                Level = entry.Level,
                Service = entry.Service,
                Category = entry.Category,
                Message = message,
                Template = template,
                EventId = entry.EventId,
                EventName = entry.EventName,
                ExceptionType = entry.ExceptionType,
                ExceptionMessage = SafeText.Truncate(entry.ExceptionMessage, 4096, ref truncated),
                Exception = exception,
                TraceId = entry.TraceId,
                SpanId = entry.SpanId,
                Properties = properties,
                PlainProperties = plain,
            };
        }

        public void Dispose() => _json.Dispose();
    }
}
