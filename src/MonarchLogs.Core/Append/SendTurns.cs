using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Appends may overlap (the writer sends the next batch while the last one's replies are
    /// read); they take turns to send, in the order they were made, so a partition's entries reach
    /// the server in queue order even when a call first awaits the format check. Shared by the
    /// appenders a <see cref="VersionedAppender"/> chooses between, so a switch keeps that order.
    /// </summary>
    internal sealed class SendTurns
    {
        private Task _last = Task.CompletedTask;

        /// <summary>Takes the next turn (at once, in call order); await <paramref name="previous"/>, send, then complete the turn.</summary>
        public TaskCompletionSource<bool> Take(out Task previous)
        {
            var turn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            previous = Interlocked.Exchange(ref _last, turn.Task);
            return turn;
        }
    }
}
