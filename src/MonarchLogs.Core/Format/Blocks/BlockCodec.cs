using System;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>How a block's payload is stored; the block's <c>codec</c> field names it.</summary>
    internal enum BlockCodec
    {
        /// <summary><c>jsonl</c>: the JSON lines as they are, so a shell script with valkey-cli can write a block.</summary>
        JsonLines,

        /// <summary><c>zstd</c>: the JSON lines in one zstd frame that records its content size.</summary>
        Zstd,
    }

    internal static class BlockCodecs
    {
        public const string JsonLinesName = "jsonl";
        public const string ZstdName = "zstd";

        public static string Name(BlockCodec codec) => codec switch
        {
            BlockCodec.JsonLines => JsonLinesName,
            BlockCodec.Zstd => ZstdName,
            _ => throw new ArgumentOutOfRangeException(nameof(codec)),
        };

        /// <exception cref="MonarchLogsException"><c>UnsupportedBlockCodec</c> for any other name.</exception>
        public static BlockCodec Parse(string name) => name switch
        {
            JsonLinesName => BlockCodec.JsonLines,
            ZstdName => BlockCodec.Zstd,
            _ => throw new MonarchLogsException(BlockErrors.UnsupportedCodec, MonarchErrorKind.InvalidData,
                $"A block of the store is written with the codec '{DisplayText.Quote(name)}'; this MonarchLogs reads '{JsonLinesName}' and '{ZstdName}'."),
        };
    }
}
