using System.Text;
using System.Text.RegularExpressions;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Case-insensitive wildcard match with <c>*</c> (any run) and <c>?</c> (one character), the
    /// semantics of -Service, -Category and -Message and of the web API's filters alike.
    /// </summary>
    public sealed class Wildcard
    {
        private readonly Regex? _regex;
        private readonly string _literal;

        public Wildcard(string pattern)
        {
            Pattern = pattern;
            _literal = pattern;
            if (pattern.IndexOf('*') >= 0 || pattern.IndexOf('?') >= 0)
            {
                var regex = new StringBuilder("^");
                foreach (var c in pattern)
                {
                    regex.Append(c switch
                    {
                        '*' => ".*",
                        '?' => ".",
                        _ => Regex.Escape(c.ToString()),
                    });
                }

                regex.Append('$');
                _regex = new Regex(regex.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
            }
        }

        public string Pattern { get; }

        public bool IsMatch(string value) =>
            _regex?.IsMatch(value) ?? string.Equals(_literal, value, System.StringComparison.OrdinalIgnoreCase);
    }
}
