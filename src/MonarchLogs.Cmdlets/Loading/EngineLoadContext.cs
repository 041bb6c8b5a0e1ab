using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace MonarchLogs.Cmdlets.Loading
{
    /// <summary>
    /// The module's own load context: MonarchLogs.Core and everything it needs
    /// (StackExchange.Redis, Pipelines.Sockets.Unofficial, Microsoft.Extensions.* ...) load here,
    /// from the module's dependencies/ folder, whatever versions other modules have loaded into
    /// the process. What the folder does not hold (the .NET libraries) comes from the default
    /// context, shared with PowerShell.
    /// </summary>
    internal sealed class EngineLoadContext : AssemblyLoadContext
    {
        private readonly string _folder;

        public EngineLoadContext(string folder)
            : base("MonarchLogs", isCollectible: false)
        {
            _folder = folder;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var path = Path.Combine(_folder, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
