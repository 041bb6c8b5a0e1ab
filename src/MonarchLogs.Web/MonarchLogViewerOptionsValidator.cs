using System;
using System.Linq;
using Microsoft.Extensions.Options;
using MonarchLogs.Core.Connection;

namespace MonarchLogs.Web
{
    /// <summary>
    /// Checked when the host starts (ValidateOnStart), so that a mistake in the settings stops
    /// the start with one line instead of failing the first request, or, worse, leaving auth off.
    /// </summary>
    internal sealed class MonarchLogViewerOptionsValidator : IValidateOptions<MonarchLogViewerOptions>
    {
        private readonly Func<string, string?, string> _keyOf;

        /// <param name="keyOf">The configuration key a store setting's value came from (<c>Viewer:Valkey:...</c> or <c>Valkey:...</c>).</param>
        public MonarchLogViewerOptionsValidator(Func<string, string?, string> keyOf) => _keyOf = keyOf;

        public ValidateOptionsResult Validate(string? name, MonarchLogViewerOptions options)
        {
            // Where the store lives: the same checks, and the same lines, as for the logging provider.
            var failures = options.Problems(_keyOf).ToList();
            if (string.IsNullOrEmpty(options.BasicAuthUser) != string.IsNullOrEmpty(options.BasicAuthPassword))
            {
                failures.Add("Viewer:BasicAuth needs both User and Password; with only one of them basic auth would be off.");
            }

            if (options.BasicAuthUser?.Contains(':') == true) failures.Add("Viewer:BasicAuth:User must not contain ':'.");
            if (options.DefaultLimit < 1 || options.MaxLimit < 1) failures.Add("DefaultLimit and MaxLimit must be at least 1.");
            if (options.DefaultExportLimit < 1 || options.MaxExportLimit < 1) failures.Add("DefaultExportLimit and MaxExportLimit must be at least 1.");
            if (options.StatsScanLimit < 1) failures.Add("StatsScanLimit must be at least 1.");
            if (options.HeartbeatInterval <= System.TimeSpan.Zero || options.TailPollInterval <= System.TimeSpan.Zero)
            {
                failures.Add("HeartbeatInterval and TailPollInterval must be positive.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
