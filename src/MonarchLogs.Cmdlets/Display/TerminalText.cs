using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace MonarchLogs.Cmdlets.Display
{
    /// <summary>
    /// Text from the store (messages, categories, service names, exceptions) as a terminal may
    /// show it. A log line is written by whoever can reach the service, so it must not be able to
    /// clear the operator's screen, set the window title, plant a hyperlink, ring the bell, forge
    /// a line of the view, or reorder what is shown with a bidi override.
    /// <para>
    /// Every character that could do so is shown as a visible token in PowerShell's own escape
    /// syntax: <c>`0 `a `b `t `n `v `f `r `e</c> for NUL, BEL, BS, TAB, LF, VT, FF, CR, ESC, and
    /// <c>`u{XX}</c> (hexadecimal) for the other C0 controls, DEL, the C1 controls
    /// (U+0080-U+009F), the line and paragraph separators (U+2028, U+2029) and the bidi controls
    /// (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069). A backtick that is in the text is
    /// shown as it is, so that .NET generic names (List`1) stay readable; the exact text is always
    /// in the object's properties.
    /// </para>
    /// Used only for display: by the views of MonarchLogs.Format.ps1xml, and for the messages of
    /// errors, warnings and confirmations. The objects in the pipeline keep the exact text.
    /// </summary>
    public static class TerminalText
    {
        /// <summary>The text with every control and bidi character escaped; the same string when there is none.</summary>
        public static string Escape(string? text)
        {
            if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
            var first = IndexOfUnsafe(text);
            if (first < 0) return text;

            var builder = new StringBuilder(text.Length + 16);
            builder.Append(text, 0, first);
            for (var i = first; i < text.Length; i++)
            {
                var c = text[i];
                if (IsUnsafe(c)) AppendToken(builder, c);
                else builder.Append(c);
            }

            return builder.ToString();
        }

        /// <summary>
        /// A PowerShell double-quoted string that evaluates to exactly the text, written with the
        /// same tokens, for a completion that must name a value without putting its control
        /// characters on the command line.
        /// </summary>
        public static string ToDoubleQuotedLiteral(string text)
        {
            var builder = new StringBuilder(text.Length + 8).Append('"');
            foreach (var c in text)
            {
                if (IsUnsafe(c)) AppendToken(builder, c);
                else if (c == '`' || c == '$' || IsDoubleQuote(c)) builder.Append('`').Append(c);
                else builder.Append(c);
            }

            return builder.Append('"').ToString();
        }

        /// <summary>True when <see cref="Escape"/> would change the text.</summary>
        public static bool NeedsEscaping(string? text) => !string.IsNullOrEmpty(text) && IndexOfUnsafe(text) >= 0;

        /// <summary>
        /// The record with its message, and the target name that the longer error views show,
        /// escaped for display when they need it; <see cref="ErrorRecord.Exception"/> and
        /// <see cref="ErrorRecord.TargetObject"/> keep the exact text for scripts.
        /// </summary>
        public static ErrorRecord ForDisplay(ErrorRecord record)
        {
            var message = record.ErrorDetails?.Message ?? record.Exception?.Message;
            if (NeedsEscaping(message))
            {
                var details = new ErrorDetails(Escape(message));
                if (record.ErrorDetails?.RecommendedAction is { } action) details.RecommendedAction = Escape(action);
                record.ErrorDetails = details;
            }

            if (NeedsEscaping(record.CategoryInfo.TargetName))
            {
                record.CategoryInfo.TargetName = Escape(record.CategoryInfo.TargetName);
            }

            return record;
        }

        private static int IndexOfUnsafe(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (IsUnsafe(text[i])) return i;
            }

            return -1;
        }

        private static bool IsUnsafe(char c) =>
            c < '\u0020'
            || (c >= '\u007F' && c <= '\u009F')
            || c == '\u061C'
            || c == '\u200E' || c == '\u200F'
            || (c >= '\u2028' && c <= '\u202E')
            || (c >= '\u2066' && c <= '\u2069');

        // PowerShell ends a double-quoted string at any of these, not only at '"'.
        private static bool IsDoubleQuote(char c) => c == '"' || c == '\u201C' || c == '\u201D' || c == '\u201E';

        private static void AppendToken(StringBuilder builder, char c)
        {
            switch (c)
            {
                case '\0': builder.Append("`0"); break;
                case '\a': builder.Append("`a"); break;
                case '\b': builder.Append("`b"); break;
                case '\t': builder.Append("`t"); break;
                case '\n': builder.Append("`n"); break;
                case '\v': builder.Append("`v"); break;
                case '\f': builder.Append("`f"); break;
                case '\r': builder.Append("`r"); break;
                case '\u001B': builder.Append("`e"); break;
                default:
                    builder.Append("`u{").Append(((int)c).ToString("X", CultureInfo.InvariantCulture)).Append('}');
                    break;
            }
        }
    }
}
