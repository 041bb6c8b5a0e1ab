using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// The provider's health, from its own state (no command is sent to Valkey): Unhealthy when
    /// entries were dropped recently or nothing could be written for a while, Degraded while the
    /// buffer fills or writes fail, Healthy otherwise. Register it with
    /// <c>builder.Services.AddHealthChecks().AddMonarchValkey()</c>.
    /// </summary>
    public sealed class MonarchValkeyHealthCheck : IHealthCheck
    {
        private readonly IEnumerable<ILoggerProvider> _providers;
        private readonly MonarchValkeyHealthCheckOptions _options;
        private readonly Func<DateTime> _clock;

        /// <summary>Checks the <see cref="MonarchValkeyLoggerProvider"/> among the host's logger providers.</summary>
        public MonarchValkeyHealthCheck(IEnumerable<ILoggerProvider> providers, MonarchValkeyHealthCheckOptions options)
            : this(providers, options, () => DateTime.UtcNow)
        {
        }

        internal MonarchValkeyHealthCheck(IEnumerable<ILoggerProvider> providers, MonarchValkeyHealthCheckOptions options, Func<DateTime> clock)
        {
            _providers = providers ?? throw new ArgumentNullException(nameof(providers));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _clock = clock;
        }

        /// <inheritdoc />
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var provider = _providers.OfType<MonarchValkeyLoggerProvider>().FirstOrDefault();
            if (provider is null)
            {
                return Task.FromResult(new HealthCheckResult(
                    context?.Registration.FailureStatus ?? HealthStatus.Unhealthy,
                    "The MonarchValkey logging provider is not registered (builder.Logging.AddMonarchValkey())."));
            }

            return Task.FromResult(Evaluate(provider.Writer.Health, context?.Registration.FailureStatus ?? HealthStatus.Unhealthy));
        }

        internal HealthCheckResult Evaluate(WriterHealth health, HealthStatus failureStatus)
        {
            var now = _clock();
            var data = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["buffered"] = health.Buffered,
                ["capacity"] = health.Capacity,
                ["failing"] = health.Failing,
                ["partitionsSetAside"] = health.PartitionsSetAside,
                ["lastWritten"] = health.LastWritten.ToString("O", CultureInfo.InvariantCulture),
            };
            foreach (var pair in health.DroppedByReason) data["dropped." + pair.Key] = pair.Value;
            if (health.LastDrop is { } lastDrop) data["lastDrop"] = lastDrop.ToString("O", CultureInfo.InvariantCulture);

            var problems = new List<string>();
            var status = HealthStatus.Healthy;
            if (health.LastDrop is { } dropped && now - dropped <= _options.DroppedWithin)
            {
                status = failureStatus;
                problems.Add($"log entries were dropped {Seconds(now - dropped)} ago ({string.Join(", ", health.DroppedByReason.Select(p => p.Key + " " + p.Value.ToString(CultureInfo.InvariantCulture)))} since start)");
            }

            if (health.Failing)
            {
                var since = health.FailingSince is { } failingSince && failingSince > health.LastWritten ? failingSince : health.LastWritten;
                if (health.Buffered > 0 && now - since >= _options.NotWrittenFor)
                {
                    status = failureStatus;
                    problems.Add($"nothing could be written to Valkey for {Seconds(now - since)}; {health.Buffered} entries wait");
                }
                else
                {
                    status = Worse(status, HealthStatus.Degraded);
                    problems.Add(health.PartitionsSetAside > 0
                        ? $"{health.PartitionsSetAside} partition(s) or the store refuse writes"
                        : "writes to Valkey are failing and being retried");
                }
            }

            if (health.Buffered >= _options.BufferFilling * health.Capacity)
            {
                status = Worse(status, HealthStatus.Degraded);
                problems.Add($"the buffer holds {health.Buffered} of {health.Capacity} entries");
            }

            var description = problems.Count == 0
                ? $"writing to Valkey; {health.Buffered} entries buffered"
                : string.Join("; ", problems);
            return new HealthCheckResult(status, description, exception: null, data);
        }

        private static HealthStatus Worse(HealthStatus a, HealthStatus b) => a < b ? a : b;

        private static string Seconds(TimeSpan span) => Math.Max(0, (int)span.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s";
    }
}
