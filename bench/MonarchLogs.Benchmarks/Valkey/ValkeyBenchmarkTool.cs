using System.Diagnostics;
using System.Globalization;

namespace MonarchLogs.Benchmarks.Valkey;

/// <summary>Runs the valkey-benchmark that ships with Valkey, with a custom command.</summary>
public static class ValkeyBenchmarkTool
{
    /// <summary>The command line, for the notes: what a reader can paste to check the figure.</summary>
    public static string Describe(int port, int requests, int pipeline, int clients, IReadOnlyList<string> command) =>
        $"valkey-benchmark -p {port} -n {requests} -c {clients} -P {pipeline} -q " + string.Join(' ', command.Select(Quote));

    /// <summary>Requests per second that valkey-benchmark reports.</summary>
    public static async Task<double> RunAsync(int port, int requests, int pipeline, int clients, IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo(FindExecutable())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
                     "-n", requests.ToString(CultureInfo.InvariantCulture),
                     "-c", clients.ToString(CultureInfo.InvariantCulture),
                     "-P", pipeline.ToString(CultureInfo.InvariantCulture), "--csv",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in command) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("valkey-benchmark did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException("valkey-benchmark failed: " + await stderr.ConfigureAwait(false) + output);

        // --csv: a header line, then "<command>","<rps>" and six latency columns. The command may
        // hold '","' itself (JSON values), so the columns are counted from the end.
        foreach (var line in output.Split('\n'))
        {
            var fields = line.Trim().Split("\",\"");
            if (fields.Length < 8 || fields[0].Trim('"') == "test") continue;
            if (double.TryParse(fields[^7].Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var rps)) return rps;
        }

        throw new InvalidOperationException("Could not read valkey-benchmark's output: " + output);
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_.:/".Contains(c)) ? argument : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string FindExecutable()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "valkey-benchmark");
            if (File.Exists(candidate)) return candidate;
        }

        if (File.Exists("/usr/bin/valkey-benchmark")) return "/usr/bin/valkey-benchmark";
        throw new FileNotFoundException("valkey-benchmark is not installed; run ./build.sh setup.");
    }
}
