using System.Globalization;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Valkey;

/// <summary>Reads the server's own counters: INFO sections, command statistics, slow log.</summary>
public sealed class ServerStats
{
    private readonly IServer _server;

    public ServerStats(IConnectionMultiplexer adminConnection)
    {
        _server = adminConnection.GetServers().Single();
    }

    public IServer Server => _server;

    public async Task<Dictionary<string, string>> InfoAsync(string section)
    {
        var raw = await _server.InfoRawAsync(section).ConfigureAwait(false) ?? string.Empty;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in raw.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            var colon = trimmed.IndexOf(':');
            if (colon > 0) values[trimmed[..colon]] = trimmed[(colon + 1)..];
        }

        return values;
    }

    /// <summary>
    /// used_memory once the server has no lazy free left to do: Valkey 8 frees deleted keys and
    /// flushed databases in a background thread by default, which would blur a memory delta.
    /// </summary>
    public async Task<long> SettledUsedMemoryAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var memory = await InfoAsync("memory").ConfigureAwait(false);
            if (memory.GetValueOrDefault("lazyfree_pending_objects", "0") == "0")
            {
                await Task.Delay(100).ConfigureAwait(false);
                return await UsedMemoryAsync().ConfigureAwait(false);
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new TimeoutException("The server still had objects to free after 60 s.");
    }

    public async Task<long> UsedMemoryAsync()
    {
        var memory = await InfoAsync("memory").ConfigureAwait(false);
        return long.Parse(memory["used_memory"], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// CPU seconds the server process has used since it started (INFO cpu: used_cpu_sys +
    /// used_cpu_user, every thread of the process).
    /// </summary>
    public async Task<double> CpuSecondsAsync()
    {
        var cpu = await InfoAsync("cpu").ConfigureAwait(false);
        return double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture);
    }

    public async Task<string> VersionAsync()
    {
        var server = await InfoAsync("server").ConfigureAwait(false);
        return server.TryGetValue("valkey_version", out var valkey) ? valkey : server.GetValueOrDefault("redis_version", "unknown");
    }

    /// <summary>Calls per command name since the last CONFIG RESETSTAT, from INFO commandstats.</summary>
    public async Task<Dictionary<string, long>> CommandCallsAsync()
    {
        var stats = await InfoAsync("commandstats").ConfigureAwait(false);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in stats)
        {
            if (!key.StartsWith("cmdstat_", StringComparison.Ordinal)) continue;
            foreach (var part in value.Split(','))
            {
                if (part.StartsWith("calls=", StringComparison.Ordinal))
                {
                    calls[key["cmdstat_".Length..]] = long.Parse(part["calls=".Length..], CultureInfo.InvariantCulture);
                }
            }
        }

        return calls;
    }

    public static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after)
    {
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, count) in after)
        {
            var d = count - before.GetValueOrDefault(name);
            if (d != 0) delta[name] = d;
        }

        return delta;
    }
}
