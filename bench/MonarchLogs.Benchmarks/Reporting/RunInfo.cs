namespace MonarchLogs.Benchmarks.Reporting;

/// <summary>When, how and on what a run measured: the head of the results file.</summary>
public sealed record RunInfo(
    DateTime StartedUtc,
    TimeSpan Duration,
    string Mode,
    string CommandLine,
    MachineInfo Machine,
    string? LoadAtStart,
    string? LoadAtEnd);
