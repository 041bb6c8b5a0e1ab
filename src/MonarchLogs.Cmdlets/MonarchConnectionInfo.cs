namespace MonarchLogs.Cmdlets
{
    /// <summary>The session default that Connect-MonarchLog set. It holds no password.</summary>
    public sealed class MonarchConnectionInfo
    {
        /// <summary>The server(s), host:port.</summary>
        public string Server { get; init; } = string.Empty;

        /// <summary>The ACL user, empty for the default user.</summary>
        public string User { get; init; } = string.Empty;

        public string Prefix { get; init; } = string.Empty;

        /// <summary>The services registered in the store when the connection was made.</summary>
        public int Services { get; init; }
    }
}
