using System.Runtime.CompilerServices;

namespace MonarchLogs.Core.Format
{
    /// <summary>
    /// The method options of the loops an export runs for every entry: compiled fully optimized at
    /// their first call where the runtime allows it (.NET Core 3.0 and later), so that a short-lived
    /// process (one command of PowerShell) does not run them as first-tier code while the runtime
    /// compiles them again beside it on the same cores.
    /// </summary>
    internal static class HotPath
    {
#if NETSTANDARD2_0
        public const MethodImplOptions Options = 0;
#else
        public const MethodImplOptions Options = MethodImplOptions.AggressiveOptimization;
#endif
    }
}
