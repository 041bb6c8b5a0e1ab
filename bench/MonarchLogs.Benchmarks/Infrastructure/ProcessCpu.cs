using System.Diagnostics;

namespace MonarchLogs.Benchmarks.Infrastructure;

/// <summary>The CPU time of this whole process (every thread: the caller, the client library's, the garbage collector's).</summary>
public static class ProcessCpu
{
    /// <summary>User and system CPU time used so far, read afresh (a Process object caches what it read).</summary>
    public static TimeSpan Now()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
