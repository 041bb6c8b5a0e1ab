using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Archive
{
    /// <summary>One line of an import file as <see cref="ImportLineParser"/> gives it out.</summary>
    internal sealed class ParsedLine
    {
        public long LineNumber { get; set; }

        /// <summary>Bytes of the file read when the line was read.</summary>
        public long BytesRead { get; set; }

        public ImportLineKind Kind { get; set; }

        public MonarchLogEntry? Entry { get; set; }

        public ArchiveHeader? Header { get; set; }

        /// <summary>Why the line is <see cref="ImportLineKind.Invalid"/>.</summary>
        public string? Why { get; set; }

        /// <summary>The file could not be read on from here (a damaged gzip block, a read error): nothing else of the line holds.</summary>
        public Exception? ReadFailure { get; set; }

        /// <summary>The parse failed unexpectedly: thrown when the line's turn comes.</summary>
        public ExceptionDispatchInfo? ParseFailure { get; set; }

        /// <summary>An entry read the fast way (<see cref="ImportLinePayload"/>): its payload line, without <see cref="Entry"/>.</summary>
        public byte[]? Payload { get; set; }

        /// <summary>With <see cref="Payload"/>: the entry's service, level and event time (Unix ticks).</summary>
        public string Service { get; set; } = string.Empty;

        public MonarchLogLevel Level { get; set; }

        public long Ticks { get; set; }

        /// <summary>The entry's event time, whichever way it was read.</summary>
        public DateTime Timestamp => Entry?.Timestamp ?? Format.Blocks.BlockHeader.FromUnixTicks(Ticks);

        /// <summary>The entry's event time in Unix ticks, whichever way it was read.</summary>
        public long UnixTicks => Entry is { } entry ? Format.Blocks.BlockHeader.ToUnixTicks(entry.Timestamp) : Ticks;

        /// <summary>The entry, made from its payload line when it was read the fast way (for the duplicate check, which compares entries).</summary>
        public MonarchLogEntry EntryIn(Format.Partition partition) =>
            Entry ??= Format.Blocks.JsonLinesPayload.Read(Payload, 1, partition)[0];

        /// <summary>The entry's partition, whichever way it was read.</summary>
        public Format.Partition PartitionIn(Format.StorageFormat format) => Entry is { } entry ? format.GetPartition(entry.Service, entry.Level) : format.GetPartition(Service, Level);
    }

    /// <summary>
    /// Reads an import file's lines and parses them (<see cref="ImportLine"/>) a chunk of lines at
    /// a time, the lines of a chunk in parallel, and gives them out in file order: parsing is most
    /// of an import's work on the importing machine. A chunk is at most 1,024 lines and about 4 MB.
    /// </summary>
    internal sealed class ImportLineParser
    {
        private const int ChunkLines = 1024;
        private const long ChunkBytes = 4 << 20;
        private const int ParallelLines = 64;

        private readonly LineReader _reader;
        [ThreadStatic]
        private static MemoryStream? t_payload;

        private readonly ImportDefaults _defaults;
        private readonly int _maxLineBytes;
        private readonly List<ParsedLine> _chunk = new List<ParsedLine>();
        /// <summary>The chunk's lines, one after the other, in one buffer reused from chunk to chunk; a line that is not parsed has none.</summary>
        private readonly List<(int Start, int Length)?> _texts = new List<(int, int)?>();
        private byte[] _bytes = new byte[ChunkBytes];
        private int _used;
        private int _index;
        private bool _ended;

        public ImportLineParser(LineReader reader, ImportDefaults defaults, int maxLineBytes)
        {
            _reader = reader;
            _defaults = defaults;
            _maxLineBytes = maxLineBytes;
        }

        /// <summary>The next line; false at the end of the file.</summary>
        public bool TryNext(out ParsedLine line)
        {
            if (_index >= _chunk.Count && !_ended) Fill();
            if (_index >= _chunk.Count)
            {
                line = null!;
                return false;
            }

            line = _chunk[_index++];
            line.ParseFailure?.Throw();
            return true;
        }

        [MethodImpl(HotPath.Options)]
        private void Fill()
        {
            _chunk.Clear();
            _texts.Clear();
            _used = 0;
            _index = 0;
            long bytes = 0;
            while (_chunk.Count < ChunkLines && bytes < ChunkBytes)
            {
                bool more;
                ReadOnlyMemory<byte> text;
                bool tooLong;
                try
                {
                    more = _reader.TryReadLine(out text, out tooLong);
                }
                catch (Exception ex) when (ex is InvalidDataException || ex is IOException)
                {
                    _chunk.Add(new ParsedLine { LineNumber = _reader.LineNumber, BytesRead = _reader.BytesRead, ReadFailure = ex });
                    _texts.Add(null);
                    _ended = true;
                    break;
                }

                if (!more)
                {
                    _ended = true;
                    break;
                }

                var line = new ParsedLine { LineNumber = _reader.LineNumber, BytesRead = _reader.BytesRead };
                if (tooLong)
                {
                    line.Kind = ImportLineKind.Invalid;
                    line.Why = $"the line is longer than {_maxLineBytes >> 20} MiB";
                }

                _chunk.Add(line);
                _texts.Add(tooLong ? null : Keep(text.Span));
                bytes += text.Length;
            }

            ParseAll();
            if (_bytes.Length > 2 * ChunkBytes) _bytes = new byte[ChunkBytes];
        }

        private void ParseAll()
        {
            if (_chunk.Count < ParallelLines)
            {
                for (var i = 0; i < _chunk.Count; i++) Parse(i);
            }
            else
            {
                Parallel.For(0, _chunk.Count, Parse);
            }
        }

        /// <summary>Copies a line into the chunk's buffer (the reader's buffer moves on).</summary>
        private (int, int) Keep(ReadOnlySpan<byte> text)
        {
            if (_used + text.Length > _bytes.Length)
            {
                // Only a chunk of long lines needs more than its usual size; the buffer shrinks back after it.
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + text.Length));
            }

            text.CopyTo(new Span<byte>(_bytes, _used, text.Length));
            var kept = (_used, text.Length);
            _used += text.Length;
            return kept;
        }

        [MethodImpl(HotPath.Options)]
        private void Parse(int index)
        {
            if (_texts[index] is not { } text) return;
            var line = _chunk[index];
            try
            {
                var memory = new ReadOnlyMemory<byte>(_bytes, text.Start, text.Length);
                var payload = t_payload ??= new MemoryStream(1024);
                payload.SetLength(0);
                if (ImportLinePayload.TryConvert(memory.Span, _defaults.Service, payload, out var service, out var level, out var ticks))
                {
                    (line.Kind, line.Payload, line.Service, line.Level, line.Ticks) = (ImportLineKind.Entry, payload.ToArray(), service, level, ticks);
                    return;
                }

                line.Kind = ImportLine.Parse(new ReadOnlyMemory<byte>(_bytes, text.Start, text.Length), _defaults, out var entry, out var header, out var why);
                (line.Entry, line.Header, line.Why) = (entry, header, why);
            }
            catch (Exception ex)
            {
                line.ParseFailure = ExceptionDispatchInfo.Capture(ex);
            }
        }
    }
}
