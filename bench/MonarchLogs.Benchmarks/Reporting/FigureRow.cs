namespace MonarchLogs.Benchmarks.Reporting;

public enum Verdict
{
    Pass,
    Miss,
    Info,
    Error,
}

/// <summary>One line of the results table.</summary>
public sealed record FigureRow(
    string Figure,
    string Name,
    string Target,
    string Measured,
    string Reference,
    string Ratio,
    Verdict Verdict);
