using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// A block's payload lines decoded ahead of the merge, on a thread of the pool, while the
    /// merge gives out the entries before them. The merge takes them with <see cref="Take"/>: if
    /// the pool has not started the work yet, the merge does it itself (it never waits for a thread
    /// the pool has yet to give), and if it is under way it waits for its end.
    /// </summary>
    internal sealed class LinesAhead
    {
        private const int Queued = 0;
        private const int Running = 1;
        private const int Done = 2;

        private readonly StoredBlock _block;
        private readonly BlockDecoderPool _decoders;
        private readonly ManualResetEventSlim _done = new ManualResetEventSlim(false);
        private int _state;
        private PayloadLines? _lines;
        private StreamId[]? _positions;
        private ExceptionDispatchInfo? _failure;

        private LinesAhead(StoredBlock block, BlockDecoderPool decoders)
        {
            _block = block;
            _decoders = decoders;
        }

        /// <summary>Starts decoding <paramref name="block"/>'s lines (<see cref="StoredBlock.TryDecodeLines"/>) on the thread pool.</summary>
        public static LinesAhead Start(StoredBlock block, BlockDecoderPool decoders)
        {
            var ahead = new LinesAhead(block, decoders);
            ThreadPool.UnsafeQueueUserWorkItem(state => ((LinesAhead)state!).Claim(), ahead);
            return ahead;
        }

        /// <summary>The lines and their positions, as <see cref="StoredBlock.TryDecodeLines"/> gives them; its exception for a block that does not read.</summary>
        public void Take(out PayloadLines lines, out StreamId[] positions)
        {
            if (!Claim() && Volatile.Read(ref _state) != Done) _done.Wait();
            _failure?.Throw();
            lines = _lines!;
            positions = _positions!;
        }

        /// <summary>Decodes the lines unless another thread has begun to; true when this call did.</summary>
        private bool Claim()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued) return false;
            var decoder = _decoders.Rent();
            try
            {
                _block.TryDecodeLines(decoder, out _lines, out _positions);
            }
            catch (Exception ex)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                _decoders.Return(decoder);
                Volatile.Write(ref _state, Done);
                _done.Set();
            }

            return true;
        }
    }
}
