using System;
using System.Globalization;
using System.Text.Json;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// One condition on an entry's structured properties (template arguments and scope
    /// key/value pairs, stored as one JSON object): the property named <see cref="Name"/>
    /// (case-insensitive; <c>Customer.Id</c> also reaches into a nested object) must have the
    /// value. A number equals numerically (<c>4711</c> matches <c>4711</c>, <c>4711.0</c> and the
    /// text <c>"4711"</c>), a boolean equals (<c>true</c> or the text <c>"True"</c>), and text is a
    /// <see cref="Wildcard"/> matched against a text value or the written form of a number or
    /// boolean. A property that holds an array matches when one of its items does.
    /// </summary>
    public sealed class PropertyCondition
    {
        /// <summary>The error id of a property filter that cannot be read.</summary>
        public const string InvalidErrorId = "InvalidPropertyFilter";

        private readonly decimal? _number;
        private readonly bool? _boolean;
        private readonly Wildcard? _text;
        private readonly string[] _path;

        private PropertyCondition(string name, decimal? number, bool? boolean, Wildcard? text)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new MonarchLogsException(InvalidErrorId, MonarchErrorKind.InvalidArgument, "A property filter needs a property name.");
            }

            Name = name;
            _number = number;
            _boolean = boolean;
            _text = text;
            _path = name.Split('.');
        }

        /// <summary>The property name; a dotted name reaches into a nested object.</summary>
        public string Name { get; }

        /// <summary>The value as given: a number, a boolean or a wildcard.</summary>
        public object Value => _number ?? (object?)_boolean ?? _text!.Pattern;

        /// <summary>Text: a wildcard (<c>t-*</c>); to match <c>*</c> itself, escape it with a backtick.</summary>
        public static PropertyCondition Text(string name, string pattern) =>
            new PropertyCondition(name, null, null, new Wildcard(pattern ?? throw new ArgumentNullException(nameof(pattern))));

        /// <summary>A number: equal numerically to a number or to text that reads as that number.</summary>
        public static PropertyCondition Number(string name, decimal value) => new PropertyCondition(name, value, null, null);

        /// <summary>A boolean: equal to a boolean or to its text (<c>True</c>, <c>false</c>).</summary>
        public static PropertyCondition Boolean(string name, bool value) => new PropertyCondition(name, null, value, null);

        /// <summary>
        /// A condition from a value of any type: numbers and booleans compare as such, text is a
        /// wildcard, and anything else (a Guid, a date) must equal its invariant text exactly.
        /// </summary>
        public static PropertyCondition From(string name, object? value)
        {
            switch (value)
            {
                case null:
                    throw new MonarchLogsException(InvalidErrorId, MonarchErrorKind.InvalidArgument,
                        $"The property filter '{DisplayText.Quote(name)}' has no value; give a number, a boolean or a text (wildcards allowed).");
                case string text:
                    return Text(name, text);
                case bool flag:
                    return Boolean(name, flag);
                case byte or sbyte or short or ushort or int or uint or long or ulong or decimal:
                    return Number(name, Convert.ToDecimal(value, CultureInfo.InvariantCulture));
                case float or double:
                    var real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (double.IsNaN(real) || double.IsInfinity(real) || Math.Abs(real) > (double)decimal.MaxValue)
                    {
                        throw new MonarchLogsException(InvalidErrorId, MonarchErrorKind.InvalidArgument,
                            $"The property filter '{DisplayText.Quote(name)}' has a number no property can hold ({real.ToString(CultureInfo.InvariantCulture)}).");
                    }

                    return Number(name, (decimal)real);
                case System.Collections.IEnumerable:
                    throw new MonarchLogsException(InvalidErrorId, MonarchErrorKind.InvalidArgument,
                        $"The property filter '{DisplayText.Quote(name)}' has several values; give one (a number, a boolean or a text with wildcards such as 't-*').");
                case IFormattable formattable:
                    return Text(name, Wildcard.Escape(formattable.ToString(null, CultureInfo.InvariantCulture)));
                default:
                    return Text(name, Wildcard.Escape(value.ToString() ?? string.Empty));
            }
        }

        /// <summary>Whether the properties object (an entry's <c>props</c>) has the value.</summary>
        public bool IsMatch(JsonElement properties)
        {
            if (properties.ValueKind != JsonValueKind.Object) return false;

            // "Customer.Id" as one name first (a scope may use dots in its keys), then as a path.
            if (TryGetProperty(properties, Name, out var whole) && Matches(whole)) return true;
            if (_path.Length == 1) return false;
            var current = properties;
            foreach (var step in _path)
            {
                if (current.ValueKind != JsonValueKind.Object || !TryGetProperty(current, step, out current)) return false;
            }

            return Matches(current);
        }

        private bool Matches(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Array:
                    foreach (var item in value.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Array && Matches(item)) return true;
                    }

                    return false;
                case JsonValueKind.Number:
                    if (_number is { } number) return value.TryGetDecimal(out var actual) && actual == number;
                    return _text is not null && _text.IsMatch(value.GetRawText());
                case JsonValueKind.True:
                case JsonValueKind.False:
                    if (_boolean is { } flag) return value.ValueKind == (flag ? JsonValueKind.True : JsonValueKind.False);
                    return _text is not null && _text.IsMatch(value.ValueKind == JsonValueKind.True ? "true" : "false");
                case JsonValueKind.String:
                    var text = value.GetString() ?? string.Empty;
                    if (_number is { } expected) return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed == expected;
                    if (_boolean is { } expectedFlag) return bool.TryParse(text.Trim(), out var parsedFlag) && parsedFlag == expectedFlag;
                    return _text!.IsMatch(text);
                default:
                    return false;
            }
        }

        /// <summary>A property by name, exact case first, then ignoring case (PowerShell's hashtables ignore it).</summary>
        private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
        {
            if (element.TryGetProperty(name, out value)) return true;
            foreach (var property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }

            value = default;
            return false;
        }

        /// <summary><c>name=value</c>, as a user writes the filter.</summary>
        public override string ToString() => Name + "=" + Convert.ToString(Value, CultureInfo.InvariantCulture);
    }
}
