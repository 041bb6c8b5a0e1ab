using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>
/// The demo service's entries (samples/MonarchLogs.DemoService: four services, every level,
/// real exceptions with their stacks): the built service runs against a throwaway Valkey until
/// it has logged the entries, and they are read back as the store holds them.
/// </summary>
public static class DemoCapture
{
    public static string ServicePath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "samples", "MonarchLogs.DemoService", "bin", "Release", "net10.0", "MonarchLogs.DemoService.dll");

    /// <summary>The demo's entries, oldest first; null when the demo service is not built.</summary>
    public static async Task<List<MonarchLogEntry>?> CaptureAsync(string repositoryRoot, int entries)
    {
        var service = ServicePath(repositoryRoot);
        if (!File.Exists(service)) return null;
        await using var server = await ValkeyServer.StartAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            service, "--contentRoot", Path.GetDirectoryName(service)!,
            "--Logging:MonarchValkey:ConnectionString", server.ConnectionString,
            "--Logging:Console:LogLevel:Default", "None",
            "--Demo:EntriesPerSecond", "5000", "--Demo:TotalEntries", entries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Urls", "http://127.0.0.1:" + FreePort(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using (var process = Process.Start(start) ?? throw new InvalidOperationException("The demo service did not start."))
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The demo service did not log {entries} entries in 5 minutes.");
            }

            if (process.ExitCode != 0) throw new InvalidOperationException($"The demo service failed ({process.ExitCode}): {await error}{await output}");
        }

        using var connection = server.Connect();
        var read = new List<MonarchLogEntry>(entries);
        await foreach (var entry in new LogStore(connection).QueryAsync(new LogQuery { OldestFirst = true })) read.Add(entry);
        return read;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
