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
    /// made in memory and handed on whole, so a file closed at any point (Ctrl+C, a failure) ends
    /// at a whole line. For a .gz file, the compressor's thread makes the lines of payload lines
    /// (an export's), a batch of <see cref="BatchSize"/> at a time, while the caller reads on; at
    /// most a few batches wait, so memory stays flat whatever the file's size. The counters count
    /// what is handed on and may be read from another thread while one thread writes; disposing
    /// the writer writes everything handed on.
    /// </summary>
    public sealed class ArchiveWriter : IDisposable
    {
        /// <summary>Payload lines handed to the compressor's thread at a time, which makes their archive lines.</summary>
        private const int BatchSize = 512;

        private readonly CountingStream _file;
        private readonly Stream _output;
        private readonly MemoryStream _line = new MemoryStream();
        private readonly Utf8JsonWriter _json;
        private long _entries;
        private bool _disposed;
        private string? _lastIdText;
        private Partition? _lastPartition;
        private StreamId _lastPosition;
        private readonly PayloadLineWriter _payloadLines = new PayloadLineWriter();
        private readonly BackgroundWriteStream? _background;
        private StoredEntry[] _batch = new StoredEntry[BatchSize];
        private int _batchCount;

        /// <summary>Writes to <paramref name="destination"/>, gzip-compressed when <paramref name="compress"/>; disposing the writer disposes it.</summary>
        public ArchiveWriter(Stream destination, bool compress)
        {
            if (destination is null) throw new ArgumentNullException(nameof(destination));
            _file = new CountingStream(destination);
            // The compressor runs on another thread, behind the lines this one makes.
            _background = compress ? new BackgroundWriteStream(ArchiveCompression.Create(_file)) : null;
            _output = _background ?? (Stream)_file;
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

            if (_disposed) throw new ObjectDisposedException(nameof(ArchiveWriter));
            if (_background is null)
            {
                _payloadLines.Write(in stored, _output);
            }
            else
            {
                // The compressor's thread makes these lines: this one goes on reading.
                _batch[_batchCount++] = stored;
                if (_batchCount == _batch.Length) SendBatch();
            }

            var time = BlockHeader.FromUnixTicks(stored.Lines!.TicksOf(stored.Line));
            First ??= time;
            Last = time;
            _lastIdText = null;
            _lastPartition = stored.Partition;
            _lastPosition = stored.Position;
            Interlocked.Increment(ref _entries);
        }

        /// <summary>Hands the payload lines gathered so far to the compressor's thread, behind everything written before them.</summary>
        private void SendBatch()
        {
            if (_batchCount == 0) return;
            var (batch, count) = (_batch, _batchCount);
            _batch = new StoredEntry[BatchSize];
            _batchCount = 0;
            var lines = _payloadLines;
            _background!.Post(inner => lines.Write(batch, count, inner));
        }

        private void StartLine()
        {
            if (_disposed) throw new ObjectDisposedException(nameof(ArchiveWriter));
            SendBatch();
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
                SendBatch();
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
