using System.Globalization;
using System.Text;
using MonarchLogs.Benchmarks.Infrastructure;

namespace MonarchLogs.Benchmarks.Reporting;

/// <summary>Collects the rows and notes of a run and renders them as markdown.</summary>
public sealed class ResultTable
{
    private readonly List<FigureRow> _rows = new();
    private readonly List<(string Figure, string Note)> _notes = new();

    public IReadOnlyList<FigureRow> Rows => _rows;

    public void Add(FigureRow row)
    {
        _rows.Add(row);
        Console.WriteLine($"  => {row.Figure} {row.Name}: {row.Measured} | ref {row.Reference} | ratio {row.Ratio} | {VerdictText(row.Verdict)}");
    }

    public void Note(string figure, string note)
    {
        _notes.Add((figure, note));
        Console.WriteLine($"  .. {figure}: {note}");
    }

    public string Render(BenchSettings settings, MachineInfo machine, TimeSpan duration, string loadAtStart, string loadAtEnd)
    {
        var text = new StringBuilder();
        text.AppendLine("# MonarchLogs benchmark results");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, mode `{settings.Mode.ToString().ToLowerInvariant()}`, {(duration.TotalMinutes >= 1 ? duration.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture) + " min" : duration.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s")}."));
        text.AppendLine();
        text.AppendLine("Machine: " + machine.Describe());
        text.AppendLine();
        text.AppendLine($"Load average at the start: {loadAtStart}; at the end: {loadAtEnd}.");
        text.AppendLine();
        text.AppendLine("| # | figure | target | measured | reference | ratio | result |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in _rows)
        {
            text.AppendLine($"| {Cell(row.Figure)} | {Cell(row.Name)} | {Cell(row.Target)} | {Cell(row.Measured)} | {Cell(row.Reference)} | {Cell(row.Ratio)} | {VerdictText(row.Verdict)} |");
        }

        if (_notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Notes");
            text.AppendLine();
            foreach (var (figure, note) in _notes) text.AppendLine($"- **{figure}** {note}");
        }

        return text.ToString();
    }

    public static string VerdictText(Verdict verdict) => verdict switch
    {
        Verdict.Pass => "pass",
        Verdict.Miss => "**MISS**",
        Verdict.Error => "**ERROR**",
        _ => "info",
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
