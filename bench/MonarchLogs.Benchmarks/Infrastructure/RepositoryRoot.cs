namespace MonarchLogs.Benchmarks.Infrastructure;

/// <summary>The checkout the benchmark runs from: the folder that holds MonarchLogs.sln.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "MonarchLogs.sln"))) return folder.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
