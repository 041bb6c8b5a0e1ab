namespace MonarchLogs.Benchmarks.Infrastructure;

/// <summary>The machine's 1, 5 and 15 minute load averages: how shared it was while measuring.</summary>
public static class LoadAverage
{
    public static string Read()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]} / {fields[1]} / {fields[2]} (1 / 5 / 15 min, {Environment.ProcessorCount} cores)";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
