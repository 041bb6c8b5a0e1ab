using MonarchLogs.Core;

namespace MonarchLogs.Benchmarks.Blocks;

/// <summary>
/// How a writer cuts one partition's entries (in time order) into blocks: a block is closed
/// when it holds <c>maxEntries</c>, or, with a time limit, when the next entry comes that long
/// after the block's first one (the writer would have sent the block by then).
/// </summary>
public static class BlockCuts
{
    public static List<List<MonarchLogEntry>> Cut(IReadOnlyList<MonarchLogEntry> partition, int maxEntries, TimeSpan? maxSpan = null)
    {
        var blocks = new List<List<MonarchLogEntry>>();
        List<MonarchLogEntry>? block = null;
        foreach (var entry in partition)
        {
            if (block is not null && Closes(block, entry, maxEntries, maxSpan))
            {
                blocks.Add(block);
                block = null;
            }

            (block ??= new List<MonarchLogEntry>()).Add(entry);
        }

        if (block is not null) blocks.Add(block);
        return blocks;
    }

    /// <summary>Whether the block is full, or <paramref name="next"/> comes too long after its first entry to join it.</summary>
    public static bool Closes(List<MonarchLogEntry> block, MonarchLogEntry next, int maxEntries, TimeSpan? maxSpan) =>
        block.Count >= maxEntries || (maxSpan is { } span && next.Timestamp - block[0].Timestamp >= span);

    public static string Describe(int maxEntries, TimeSpan? maxSpan) =>
        maxSpan is { } span ? $"{Seconds(span)} or {maxEntries} entries" : $"{maxEntries} entries";

    public static string Seconds(TimeSpan span) => span.TotalSeconds >= 60 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";
}
