using System;
using System.Buffers.Text;
using System.IO;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Makes the archive lines of payload lines (<see cref="ArchiveEntryLine"/>) and writes them,
    /// whole, to a stream. One instance per thread: it reuses its buffers.
    /// </summary>
    internal sealed class PayloadLineWriter
    {
        private const int FlushBytes = 1 << 16;

        private readonly MemoryStream _lines = new MemoryStream();
        private readonly Utf8JsonWriter _json;
        private Partition? _idPartition;
        private byte[]? _idSuffix;
        private byte[] _id = new byte[256];

        public PayloadLineWriter() => _json = new Utf8JsonWriter(_lines, ArchiveFormat.WriterOptions);

        /// <summary>Writes the lines of <paramref name="count"/> payload lines to <paramref name="output"/>, in order, in writes of whole lines.</summary>
        public void Write(StoredEntry[] entries, int count, Stream output)
        {
            for (var i = 0; i < count; i++)
            {
                Append(in entries[i]);
                if (_lines.Length >= FlushBytes) Flush(output);
            }

            Flush(output);
        }

        /// <summary>Writes the line of one payload line to <paramref name="output"/> in one write.</summary>
        public void Write(in StoredEntry stored, Stream output)
        {
            Append(in stored);
            Flush(output);
        }

        private void Append(in StoredEntry stored)
        {
            _json.Reset(_lines);
            var idLength = FormatId(stored.Partition, stored.Position);
            var idText = idLength < 0 ? new LogEntryId(stored.Position, stored.Partition.Service, stored.Partition.Level).ToString() : null;
            ArchiveEntryLine.Write(_json, stored, new ReadOnlySpan<byte>(_id, 0, Math.Max(0, idLength)), idText);
            _json.Flush();
            _lines.WriteByte((byte)'\n');
        }

        private void Flush(Stream output)
        {
            if (_lines.Length == 0) return;
            output.Write(_lines.GetBuffer(), 0, (int)_lines.Length);
            _lines.SetLength(0);
            // A long line should not keep its buffer for the rest of the file.
            if (_lines.Capacity > 1 << 20) _lines.Capacity = FlushBytes * 2;
        }

        /// <summary>The Id of an entry, &lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;, as UTF-8 in the Id buffer; -1 for a service that is not plain ASCII.</summary>
        private int FormatId(Partition partition, StreamId position)
        {
            if (!ReferenceEquals(partition, _idPartition))
            {
                var suffix = "@" + partition.Service + "/" + LogLevels.StorageName(partition.Level);
                var ascii = true;
                foreach (var c in suffix) ascii &= c >= 0x20 && c <= 0x7e;
                _idSuffix = ascii ? Encoding.ASCII.GetBytes(suffix) : null;
                _idPartition = partition;
            }

            if (_idSuffix is not { } bytes) return -1;
            if (_id.Length < bytes.Length + 48) _id = new byte[bytes.Length + 48];
            Utf8Formatter.TryFormat(position.Milliseconds, _id, out var length);
            _id[length++] = (byte)'-';
            Utf8Formatter.TryFormat(position.Sequence, new Span<byte>(_id, length, _id.Length - length), out var written);
            length += written;
            Buffer.BlockCopy(bytes, 0, _id, length, bytes.Length);
            return length + bytes.Length;
        }
    }
}
