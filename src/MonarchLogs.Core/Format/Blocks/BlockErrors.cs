using System;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The error ids of a block that cannot be read. Corrupt or foreign input is always one of
    /// these, with a one-line reason, never an exception of the runtime (an index out of range, a
    /// JSON reader's error).
    /// </summary>
    internal static class BlockErrors
    {
        /// <summary>A block whose fields or payload are not what docs/storage-format.md (version 2) describes.</summary>
        public const string InvalidBlock = "InvalidBlock";

        /// <summary>A block written with a codec this version does not know (a newer writer, a foreign tool).</summary>
        public const string UnsupportedCodec = "UnsupportedBlockCodec";

        public static MonarchLogsException Invalid(string reason, Exception? inner = null) =>
            new MonarchLogsException(InvalidBlock, MonarchErrorKind.InvalidData, "A block of the store cannot be read: " + reason + ".", inner);
    }
}
