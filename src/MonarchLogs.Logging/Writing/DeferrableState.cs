using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Whether a log call's state may be read on the writer's thread instead of the caller's: only
    /// when reading it later gives what it gives at log time. That holds for the state of a
    /// <see cref="LoggerMessage.Define(LogLevel, EventId, string)"/>d call (source-generated
    /// logging makes most of its calls so) whose arguments are all of immutable types (strings, numbers,
    /// bool, char, DateTime, DateTimeOffset, TimeSpan, Guid, enums, and those made nullable),
    /// rendered by the framework's own formatter: the state keeps the argument values themselves,
    /// and the framework formats them with the invariant culture, so neither the time nor the
    /// thread changes the text. Any other state (an argument of any other type, the extension
    /// methods' <c>params object[]</c>, which the caller may still change, or a formatter of the
    /// application's) is read at log time.
    /// </summary>
    internal static class DeferrableState<TState>
    {
        private static readonly bool s_immutable = IsImmutableFrameworkState(typeof(TState));

        /// <summary>The framework's formatter for this state, once seen: later calls compare by reference.</summary>
        private static Func<TState, Exception?, string>? s_frameworkFormatter;

        public static bool Allows(Func<TState, Exception?, string> formatter)
        {
            if (!s_immutable) return false;
            if (ReferenceEquals(formatter, s_frameworkFormatter)) return true;
            if (!IsFrameworkCode(formatter)) return false;
            s_frameworkFormatter = formatter;
            return true;
        }

        private static bool IsFrameworkCode(Delegate formatter)
        {
            try
            {
                return formatter.Method.DeclaringType?.Assembly == typeof(LoggerMessage).Assembly;
            }
            catch
            {
                return false;
            }
        }

        private static bool IsImmutableFrameworkState(Type state) =>
            state.IsValueType
            && state.DeclaringType == typeof(LoggerMessage)
            && state.Name.StartsWith("LogValues", StringComparison.Ordinal)
            && typeof(IReadOnlyList<KeyValuePair<string, object?>>).IsAssignableFrom(state)
            && state.GetGenericArguments().All(IsImmutable);

        private static bool IsImmutable(Type type)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            return type.IsEnum || type == typeof(string) || type == typeof(bool) || type == typeof(char)
                || type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort)
                || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong)
                || type == typeof(float) || type == typeof(double) || type == typeof(decimal)
                || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid);
        }
    }
}
