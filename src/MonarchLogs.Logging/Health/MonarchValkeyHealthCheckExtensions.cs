using System;
using System.Collections.Generic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace MonarchLogs.Logging
{
    /// <summary>Registers the provider's health check.</summary>
    public static class MonarchValkeyHealthCheckExtensions
    {
        /// <summary>
        /// Adds a check of the MonarchValkey logging provider, named <paramref name="name"/>
        /// ("monarchlogs" by default): <c>builder.Services.AddHealthChecks().AddMonarchValkey()</c>.
        /// </summary>
        /// <param name="builder">The health checks builder.</param>
        /// <param name="configure">Changes when it reports Degraded or Unhealthy.</param>
        /// <param name="name">The check's name in reports.</param>
        /// <param name="failureStatus">What to report instead of Unhealthy, for example Degraded.</param>
        /// <param name="tags">Tags to select the check by (for example "ready").</param>
        public static IHealthChecksBuilder AddMonarchValkey(
            this IHealthChecksBuilder builder,
            Action<MonarchValkeyHealthCheckOptions>? configure = null,
            string name = "monarchlogs",
            HealthStatus? failureStatus = null,
            IEnumerable<string>? tags = null)
        {
            if (builder is null) throw new ArgumentNullException(nameof(builder));
            var options = new MonarchValkeyHealthCheckOptions();
            configure?.Invoke(options);
            return builder.Add(new HealthCheckRegistration(
                name,
                services => new MonarchValkeyHealthCheck(services.GetServices<ILoggerProvider>(), options),
                failureStatus,
                tags));
        }
    }
}
