using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using MonarchLogs.Core;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>Completes level names: the six canonical ones, or an alias (Info, Warn, Fatal) when only an alias fits.</summary>
    public sealed class LogLevelCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
            var canonical = LogLevels.All.Select(l => l.ToString()).ToList();
            var matches = canonical.Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0)
            {
                matches = LogLevels.AcceptedNames.Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)).ToList();
            }

            return matches.Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n)).ToList();
        }
    }
}
