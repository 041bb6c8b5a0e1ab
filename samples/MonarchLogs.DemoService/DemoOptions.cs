namespace MonarchLogs.DemoService;

public sealed class DemoOptions
{
    /// <summary>How many entries a second the simulated services log.</summary>
    public double EntriesPerSecond { get; set; } = 20;

    /// <summary>Stop the service after this many entries; 0 runs until stopped.</summary>
    public int TotalEntries { get; set; }
}
