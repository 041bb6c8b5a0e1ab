using System.Diagnostics;

namespace MonarchLogs.Benchmarks.Infrastructure;

/// <summary>Runs PowerShell as a user of this repository does: the local tool, `dotnet pwsh`.</summary>
public sealed class PwshRunner
{
    private readonly string _repositoryRoot;

    public PwshRunner(string repositoryRoot) => _repositoryRoot = repositoryRoot;

    public string ModulePath => Path.Combine(_repositoryRoot, "artifacts", "module", "MonarchLogs");

    /// <summary>Runs <c>dotnet pwsh -NoProfile -c script</c>; returns the wall time in ms.</summary>
    public async Task<double> RunAsync(string script, TimeSpan? timeout = null)
    {
        var result = await RunProcessAsync(new[] { "pwsh", "-NoProfile", "-NonInteractive", "-c", script }, timeout ?? TimeSpan.FromMinutes(10));
        if (result.ExitCode != 0) throw new InvalidOperationException($"pwsh exited with {result.ExitCode}: {result.Output}");
        return result.WallMs;
    }

    /// <summary>Runs <c>dotnet pwsh -NoProfile -c script</c>; returns what it wrote (standard output and error).</summary>
    public async Task<string> RunForOutputAsync(string script, TimeSpan? timeout = null)
    {
        var result = await RunProcessAsync(new[] { "pwsh", "-NoProfile", "-NonInteractive", "-c", script }, timeout ?? TimeSpan.FromMinutes(10));
        if (result.ExitCode != 0) throw new InvalidOperationException($"pwsh exited with {result.ExitCode}: {result.Output}");
        return result.Output;
    }

    /// <summary>Makes sure the local tool answers and the module folder is laid out; builds what is missing.</summary>
    public async Task EnsureReadyAsync()
    {
        var probe = await RunProcessAsync(new[] { "pwsh", "-NoProfile", "-c", "exit 0" }, TimeSpan.FromMinutes(2));
        if (probe.ExitCode != 0)
        {
            Console.WriteLine("  dotnet pwsh did not start; restoring the local tools ...");
            var restore = await RunProcessAsync(new[] { "tool", "restore" }, TimeSpan.FromMinutes(5));
            if (restore.ExitCode != 0) throw new InvalidOperationException("dotnet tool restore failed: " + restore.Output);
        }

        if (!File.Exists(Path.Combine(ModulePath, "MonarchLogs.psd1")))
        {
            Console.WriteLine("  the module is not built yet; running build/Build-Module.ps1 -SkipHelp ...");
            var build = await RunProcessAsync(new[] { "pwsh", "-NoProfile", "-File", Path.Combine(_repositoryRoot, "build", "Build-Module.ps1"), "-SkipHelp" }, TimeSpan.FromMinutes(10));
            if (build.ExitCode != 0) throw new InvalidOperationException("Build-Module.ps1 failed: " + build.Output);
        }
    }

    private async Task<(int ExitCode, double WallMs, string Output)> RunProcessAsync(string[] dotnetArguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _repositoryRoot,
        };
        foreach (var argument in dotnetArguments) start.ArgumentList.Add(argument);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', dotnetArguments)} did not finish within {timeout}.");
        }

        var wall = Measure.ElapsedMs(started);
        return (process.ExitCode, wall, (await stdout) + (await stderr));
    }
}
