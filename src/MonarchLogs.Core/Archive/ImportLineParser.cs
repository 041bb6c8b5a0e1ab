using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;

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
        private readonly ImportDefaults _defaults;
        private readonly int _maxLineBytes;
        private readonly List<ParsedLine> _chunk = new List<ParsedLine>();
        private readonly List<byte[]?> _texts = new List<byte[]?>();
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

        private void Fill()
        {
            _chunk.Clear();
            _texts.Clear();
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
                _texts.Add(tooLong ? null : text.ToArray());
                bytes += text.Length;
            }

            if (_chunk.Count < ParallelLines)
            {
                for (var i = 0; i < _chunk.Count; i++) Parse(i);
            }
            else
            {
                Parallel.For(0, _chunk.Count, Parse);
            }
        }

        private void Parse(int index)
        {
            if (_texts[index] is not { } text) return;
            var line = _chunk[index];
            try
            {
                line.Kind = ImportLine.Parse(text, _defaults, out var entry, out var header, out var why);
                (line.Entry, line.Header, line.Why) = (entry, header, why);
            }
            catch (Exception ex)
            {
                line.ParseFailure = ExceptionDispatchInfo.Capture(ex);
            }
        }
    }
}
