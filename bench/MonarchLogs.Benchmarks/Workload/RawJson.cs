using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>
/// An entry as one compact JSON object of its non-empty fields (the properties nested as an
/// object): the "raw JSON" that memory per entry is compared with, and the document the
/// original design stores in its stream's single data field.
/// </summary>
public static class RawJson
{
    public static byte[] Encode(MonarchLogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString(StorageFormat.TimestampField, entry.Timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString(StorageFormat.LevelField, LogLevels.StorageName(entry.Level));
            Text(json, StorageFormat.ServiceField, entry.Service);
            Text(json, StorageFormat.CategoryField, entry.Category);
            Text(json, StorageFormat.MessageField, entry.Message);
            Text(json, StorageFormat.TemplateField, entry.Template);
            if (entry.EventId != 0) json.WriteNumber(StorageFormat.EventIdField, entry.EventId);
            Text(json, StorageFormat.EventNameField, entry.EventName);
            Text(json, StorageFormat.ExceptionTypeField, entry.ExceptionType);
            Text(json, StorageFormat.ExceptionMessageField, entry.ExceptionMessage);
            Text(json, StorageFormat.ExceptionField, entry.Exception);
            Text(json, StorageFormat.TraceIdField, entry.TraceId);
            Text(json, StorageFormat.SpanIdField, entry.SpanId);
            Text(json, StorageFormat.HostField, entry.Host);
            if (entry.Properties.Length > 0)
            {
                json.WritePropertyName(StorageFormat.PropertiesField);
                json.WriteRawValue(entry.Properties);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Serialize(MonarchLogEntry entry) => Encoding.UTF8.GetString(Encode(entry));

    private static void Text(Utf8JsonWriter json, string name, string value)
    {
        if (value.Length > 0) json.WriteString(name, value);
    }
}
