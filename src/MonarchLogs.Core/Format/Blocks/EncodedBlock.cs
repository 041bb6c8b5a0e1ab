using System;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>One block as it is stored: its header and its payload (the entries, in its codec).</summary>
    internal sealed class EncodedBlock
    {
        public EncodedBlock(BlockHeader header, ReadOnlyMemory<byte> payload)
        {
            Header = header;
            Payload = payload;
        }

        public BlockHeader Header { get; }

        public ReadOnlyMemory<byte> Payload { get; }
    }
}
