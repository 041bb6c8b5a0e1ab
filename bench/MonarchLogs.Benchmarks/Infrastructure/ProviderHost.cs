using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Logging;

namespace MonarchLogs.Benchmarks.Infrastructure;

/// <summary>A logger factory with the Valkey provider, registered as an application does it.</summary>
public sealed class ProviderHost : IDisposable
{
    private readonly ServiceProvider _services;

    private ProviderHost(ServiceProvider services)
    {
        _services = services;
        Factory = services.GetRequiredService<ILoggerFactory>();
        Provider = services.GetServices<ILoggerProvider>().OfType<MonarchValkeyLoggerProvider>().Single();
    }

    public ILoggerFactory Factory { get; }

    public MonarchValkeyLoggerProvider Provider { get; }

    /// <summary>A provider writing to <paramref name="connectionString"/>; <paramref name="formatVersion"/> is 2, the only format it writes.</summary>
    public static ProviderHost Start(string connectionString, string service, int bufferCapacity, int formatVersion, LogLevel minimumLevel = LogLevel.Trace)
    {
        if (formatVersion != 2) throw new ArgumentOutOfRangeException(nameof(formatVersion), formatVersion, "The provider writes storage format 2 only.");
        var services = new ServiceCollection()
            .AddLogging(logging =>
            {
                logging.SetMinimumLevel(minimumLevel);
                logging.AddMonarchValkey(options =>
                {
                    options.ConnectionString = connectionString;
                    options.Service = service;

                    // The workload routes each entry to its service by a scope, as Monarch does.
                    options.ServicePropertyName = "Service";
                    options.BufferCapacity = bufferCapacity;
                    options.FlushTimeout = TimeSpan.FromSeconds(30);
                });
            })
            .BuildServiceProvider();
        return new ProviderHost(services);
    }

    /// <summary>Logs one entry and waits until it is stored: the writer is connected after this.</summary>
    public async Task WarmUpAsync()
    {
        var before = Provider.EntriesWritten;
        Factory.CreateLogger("MonarchLogs.Benchmarks").LogInformation("Benchmark warm-up");
        if (!await Measure.WaitUntilAsync(() => Provider.EntriesWritten > before, TimeSpan.FromSeconds(15)).ConfigureAwait(false))
        {
            throw new InvalidOperationException("The provider did not write its first entry within 15 s.");
        }
    }

    public void Dispose() => _services.Dispose();
}
