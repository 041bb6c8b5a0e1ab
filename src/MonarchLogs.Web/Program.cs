using System.Threading.Tasks;
using MonarchLogs.Web.Hosting;

namespace MonarchLogs.Web
{
    /// <summary>
    /// <c>dotnet run --project src/MonarchLogs.Web -- --urls http://127.0.0.1:8081 --Valkey:ConnectionString 127.0.0.1:6379</c>
    /// </summary>
    public static class Program
    {
        public static Task<int> Main(string[] args) => StandaloneViewer.RunAsync(args);
    }
}
