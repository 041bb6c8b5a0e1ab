using System.Globalization;
using System.Runtime.InteropServices;

namespace MonarchLogs.Benchmarks.Reporting;

/// <summary>What the figures were measured on.</summary>
public sealed class MachineInfo
{
    public string Cpu { get; init; } = "unknown CPU";

    public int Cores { get; init; }

    public double MemoryGiB { get; init; }

    public string Os { get; init; } = RuntimeInformation.OSDescription;

    public string Runtime { get; init; } = RuntimeInformation.FrameworkDescription;

    public string ValkeyVersion { get; set; } = "unknown";

    public static MachineInfo Collect() => new()
    {
        Cpu = ReadProcValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Cores = Environment.ProcessorCount,
        MemoryGiB = ReadMemoryGiB(),
        Os = ReadOsRelease() ?? RuntimeInformation.OSDescription,
    };

    public string Hardware => string.Create(CultureInfo.InvariantCulture,
        $"{Cores} cores ({Cpu}), {MemoryGiB:0} GiB, {Os} (kernel {Environment.OSVersion.Version})");

    public string Software => $"{Runtime}, Valkey {ValkeyVersion}";

    private static string? ReadProcValue(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var colon = line.IndexOf(':');
                if (colon > 0 && line[..colon].Trim() == key) return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static double ReadMemoryGiB()
    {
        var total = ReadProcValue("/proc/meminfo", "MemTotal");
        if (total is not null && long.TryParse(total.Split(' ')[0], out var kib)) return kib / 1024.0 / 1024.0;
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024.0 / 1024.0;
    }

    private static string? ReadOsRelease()
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/os-release"))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
