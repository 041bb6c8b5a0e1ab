using System;
using System.IO;
using System.IO.Compression;
using System.Text.Json;
using System.Threading;

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

        /// <summary>Writes to <paramref name="destination"/>, gzip-compressed when <paramref name="compress"/>; disposing the writer disposes it.</summary>
        public ArchiveWriter(Stream destination, bool compress)
        {
            if (destination is null) throw new ArgumentNullException(nameof(destination));
            _file = new CountingStream(destination);
            // The compressor runs on another thread, behind the lines this one makes.
            _output = compress ? new BackgroundWriteStream(new GZipStream(_file, CompressionLevel.Optimal, leaveOpen: true)) : (Stream)_file;
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
        public string? LastId { get; private set; }

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
                ArchiveFormat.WriteEntry(_json, entry);
            }
            catch
            {
                _json.Reset();
                throw;
            }

            EndLine();
            First ??= entry.Timestamp;
            Last = entry.Timestamp;
            LastId = entry.Id;
            Interlocked.Increment(ref _entries);
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
