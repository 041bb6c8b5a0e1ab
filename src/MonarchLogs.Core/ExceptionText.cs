using System;
using System.Text.RegularExpressions;

namespace MonarchLogs.Core
{
    /// <summary>An exception known only as the text Exception.ToString() gave (a console log line, a script's string).</summary>
    public static class ExceptionText
    {
        // The first line of Exception.ToString(): "Namespace.TypeName: message" (a type name has at least one dot).
        private static readonly Regex Head = new Regex(@"^(?<type>[A-Za-z_][\w`+]*(\.[A-Za-z_][\w`+]*)+)(: (?<message>.*))?$",
            RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

        /// <summary>
        /// The exception type and message of the text's first line when it reads "Namespace.Type:
        /// message" (the message up to an inner exception's " ---> "); both empty otherwise.
        /// </summary>
        public static void Split(string? text, out string type, out string message)
        {
            type = string.Empty;
            message = string.Empty;
            if (string.IsNullOrEmpty(text)) return;
            var end = text!.IndexOfAny(new[] { '\r', '\n' });
            var head = end < 0 ? text : text.Substring(0, end);
            Match match;
            try
            {
                match = Head.Match(head.Length > 4096 ? head.Substring(0, 4096) : head);
            }
            catch (RegexMatchTimeoutException)
            {
                return;
            }

            if (!match.Success) return;
            type = match.Groups["type"].Value;
            message = match.Groups["message"].Value;
            var inner = message.IndexOf(" ---> ", StringComparison.Ordinal);
            if (inner >= 0) message = message.Substring(0, inner);
        }
    }
}
