using System.Threading.Tasks;

namespace MonarchLogs.Viewer
{
    /// <summary>
    /// <c>dotnet run --project src/MonarchLogs.Viewer -- --urls http://127.0.0.1:8081 --Valkey:ConnectionString 127.0.0.1:6379</c>
    /// </summary>
    public static class Program
    {
        public static Task<int> Main(string[] args) => StandaloneViewer.RunAsync(args);
    }
}
