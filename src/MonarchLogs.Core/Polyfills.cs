#if NETSTANDARD2_0
namespace System.Runtime.CompilerServices
{
    // Lets netstandard2.0 use init-only setters; the compiler needs only the type's presence.
    internal static class IsExternalInit
    {
    }
}
#endif
