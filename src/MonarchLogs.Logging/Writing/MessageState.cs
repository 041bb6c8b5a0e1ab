using System;
using System.Collections.Generic;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Reads what a log call's state holds: the message its formatter renders, its template and
    /// its values as properties. On the caller's thread for most states; on the writer's for a
    /// <see cref="DeferredLogEntry{TState}"/>, whose state <see cref="DeferrableState{TState}"/>
    /// found the same whenever it is read. What throws costs the one value, never the entry.
    /// </summary>
    internal static class MessageState
    {
        public const string OriginalFormatKey = "{OriginalFormat}";

        public static string Render<TState>(Func<TState, Exception?, string> formatter, TState state, Exception? exception)
        {
            try
            {
                return formatter(state, exception) ?? string.Empty;
            }
            catch (Exception ex)
            {
                return $"[The message could not be rendered: {SafeText.Describe(ex)}]";
            }
        }

        /// <summary>The template and the values of a key/value state, after the properties already in <paramref name="entry"/> (those of its scopes).</summary>
        public static void AddValues<TState>(TState state, IEntryValues entry)
        {
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> values) return;
            try
            {
                AddValuesUnchecked(values, entry);
            }
            catch (Exception ex)
            {
                entry.AddProperty("StateError", $"[The message's values could not be read: {SafeText.Describe(ex)}]");
            }
        }

        private static void AddValuesUnchecked(IReadOnlyList<KeyValuePair<string, object?>> values, IEntryValues entry)
        {
            // The scopes' properties came first: make room for the values at once, not by doubling
            // (the template, last in the framework's states, is no property).
            var count = values.Count;
            entry.ReserveProperties(count > 0 && values[count - 1].Key == OriginalFormatKey ? count - 1 : count);
            for (var i = 0; i < values.Count; i++)
            {
                var pair = values[i];
                if (pair.Key == OriginalFormatKey)
                {
                    entry.Template = pair.Value as string;
                    continue;
                }

                entry.AddProperty(pair.Key, PropertySnapshot.Capture(pair.Value));
            }
        }
    }
}
