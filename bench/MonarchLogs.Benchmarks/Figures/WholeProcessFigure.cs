using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 7: a whole PowerShell process that imports the module, reads a day of errors from the
/// small store and writes them to CSV, timed from outside; PowerShell's own start-up and the
/// module import measured apart.
/// </summary>
public static class WholeProcessFigure
{
    public static async Task RunAsync(BenchSettings settings, ResultTable table, QueryStores stores, string repositoryRoot)
    {
        var pwsh = new PwshRunner(repositoryRoot);
        await pwsh.EnsureReadyAsync();
        var store = stores.Small;
        var csv = Path.Combine(Path.GetTempPath(), "monarchlogs-bench-" + Guid.NewGuid().ToString("N") + ".csv");
        var module = pwsh.ModulePath.Replace("'", "''", StringComparison.Ordinal);
        var import = $"Import-Module '{module}'";
        string Query(string since) => $"{import}; Get-MonarchLog -ConnectionString {store.Server.ConnectionString} -Level Error -Since {since} | Export-Csv -Path '{csv}' -NoTypeInformation";
        string Count(string since) => $"{import}; Get-MonarchLog -ConnectionString {store.Server.ConnectionString} -Level Error -Since {since} | Measure-Object | Out-Null";

        var since = "1d";
        string? literalFailure = null;
        var startups = new List<double>();
        var imports = new List<double>();
        var wholes = new List<double>();
        var counts = new List<double>();
        long rows = 0;
        try
        {
            // One untimed run of each warms the disk cache, as a second run by a user would be.
            // The command line is tried as written first: in argument mode PowerShell
            // reads an unquoted 1d as the decimal literal 1, which the cmdlet must still take.
            await pwsh.RunAsync("exit 0");
            await pwsh.RunAsync(import);
            try
            {
                await pwsh.RunAsync(Query("1d"));
            }
            catch (InvalidOperationException ex)
            {
                literalFailure = FirstLine(ex.Message);
                since = "'1d'";
            }

            for (var run = 0; run < settings.WholeProcessRepetitions; run++)
            {
                startups.Add(await pwsh.RunAsync("exit 0"));
                imports.Add(await pwsh.RunAsync(import));
                counts.Add(await pwsh.RunAsync(Count(since)));
                wholes.Add(await pwsh.RunAsync(Query(since)));
                rows = File.ReadLines(csv).LongCount() - 1;
            }
        }
        finally
        {
            File.Delete(csv);
        }

        var startup = Measure.Median(startups);
        var importMs = Measure.Median(imports);
        var whole = Measure.Median(wholes);
        var countOnly = Measure.Median(counts);
        table.Add(new FigureRow("7", $"Whole process: pwsh, Import-Module, Get-MonarchLog -Level Error -Since 1d | Export-Csv, {Format.Count(store.Entries)} store",
            "(none)",
            $"{Format.Ms(whole)} wall ({rows:N0} rows)",
            $"pwsh start-up alone {Format.Ms(startup)}; start-up + Import-Module {Format.Ms(importMs)}",
            $"{Format.Ms(whole - startup)} beyond start-up",
            literalFailure is null ? Verdict.Info : Verdict.Miss));
        if (literalFailure is not null)
        {
            table.Note("7.", $"**The issue's command as written fails**: `Get-MonarchLog -Level Error -Since 1d` stops with \"{literalFailure}\" (PowerShell reads an unquoted 1d in argument mode as the decimal literal 1, " +
                "and the Since parameter's TimeTransformationAttribute passes numbers through unchanged). The figure was measured with -Since '1d' (quoted), which binds.");
        }

        table.Note("7.", $"Wall time of `dotnet pwsh -NoProfile -NonInteractive -c \"Import-Module artifacts/module/MonarchLogs; Get-MonarchLog -ConnectionString 127.0.0.1:PORT -Level Error -Since {since} | Export-Csv -Path <tmp> -NoTypeInformation\"` " +
            $"from process start to exit, median of {settings.WholeProcessRepetitions} after one untimed warm-up; start-up alone is `dotnet pwsh -NoProfile -NonInteractive -c \"exit 0\"` (it includes the dotnet host resolving the local tool). " +
            $"Of the {Format.Ms(whole - startup)} beyond start-up, {Format.Ms(importMs - startup)} is Import-Module; the same command ending in `| Measure-Object` instead of Export-Csv takes {Format.Ms(countOnly)} " +
            $"(so connecting, the query and the cmdlet's output of {rows:N0} objects take {Format.Ms(countOnly - importMs)}, and Export-Csv {Format.Ms(whole - countOnly)}); figure 4 has the same query in-process.");
    }

    private static string FirstLine(string text)
    {
        var plain = System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;]*m", string.Empty);
        var line = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? plain;
        return line.Length <= 200 ? line : line[..200] + "…";
    }
}
