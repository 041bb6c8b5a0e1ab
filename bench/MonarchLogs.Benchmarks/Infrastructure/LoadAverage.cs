namespace MonarchLogs.Benchmarks.Infrastructure;

/// <summary>The machine's 1, 5 and 15 minute load averages: how shared it was while measuring.</summary>
public static class LoadAverage
{
    /// <summary>The three averages and what they are, for a note.</summary>
    public static string Read()
    {
        var values = ReadValues();
        return values is null ? "unknown" : $"{values} (1 / 5 / 15 min, {Environment.ProcessorCount} cores)";
    }

    /// <summary>The three averages, <c>1.20 / 0.95 / 0.80</c>; null where the system does not tell.</summary>
    public static string? ReadValues()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]} / {fields[1]} / {fields[2]}";
        }
        catch (IOException)
        {
            return null;
        }
    }
}
