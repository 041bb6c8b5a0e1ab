namespace MonarchLogs.Core
{
    /// <summary>What kind of failure an error is; the cmdlets map it to an ErrorCategory, the web API to a status.</summary>
    public enum MonarchErrorKind
    {
        /// <summary>A parameter or an argument that makes no sense.</summary>
        InvalidArgument,
        /// <summary>Valkey cannot be reached, refused the login, or is not ready.</summary>
        ConnectionError,
        /// <summary>What the store holds is not what the storage format allows (a key of another type, another format version).</summary>
        InvalidData,
        /// <summary>Valkey's ACL does not let the user run a command.</summary>
        PermissionDenied,
        /// <summary>Valkey did not answer in time.</summary>
        OperationTimeout,
    }
}
