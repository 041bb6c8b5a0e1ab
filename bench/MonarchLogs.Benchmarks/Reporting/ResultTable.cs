using System.Globalization;
using System.Text;

namespace MonarchLogs.Benchmarks.Reporting;

/// <summary>
/// Collects the rows and notes of a run and renders them as markdown: the run and the machine,
/// the results table (the part docs/performance.md quotes as it is), then the notes.
/// </summary>
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

    public string Render(RunInfo run)
    {
        var text = new StringBuilder();
        text.AppendLine("# MonarchLogs benchmark results");
        text.AppendLine();
        text.Append(MarkdownText.ListItem("Run: ", string.Create(CultureInfo.InvariantCulture,
            $"{run.StartedUtc:yyyy-MM-dd HH:mm} UTC, {Duration(run.Duration)}, mode `{run.Mode}`")));
        text.Append(MarkdownText.ListItem("Command: ", $"`{run.CommandLine}`"));
        text.Append(MarkdownText.ListItem("Machine: ", run.Machine.Hardware));
        text.Append(MarkdownText.ListItem("Software: ", run.Machine.Software));
        text.Append(MarkdownText.ListItem($"Load average (1 / 5 / 15 min, {run.Machine.Cores} cores): ",
            $"{run.LoadAtStart ?? "unknown"} at the start, {run.LoadAtEnd ?? "unknown"} at the end"));
        text.AppendLine();
        text.AppendLine("| # | figure | measured | reference | ratio | target | result |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in _rows.OrderBy(r => FigureNumber(r.Figure)))
        {
            text.AppendLine($"| {MarkdownText.Cell(row.Figure)} | {MarkdownText.Cell(row.Name)} | {MarkdownText.Cell(row.Measured)} | {MarkdownText.Cell(row.Reference)} | {MarkdownText.Cell(row.Ratio)} | {MarkdownText.Cell(row.Target)} | {VerdictText(row.Verdict)} |");
        }

        if (_notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Notes");
            text.AppendLine();
            foreach (var (figure, note) in _notes.OrderBy(n => FigureNumber(n.Figure))) text.Append(MarkdownText.ListItem($"**{figure}** ", note));
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

    // The figures run in the order that shares their servers best; the table lists them by number.
    private static int FigureNumber(string figure)
    {
        var digits = figure.TakeWhile(char.IsAsciiDigit).Count();
        return digits == 0 ? int.MaxValue : int.Parse(figure[..digits], CultureInfo.InvariantCulture);
    }

    private static string Duration(TimeSpan duration) => duration.TotalMinutes >= 1
        ? duration.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture) + " min"
        : duration.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s";
}
