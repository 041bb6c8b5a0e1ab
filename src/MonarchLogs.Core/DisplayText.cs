using System.Globalization;
using System.Text;

namespace MonarchLogs.Core
{
    /// <summary>Text as an error message quotes it; the data itself always keeps its exact text.</summary>
    public static class DisplayText
    {
        /// <summary>
        /// At most <paramref name="maxLength"/> characters, with control and format characters
        /// (line breaks, NUL, bidi overrides) written as <c>\uXXXX</c>, so that a quoted value can
        /// neither break the message's lines nor reorder its text.
        /// </summary>
        public static string Quote(string? text, int maxLength = 100)
        {
            if (text is null) return string.Empty;
            var builder = new StringBuilder(System.Math.Min(text.Length, maxLength) + 8);
            foreach (var c in text)
            {
                if (builder.Length >= maxLength)
                {
                    builder.Append('…');
                    break;
                }

                if (char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format)
                {
                    builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                }
                else
                {
                    builder.Append(c);
                }
            }

            return builder.ToString();
        }
    }
}
