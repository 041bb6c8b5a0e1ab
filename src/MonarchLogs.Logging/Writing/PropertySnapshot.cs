using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Makes property values safe to hand to another thread: scalars stay, anything else becomes
    /// its text at log time. <see cref="Core.Format.PropertiesJson"/> writes them as the storage
    /// format's <c>props</c> JSON object.
    /// </summary>
    internal static class PropertySnapshot
    {
        private const int MaxSequenceItems = 64;

        /// <summary>
        /// The value as it is at log time. A value whose ToString() or enumeration throws costs only
        /// itself: it becomes a note of what failed. Sequences keep their first 64 items, so an
        /// endless or self-containing one ends.
        /// </summary>
        public static object? Capture(object? value)
        {
            try
            {
                return CaptureUnchecked(value);
            }
            catch (Exception ex)
            {
                return $"[{value!.GetType().FullName} could not be read: {SafeText.Describe(ex)}]";
            }
        }

        private static object? CaptureUnchecked(object? value)
        {
            switch (value)
            {
                case null: return null;
                case string _: return value;
                case bool _: case char _: case byte _: case sbyte _: case short _: case ushort _:
                case int _: case uint _: case long _: case ulong _: case float _: case double _: case decimal _:
                case DateTime _: case DateTimeOffset _: case TimeSpan _: case Guid _:
                    return value;
                case Enum e: return e.ToString();
                case IEnumerable sequence when !(value is IDictionary):
                    var items = new List<object?>();
                    foreach (var item in sequence)
                    {
                        if (items.Count == MaxSequenceItems) break;
                        items.Add(item is IEnumerable && !(item is string) ? SafeText.ToStringOf(item) : Capture(item));
                    }

                    return items.ToArray();
                case IFormattable formattable:
                    return formattable.ToString(null, CultureInfo.InvariantCulture);
                default:
                    return SafeText.ToStringOf(value);
            }
        }
    }
}
