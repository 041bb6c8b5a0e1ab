using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Cmdlets.Viewer;

namespace MonarchLogs.Cmdlets.Loading
{
    /// <summary>
    /// Runs when the module is imported and removed. On import it makes the cmdlets find
    /// MonarchLogs.Core in the module's own load context (<see cref="EngineLoadContext"/>), so the
    /// module works next to modules that loaded another StackExchange.Redis, and makes the engine's
    /// public types reachable by name again (<c>[MonarchLogs.Core.MonarchLogLevel]</c>). On removal
    /// it stops the session's viewers and, when no session holds the module any more, closes its
    /// connections.
    /// </summary>
    public sealed class ModuleAssemblyHandler : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private const string EngineName = "MonarchLogs.Core";
        private static readonly TimeSpan ViewerGrace = TimeSpan.FromSeconds(5);
        private static readonly object Gate = new object();
        private static readonly Lazy<EngineLoadContext> Context = new Lazy<EngineLoadContext>(() =>
            new EngineLoadContext(Path.Combine(Path.GetDirectoryName(typeof(ModuleAssemblyHandler).Assembly.Location)!, "dependencies")));

        private static readonly List<string> Accelerators = new List<string>();
        private static int _imports;

        public void OnImport()
        {
            lock (Gate)
            {
                if (_imports++ > 0) return;
                AssemblyLoadContext.Default.Resolving += ResolveEngine;
                AddTypeAccelerators();
            }
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            bool last;
            lock (Gate)
            {
                last = _imports > 0 && --_imports == 0;
            }

            SessionViewers.StopAll(allSessions: last, ViewerGrace);
            if (!last) return;
            SessionConnections.CloseAll();
            lock (Gate)
            {
                if (_imports > 0) return; // imported again meanwhile
                RemoveTypeAccelerators();
                AssemblyLoadContext.Default.Resolving -= ResolveEngine;
            }
        }

        /// <summary>
        /// Only the engine is answered here: the cmdlets reference nothing else of the dependencies
        /// folder, and the engine's own references are resolved by its load context.
        /// </summary>
        private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
            string.Equals(name.Name, EngineName, StringComparison.Ordinal) ? Context.Value.LoadFromAssemblyName(name) : null;

        /// <summary>
        /// PowerShell resolves a type literal only in the default load context, so the engine's
        /// public types are registered under their full names as type accelerators, the one way
        /// PowerShell offers to name a type of another context. Its type is not public; a
        /// PowerShell without it leaves the literals unresolved and the cmdlets working.
        /// </summary>
        private static void AddTypeAccelerators()
        {
            var accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
            var add = accelerators?.GetMethod("Add", new[] { typeof(string), typeof(Type) });
            if (add is null) return;
            var engine = Context.Value.LoadFromAssemblyName(new AssemblyName(EngineName));
            foreach (var type in engine.GetExportedTypes())
            {
                if (type.FullName is null || type.IsGenericTypeDefinition) continue;
                add.Invoke(null, new object[] { type.FullName, type });
                Accelerators.Add(type.FullName);
            }
        }

        private static void RemoveTypeAccelerators()
        {
            var remove = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators")?.GetMethod("Remove", new[] { typeof(string) });
            foreach (var name in Accelerators) remove?.Invoke(null, new object[] { name });
            Accelerators.Clear();
        }
    }
}
