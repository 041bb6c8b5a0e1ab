using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Cmdlets.Infrastructure;

namespace MonarchLogs.Cmdlets.Arguments
{
    /// <summary>
    /// Completes -Service from the store's registry, on the session's connection. Completion must
    /// never hang the prompt nor print an error: it gives up after a short time and then offers nothing.
    /// </summary>
    public sealed class ServiceCompleter : IArgumentCompleter
    {
        private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1.5);

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            try
            {
                var target = ConnectionTarget.Resolve(
                    fakeBoundParameters?["ConnectionString"] as string,
                    (fakeBoundParameters?["Credential"] as PSObject)?.BaseObject as PSCredential ?? fakeBoundParameters?["Credential"] as PSCredential,
                    fakeBoundParameters?["Prefix"] as string,
                    // A relative path would be taken against the process's directory, not the session's location: left out.
                    fakeBoundParameters?["TrustedCertificateAuthorityPath"] is string authority && System.IO.Path.IsPathRooted(authority) ? authority : null,
                    SessionConnections.SessionDefault);
                using var timeout = new CancellationTokenSource(Budget);
                var store = SessionConnections.Open(target, TimeSpan.FromMilliseconds(300), timeout.Token);
                var services = store.GetServicesAsync(timeout.Token).GetAwaiter().GetResult();
                var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
                var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
                return services
                    .Where(s => pattern.IsMatch(s))
                    .Select(s => new CompletionResult(Quote(s), TerminalText.Escape(s), CompletionResultType.ParameterValue, TerminalText.Escape(s)))
                    .ToList();
            }
            catch (Exception)
            {
                // Completion is a convenience: an unreachable server or anything else offers nothing.
                return Array.Empty<CompletionResult>();
            }
        }

        // A name with control or bidi characters is written as a double-quoted string with
        // escapes (TerminalText), so that the command line names it exactly without holding them.
        private static string Quote(string service) =>
            TerminalText.NeedsEscaping(service) ? TerminalText.ToDoubleQuotedLiteral(service)
            : service.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ';', ',', '(', ')', '{', '}', '@', '#', '&', '|', '<', '>' }) >= 0
                ? "'" + service.Replace("'", "''") + "'"
                : service;
    }
}
