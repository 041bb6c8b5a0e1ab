using System;
using System.IO;
using System.Text.Json;
using System.Threading;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Writes an archive file (<see cref="ArchiveFormat"/>) one whole line at a time: each line is
    /// made in memory and handed to the file in one write, so a file closed at any point (Ctrl+C,
    /// a failure) ends at a whole line. Memory stays at one line whatever the file's size. The
    /// counters may be read from another thread while one thread writes.
    /// </summary>
    public sealed class ArchiveWriter : IDisposable
    {
        private readonly CountingStream _file;
        private readonly Stream _output;
        private readonly MemoryStream _line = new MemoryStream();
        private readonly Utf8JsonWriter _json;
        private long _entries;
        private bool _disposed;
        private string? _lastIdText;
        private Partition? _lastPartition;
        private StreamId _lastPosition;
        private Partition? _idPartition;
        private byte[]? _idSuffix;
        private byte[] _id = new byte[256];

        /// <summary>Writes to <paramref name="destination"/>, gzip-compressed when <paramref name="compress"/>; disposing the writer disposes it.</summary>
        public ArchiveWriter(Stream destination, bool compress)
        {
            if (destination is null) throw new ArgumentNullException(nameof(destination));
            _file = new CountingStream(destination);
            // The compressor runs on another thread, behind the lines this one makes.
            _output = compress ? new BackgroundWriteStream(ArchiveCompression.Create(_file)) : (Stream)_file;
            _json = new Utf8JsonWriter(_line, ArchiveFormat.WriterOptions);
        }

        /// <summary>
        /// Creates the file, gzip-compressed when its name ends in .gz. Without
        /// <paramref name="overwrite"/> an existing file is never touched (an <see cref="IOException"/>).
        /// </summary>
        public static ArchiveWriter Create(string path, bool overwrite) => Create(path, overwrite, ArchiveFormat.IsCompressedName(path));

        /// <summary>Creates the file, gzip-compressed when <paramref name="compress"/>, whatever its name (a temporary name, say).</summary>
        public static ArchiveWriter Create(string path, bool overwrite, bool compress)
        {
            var file = new FileStream(path, overwrite ? FileMode.Create : FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
            try
            {
                return new ArchiveWriter(file, compress);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Entry lines written so far (the header not counted).</summary>
        public long Entries => Interlocked.Read(ref _entries);

        /// <summary>Bytes handed to the file so far (compressed bytes for a .gz file; the compressor holds some back until it is closed).</summary>
        public long Bytes => _file.Written;

        /// <summary>The event time of the first entry written.</summary>
        public DateTime? First { get; private set; }

        /// <summary>The event time of the last entry written.</summary>
        public DateTime? Last { get; private set; }

        /// <summary>The Id of the last entry written.</summary>
        public string? LastId => _lastIdText ?? (_lastPartition is { } partition ? new LogEntryId(_lastPosition, partition.Service, partition.Level).ToString() : null);

        /// <summary>Writes <paramref name="header"/> as the first line; call it before any entry.</summary>
        public void WriteHeader(ArchiveHeader header)
        {
            if (header is null) throw new ArgumentNullException(nameof(header));
            StartLine();
            ArchiveFormat.WriteHeader(_json, header);
            EndLine();
        }

        /// <summary>Writes one entry line. An entry that cannot be written as JSON throws before anything of it reaches the file.</summary>
        public void Write(MonarchLogEntry entry)
        {
            if (entry is null) throw new ArgumentNullException(nameof(entry));
            StartLine();
            try
            {
                ArchiveEntryLine.Write(_json, entry);
            }
            catch
            {
                _json.Reset();
                throw;
            }

            EndLine();
            First ??= entry.Timestamp;
            Last = entry.Timestamp;
            _lastIdText = entry.Id;
            _lastPartition = null;
            Interlocked.Increment(ref _entries);
        }

        /// <summary>Writes the line of an entry as a read of the store gave it: a payload line is copied into the archive's form without decoding it (the same bytes).</summary>
        internal void Write(in StoredEntry stored)
        {
            if (stored.Entry is { } entry)
            {
                Write(entry);
                return;
            }

            StartLine();
            try
            {
                var idLength = FormatId(stored.Partition, stored.Position);
                var idText = idLength < 0 ? new LogEntryId(stored.Position, stored.Partition.Service, stored.Partition.Level).ToString() : null;
                ArchiveEntryLine.Write(_json, stored, new ReadOnlySpan<byte>(_id, 0, Math.Max(0, idLength)), idText);
            }
            catch
            {
                _json.Reset();
                throw;
            }

            EndLine();
            var time = BlockHeader.FromUnixTicks(stored.Lines!.TicksOf(stored.Line));
            First ??= time;
            Last = time;
            _lastIdText = null;
            _lastPartition = stored.Partition;
            _lastPosition = stored.Position;
            Interlocked.Increment(ref _entries);
        }

        /// <summary>The Id of an entry, &lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;, as UTF-8 in the Id buffer; -1 for a service that is not plain ASCII.</summary>
        private int FormatId(Partition partition, StreamId position)
        {
            if (!ReferenceEquals(partition, _idPartition))
            {
                var suffix = "@" + partition.Service + "/" + LogLevels.StorageName(partition.Level);
                _idSuffix = null;
                var ascii = true;
                foreach (var c in suffix) ascii &= c >= 0x20 && c <= 0x7e;
                if (ascii) _idSuffix = System.Text.Encoding.ASCII.GetBytes(suffix);
                _idPartition = partition;
            }

            if (_idSuffix is not { } bytes) return -1;
            if (_id.Length < bytes.Length + 48) _id = new byte[bytes.Length + 48];
            System.Buffers.Text.Utf8Formatter.TryFormat(position.Milliseconds, _id, out var length);
            _id[length++] = (byte)'-';
            System.Buffers.Text.Utf8Formatter.TryFormat(position.Sequence, new Span<byte>(_id, length, _id.Length - length), out var written);
            length += written;
            Buffer.BlockCopy(bytes, 0, _id, length, bytes.Length);
            return length + bytes.Length;
        }

        private void StartLine()
        {
            if (_disposed) throw new ObjectDisposedException(nameof(ArchiveWriter));
            _line.SetLength(0);
            _json.Reset(_line);
        }

        private void EndLine()
        {
            _json.Flush();
            _line.WriteByte((byte)'\n');
            _output.Write(_line.GetBuffer(), 0, (int)_line.Length);
            // A long line should not keep its buffer for the rest of the file.
            if (_line.Capacity > 1 << 20)
            {
                _line.SetLength(0);
                _line.Capacity = 1 << 16;
            }
        }

        /// <summary>Ends the file: the compressor writes its last block, everything is flushed and the file closed.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _json.Dispose();
                if (!ReferenceEquals(_output, _file)) _output.Dispose();
                _file.Flush();
            }
            finally
            {
                _file.Dispose();
            }
        }

        /// <summary>Counts what goes through to the file.</summary>
        private sealed class CountingStream : WriteOnlyStream
        {
            private readonly Stream _inner;
            private long _written;

            public CountingStream(Stream inner) => _inner = inner;

            public long Written => Interlocked.Read(ref _written);

            public override void Write(byte[] buffer, int offset, int count)
            {
                _inner.Write(buffer, offset, count);
                Interlocked.Add(ref _written, count);
            }

            public override void Flush() => _inner.Flush();

            protected override void Dispose(bool disposing)
            {
                if (disposing) _inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
