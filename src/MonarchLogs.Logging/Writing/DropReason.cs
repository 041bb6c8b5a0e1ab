namespace MonarchLogs.Logging.Writing
{
    /// <summary>Why an entry was not stored; each is counted on its own and named in the drop notice.</summary>
    internal enum DropReason
    {
        /// <summary>The buffer was full (Valkey slow or away): the newest entries give way.</summary>
        BufferFull,

        /// <summary>The entry's partition refused it for good (a key of another type, an ACL that refuses the key).</summary>
        PartitionRefused,

        /// <summary>The store refused every write (another format version, credentials refused).</summary>
        StoreRefused,

        /// <summary>Valkey failed for longer than the retry time limit.</summary>
        RetryTimeLimit,

        /// <summary>Still in the buffer, never sent, when the flush timeout at shutdown ran out (or logged after shutdown).</summary>
        NotSentAtShutdown,

        /// <summary>Sent, but no reply had come when the flush timeout at shutdown ran out: it may be stored.</summary>
        UnconfirmedAtShutdown,

        /// <summary>Not even a safe form of the entry could be made.</summary>
        CaptureFailed,

        /// <summary>Held by the writer loop when it failed; the loop was restarted.</summary>
        WriterFault,

        /// <summary>
        /// Still in the buffer, never sent, when the process ended without disposing the provider
        /// and the process-exit flush timeout ran out (or logged after that flush began).
        /// </summary>
        NotSentAtProcessExit,
    }
}
