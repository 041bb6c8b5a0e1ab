using System;
using System.Collections.Generic;
using System.Text;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Text of objects the application hands over, read so that a getter or ToString() that
    /// throws costs that one value, never the entry or the writer: what could be read is kept,
    /// and what failed is said in its place.
    /// </summary>
    internal static class SafeText
    {
        private const int MaxInnerExceptions = 16;

        /// <summary>The name of what went wrong, without touching anything that could throw again.</summary>
        public static string Describe(Exception failure) => failure.GetType().FullName ?? failure.GetType().Name;

        public static string ToStringOf(object value)
        {
            try
            {
                return value.ToString() ?? string.Empty;
            }
            catch (Exception ex)
            {
                return $"[{value.GetType().FullName}.ToString() threw {Describe(ex)}]";
            }
        }

        public static string MessageOf(Exception exception)
        {
            try
            {
                return exception.Message ?? string.Empty;
            }
            catch (Exception ex)
            {
                return $"[{exception.GetType().FullName}.Message threw {Describe(ex)}]";
            }
        }

        /// <summary>
        /// The exception as <c>ToString()</c> gives it; when that throws, the type, message and
        /// stack of it and its inner exceptions, each read on its own (a cycle of inner exceptions ends).
        /// </summary>
        public static string TextOf(Exception exception)
        {
            try
            {
                // ToString() of an exception that is its own inner exception would recurse until
                // the stack overflows, which no catch survives: such a chain is read by hand.
                if (!HasCycle(exception)) return exception.ToString();
                return ByHand(exception, "its inner exceptions form a cycle");
            }
            catch (Exception ex)
            {
                return ByHand(exception, $"{exception.GetType().FullName}.ToString() threw {Describe(ex)}");
            }
        }

        private static bool HasCycle(Exception exception)
        {
            var seen = new HashSet<Exception>(ReferenceComparer.Instance);
            var pending = new Stack<Exception>();
            pending.Push(exception);
            while (pending.Count > 0)
            {
                var current = pending.Pop();
                if (!seen.Add(current)) return true;
                if (seen.Count > 256) return true;
                if (current is AggregateException aggregate)
                {
                    foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
                }
                else if (InnerOf(current) is { } inner)
                {
                    pending.Push(inner);
                }
            }

            return false;
        }

        private static string ByHand(Exception exception, string why)
        {
            var text = new StringBuilder();
            var seen = new HashSet<Exception>(ReferenceComparer.Instance);
            var current = exception;
            for (var depth = 0; current is not null && depth < MaxInnerExceptions && seen.Add(current); depth++)
            {
                if (depth > 0) text.Append(" ---> ");
                text.Append(current.GetType().FullName).Append(": ").Append(MessageOf(current));
                var stack = StackOf(current);
                if (stack.Length > 0) text.Append(Environment.NewLine).Append(stack);
                current = InnerOf(current);
            }

            text.Append(Environment.NewLine).Append($"[{why}; the text above was read field by field]");
            return text.ToString();
        }

        private static string StackOf(Exception exception)
        {
            try
            {
                return exception.StackTrace ?? string.Empty;
            }
            catch (Exception ex)
            {
                return $"[StackTrace threw {Describe(ex)}]";
            }
        }

        private static Exception? InnerOf(Exception exception)
        {
            try
            {
                return exception.InnerException;
            }
            catch
            {
                return null;
            }
        }

        /// <summary>Cuts text to at most <paramref name="max"/> characters, never inside a surrogate pair, and says so at the end.</summary>
        public static string Truncate(string text, int max, ref bool truncated)
        {
            if (text.Length <= max) return text;
            truncated = true;
            var marker = $"…[truncated: {text.Length} characters, kept {{0}}]";
            var keep = Math.Max(0, max - marker.Length - 8);
            if (keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
            return text.Substring(0, keep) + string.Format(System.Globalization.CultureInfo.InvariantCulture, marker, keep);
        }

        private sealed class ReferenceComparer : IEqualityComparer<Exception>
        {
            public static readonly ReferenceComparer Instance = new ReferenceComparer();

            public bool Equals(Exception? x, Exception? y) => ReferenceEquals(x, y);

            public int GetHashCode(Exception obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }
}
