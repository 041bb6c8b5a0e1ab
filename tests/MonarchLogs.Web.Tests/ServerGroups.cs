using Xunit;

namespace MonarchLogs.Web.Tests
{
    /// <summary>
    /// The tests that start several servers (a cluster) run one class at a time: on a small
    /// machine they would otherwise starve each other and the clients' reconnect timers, and fail
    /// for the machine's sake, not the code's.
    /// </summary>
    [CollectionDefinition(Name)]
    public sealed class ServerGroups
    {
        public const string Name = "Server groups";
    }
}
