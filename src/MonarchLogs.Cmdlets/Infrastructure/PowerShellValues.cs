using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// PowerShell values as plain .NET values for <see cref="PropertiesJson"/>: PSObject wrappers
    /// taken off, custom objects and dictionaries as dictionaries, other sequences as arrays,
    /// nesting cut at <see cref="PropertiesJson.MaxDepth"/> (a hashtable that holds itself ends).
    /// </summary>
    internal static class PowerShellValues
    {
        public static List<KeyValuePair<string, object?>> Pairs(IDictionary dictionary)
        {
            var pairs = new List<KeyValuePair<string, object?>>(dictionary.Count);
            foreach (DictionaryEntry entry in dictionary) pairs.Add(new KeyValuePair<string, object?>(KeyOf(entry.Key), Plain(entry.Value, 1)));
            return pairs;
        }

        public static List<KeyValuePair<string, object?>> Pairs(PSObject instance) => Pairs(instance, 0);

        private static List<KeyValuePair<string, object?>> Pairs(PSObject instance, int depth)
        {
            var pairs = new List<KeyValuePair<string, object?>>();
            foreach (var property in instance.Properties) pairs.Add(new KeyValuePair<string, object?>(property.Name, Plain(ValueOf(property), depth + 1)));
            return pairs;
        }

        private static object? Plain(object? value, int depth)
        {
            if (value is PSObject wrapped)
            {
                if (wrapped.BaseObject is PSCustomObject) return depth < PropertiesJson.MaxDepth ? Dictionary(Pairs(wrapped, depth)) : wrapped.ToString();
                value = wrapped.BaseObject;
            }

            switch (value)
            {
                case null:
                case string _:
                    return value;
                case IDictionary dictionary when depth < PropertiesJson.MaxDepth:
                    var nested = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (DictionaryEntry entry in dictionary) nested[KeyOf(entry.Key)] = Plain(entry.Value, depth + 1);
                    return nested;
                case IEnumerable sequence when depth < PropertiesJson.MaxDepth:
                    var items = new List<object?>();
                    foreach (var item in sequence) items.Add(Plain(item, depth + 1));
                    return items.ToArray();
                case IDictionary _:
                case IEnumerable _:
                    return value.ToString();
                default:
                    return value;
            }
        }

        private static Dictionary<string, object?> Dictionary(List<KeyValuePair<string, object?>> pairs)
        {
            var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var pair in pairs) dictionary[pair.Key] = pair.Value;
            return dictionary;
        }

        private static string KeyOf(object key) => Convert.ToString(key is PSObject wrapped ? wrapped.BaseObject : key, CultureInfo.InvariantCulture) ?? string.Empty;

        private static object? ValueOf(PSPropertyInfo property)
        {
            try
            {
                return property.Value;
            }
            catch (GetValueException ex)
            {
                return $"[{property.Name} could not be read: {ex.GetType().Name}]";
            }
        }
    }
}
