using System;
using System.Collections.Specialized;
using System.Globalization;
using System.Text.Json;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// An entry's structured properties as PowerShell reads them: a dictionary whose keys ignore
    /// case, so <c>$entry.Properties.OrderId</c> and <c>Where-Object { $_.Properties.TenantId -eq 't-42' }</c>
    /// work and ConvertTo-Json nests them as an object. Its text (what Export-Csv writes into one
    /// cell, and what <c>ToString()</c> gives) is the stored JSON, unchanged.
    /// </summary>
    public sealed class MonarchLogProperties : OrderedDictionary
    {
        private readonly string _json;

        private MonarchLogProperties(string json)
            : base(StringComparer.OrdinalIgnoreCase)
        {
            _json = json;
        }

        /// <summary>
        /// The properties of the stored JSON; null when there are none. Text that is not a JSON
        /// object (written by another tool) is kept whole under the key <c>Text</c>.
        /// </summary>
        public static MonarchLogProperties? Parse(string json)
        {
            if (string.IsNullOrEmpty(json)) return null;
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind == JsonValueKind.Object) return FromObject(document.RootElement, json);
            }
            catch (JsonException)
            {
            }

            var text = new MonarchLogProperties(json);
            text["Text"] = json;
            return text;
        }

        public override string ToString() => _json;

        private static MonarchLogProperties FromObject(JsonElement element, string json)
        {
            var properties = new MonarchLogProperties(json);
            foreach (var property in element.EnumerateObject())
            {
                // The first of two names that differ only in case wins; JSON allows both.
                if (!properties.Contains(property.Name)) properties.Add(property.Name, ValueOf(property.Value));
            }

            return properties;
        }

        private static object? ValueOf(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    return FromObject(value, value.GetRawText());
                case JsonValueKind.Array:
                    var items = new object?[value.GetArrayLength()];
                    var i = 0;
                    foreach (var item in value.EnumerateArray()) items[i++] = ValueOf(item);
                    return items;
                case JsonValueKind.String:
                    return value.GetString();
                case JsonValueKind.Number:
                    if (value.TryGetInt32(out var small)) return small;
                    if (value.TryGetInt64(out var large)) return large;
                    if (value.TryGetDecimal(out var exact)) return exact;
                    return double.Parse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }
    }
}
