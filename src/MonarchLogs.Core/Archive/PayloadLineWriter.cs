using System;
using System.Runtime.CompilerServices;
using System.Buffers.Text;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
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

        // The lines made so far; a line whose values are not all plain ASCII is made in _line by the writer of JSON.
        private byte[] _lines = new byte[FlushBytes * 2];
        private int _length;
        private readonly MemoryStream _line = new MemoryStream();
        private readonly Utf8JsonWriter _json;
        private readonly Dictionary<Partition, (byte[]? IdSuffix, ArchiveEntryLine.PartitionBytes? Bytes)> _partitions = new Dictionary<Partition, (byte[]?, ArchiveEntryLine.PartitionBytes?)>();
        private Partition? _idPartition;
        private byte[]? _idSuffix;
        private ArchiveEntryLine.PartitionBytes? _partitionBytes;
        private byte[] _id = new byte[256];

        public PayloadLineWriter() => _json = new Utf8JsonWriter(_line, ArchiveFormat.WriterOptions);

        /// <summary>Writes the lines of <paramref name="count"/> payload lines to <paramref name="output"/>, in order, in writes of whole lines.</summary>
        [MethodImpl(HotPath.Options)]
        public void Write(StoredEntry[] entries, int count, Stream output)
        {
            for (var i = 0; i < count; i++)
            {
                Append(in entries[i]);
                if (_length >= FlushBytes) Flush(output);
            }

            Flush(output);
        }

        /// <summary>Writes the line of one payload line to <paramref name="output"/> in one write.</summary>
        public void Write(in StoredEntry stored, Stream output)
        {
            Append(in stored);
            Flush(output);
        }

        /// <summary>Adds the line of <paramref name="stored"/>, whose payload line is then released (<see cref="PayloadLines.Release"/>).</summary>
        private void Append(in StoredEntry stored)
        {
            AppendLine(in stored);
            stored.Lines!.Release();
        }

        [MethodImpl(HotPath.Options)]
        private void AppendLine(in StoredEntry stored)
        {
            // A line of plain ASCII values (as writers store them) is made byte by byte; others by the writer of JSON.
            if (!ReferenceEquals(stored.Partition, _idPartition)) UsePartition(stored.Partition);
            if (_partitionBytes is { } partition)
            {
                Reserve(ArchiveEntryLine.MaxLength(in stored, partition));
                var written = ArchiveEntryLine.TryWrite(new Span<byte>(_lines, _length, _lines.Length - _length), in stored, partition);
                if (written > 0)
                {
                    _length += written;
                    return;
                }
            }

            _line.SetLength(0);
            _json.Reset(_line);
            var idLength = FormatId(stored.Position);
            var idText = idLength < 0 ? new LogEntryId(stored.Position, stored.Partition.Service, stored.Partition.Level).ToString() : null;
            ArchiveEntryLine.Write(_json, stored, new ReadOnlySpan<byte>(_id, 0, Math.Max(0, idLength)), idText);
            _json.Flush();
            _line.WriteByte((byte)'\n');
            Reserve((int)_line.Length);
            Buffer.BlockCopy(_line.GetBuffer(), 0, _lines, _length, (int)_line.Length);
            _length += (int)_line.Length;
            // A long line should not keep its buffer for the rest of the file.
            if (_line.Capacity > 1 << 20)
            {
                _line.SetLength(0);
                _line.Capacity = FlushBytes;
            }
        }

        private void Reserve(int bytes)
        {
            if (_lines.Length - _length >= bytes) return;
            var grown = new byte[Math.Max(_lines.Length * 2, _length + bytes)];
            Buffer.BlockCopy(_lines, 0, grown, 0, _length);
            _lines = grown;
        }

        private void Flush(Stream output)
        {
            if (_length == 0) return;
            output.Write(_lines, 0, _length);
            _length = 0;
            // A long line should not keep its buffer for the rest of the file.
            if (_lines.Length > 1 << 20) _lines = new byte[FlushBytes * 2];
        }

        /// <summary>Makes the bytes of <paramref name="partition"/>'s lines current, made once per partition.</summary>
        private void UsePartition(Partition partition)
        {
            if (!_partitions.TryGetValue(partition, out var known))
            {
                var suffix = "@" + partition.Service + "/" + LogLevels.StorageName(partition.Level);
                var ascii = true;
                foreach (var c in suffix) ascii &= c >= 0x20 && c <= 0x7e;
                known = (ascii ? Encoding.ASCII.GetBytes(suffix) : null, ArchiveEntryLine.PartitionBytes.For(partition));
                _partitions[partition] = known;
            }

            (_idSuffix, _partitionBytes) = known;
            _idPartition = partition;
        }

        /// <summary>The Id of an entry, &lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;, as UTF-8 in the Id buffer; -1 for a service that is not plain ASCII.</summary>
        private int FormatId(StreamId position)
        {
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
