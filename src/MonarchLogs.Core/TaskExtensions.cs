using System;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core
{
    internal static class TaskExtensions
    {
        /// <summary>
        /// Stops waiting when the token fires. StackExchange.Redis commands take no token; the
        /// command still completes on the server, the caller just no longer waits for it.
        /// </summary>
        public static async Task<T> WithCancellation<T>(this Task<T> task, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled || task.IsCompleted) return await task.ConfigureAwait(false);
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                {
                    ObserveFault(task);
                    throw new OperationCanceledException(cancellationToken);
                }
            }

            return await task.ConfigureAwait(false);
        }

        public static async Task WithCancellation(this Task task, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled || task.IsCompleted)
            {
                await task.ConfigureAwait(false);
                return;
            }

            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                {
                    ObserveFault(task);
                    throw new OperationCanceledException(cancellationToken);
                }
            }

            await task.ConfigureAwait(false);
        }

        /// <summary>
        /// Waits for the task up to <paramref name="timeout"/>: true when it ended (whichever
        /// way; its fault is observed, for the caller to read from the task), false when it had
        /// not ended by then. Throws when the token fires first.
        /// </summary>
        public static async Task<bool> CompletesWithinAsync(this Task task, TimeSpan timeout, CancellationToken cancellationToken)
        {
            ObserveFault(task);
            if (task.IsCompleted) return true;
            using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var waited = Task.Delay(timeout, stopWaiting.Token);
            var completed = await Task.WhenAny(task, waited).ConfigureAwait(false) == task;
            stopWaiting.Cancel();
            if (!completed) cancellationToken.ThrowIfCancellationRequested();
            return completed;
        }

        private static void ObserveFault(Task task) =>
            task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }
}
