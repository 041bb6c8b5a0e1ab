using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace MonarchLogs.Testing
{
    /// <summary>The rules of a documented <c>ACL SETUSER</c> line, as valkey-cli reads them: words, a "quoted (selector)" one word.</summary>
    public static class AclRules
    {
        private static readonly Regex Word = new Regex("\"[^\"]*\"|\\S+");

        /// <summary>The line's words, quotes removed.</summary>
        public static IEnumerable<string> Words(this string line) => Word.Matches(line).Cast<Match>().Select(match => match.Value.Trim('"'));
    }
}
