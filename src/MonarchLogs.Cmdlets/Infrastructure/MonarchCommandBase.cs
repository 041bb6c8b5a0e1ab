using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Core;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// What every MonarchLogs cmdlet shares: the connection parameters, a cancellation token that
    /// Ctrl+C (StopProcessing) fires, waiting on the store from the pipeline thread, and one
    /// mapping from store failures to ErrorRecords.
    /// </summary>
    public abstract class MonarchCommandBase : PSCmdlet, IDisposable
    {
        private readonly ConcurrentQueue<PartitionError> _partitionErrors = new ConcurrentQueue<PartitionError>();
        private CancellationTokenSource? _stopping;

        /// <summary>StackExchange.Redis connection string: host:port and options such as ssl=true.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ConnectionString { get; set; } = null!;

        /// <summary>Valkey ACL user name and password.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = null!;

        /// <summary>Key prefix of the store, monarch:logs unless the writers use another.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Prefix { get; set; } = null!;

        /// <summary>A PEM file with the private CA that signed Valkey's TLS certificate (with ssl=true in the connection string).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string TrustedCertificateAuthorityPath { get; set; } = null!;

        /// <summary>Fires when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken StopToken => (_stopping ??= new CancellationTokenSource()).Token;

        protected override void BeginProcessing()
        {
            _stopping ??= new CancellationTokenSource();
        }

        protected override void StopProcessing()
        {
            _stopping?.Cancel();
        }

        public void Dispose()
        {
            _stopping?.Dispose();
            GC.SuppressFinalize(this);
        }

        /// <summary>
        /// Every error of a MonarchLogs cmdlet goes out through here (these hide
        /// <see cref="Cmdlet.WriteError"/> and <see cref="Cmdlet.ThrowTerminatingError"/> for all
        /// the cmdlets deriving from this class). A store error can quote a service name or a
        /// key, which are the writers' text: its displayed message is escaped for the terminal,
        /// while the exception and the target keep the exact text (<see cref="TerminalText"/>).
        /// </summary>
        private protected new void WriteError(ErrorRecord errorRecord) => base.WriteError(TerminalText.ForDisplay(errorRecord));

        /// <inheritdoc cref="WriteError"/>
        private protected new void ThrowTerminatingError(ErrorRecord errorRecord) => base.ThrowTerminatingError(TerminalText.ForDisplay(errorRecord));

        private protected ConnectionTarget ResolveTarget() =>
            ConnectionTarget.Resolve(ConnectionString, Credential, Prefix, TrustedAuthorityFullPath(), SessionConnections.SessionDefault);

        /// <summary>
        /// <see cref="TrustedCertificateAuthorityPath"/> against PowerShell's current location, not
        /// the process's current directory (which the engine, and the viewer's process, would use).
        /// </summary>
        private string? TrustedAuthorityFullPath()
        {
            if (string.IsNullOrEmpty(TrustedCertificateAuthorityPath)) return null;
            string? resolved = null;
            try
            {
                var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(TrustedCertificateAuthorityPath, out var provider, out _);
                if (provider.ImplementingType == typeof(Microsoft.PowerShell.Commands.FileSystemProvider)) resolved = path;
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is DriveNotFoundException || ex is NotSupportedException || ex is PSArgumentException)
            {
            }

            if (resolved is null)
            {
                // A path of another provider (Env:, a registry drive) or one that cannot be read as a path.
                ThrowTerminatingError(ToErrorRecord(new MonarchLogsException(StoreConnection.InvalidTrustedCertificateAuthority, MonarchErrorKind.InvalidArgument,
                    $"The trusted certificate authority path '{TrustedCertificateAuthorityPath}' is not a file system path; give the CA's PEM file."), TrustedCertificateAuthorityPath));
            }

            return resolved;
        }

        /// <summary>The store on the session's shared connection; a terminating error if Valkey cannot be reached.</summary>
        private protected LogStore OpenStore(ConnectionTarget target)
        {
            try
            {
                var store = SessionConnections.Open(target, null, StopToken);
                WriteVerbose($"Using Valkey at {target.Servers}, prefix '{target.Prefix}'.");
                return store;
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception ex) when (IsStoreFailure(ex))
            {
                ThrowTerminatingError(ToErrorRecord(ex, target.DisplayName));
                throw; // not reached: ThrowTerminatingError always throws
            }
        }

        private protected LogStore OpenStore() => OpenStore(ResolveTarget());

        /// <summary>
        /// Waits for a store call on the pipeline thread. A stop surfaces as PipelineStoppedException,
        /// a store failure as a terminating ErrorRecord with its stable id.
        /// </summary>
        private protected T Await<T>(Task<T> task, object? target = null)
        {
            try
            {
                return task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception ex) when (IsStoreFailure(ex))
            {
                ThrowTerminatingError(ToErrorRecord(ex, target));
                throw;
            }
        }

        /// <summary>
        /// Waits for a store call about one item (a partition). If that item fails, the error is
        /// written and the command goes on with the next; a lost connection still ends it, since
        /// every later item would fail the same way.
        /// </summary>
        private protected bool TryAwait<T>(Task<T> task, object? target, out T result)
        {
            try
            {
                result = task.GetAwaiter().GetResult();
                return true;
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception ex) when (IsStoreFailure(ex) && !IsConnectionFailure(ex))
            {
                WriteError(ToErrorRecord(ex, target));
                result = default!;
                return false;
            }
            catch (Exception ex) when (IsStoreFailure(ex))
            {
                ThrowTerminatingError(ToErrorRecord(ex, target));
                throw;
            }
        }

        /// <summary>
        /// Waits for a long store call on the pipeline thread, waking every
        /// <paramref name="interval"/> to run <paramref name="tick"/> (progress, errors the call
        /// queued), so everything is written from here; then as <see cref="Await{T}"/>.
        /// </summary>
        private protected T AwaitWithTicks<T>(Task<T> task, TimeSpan interval, Action tick, object? target = null)
        {
            WaitWithTicks(task, interval, tick);
            return Await(task, target);
        }

        /// <summary>Waits for the task to end, whichever way, running <paramref name="tick"/> every <paramref name="interval"/> and once at the end.</summary>
        private protected static void WaitWithTicks(Task task, TimeSpan interval, Action tick)
        {
            while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(interval))
            {
                tick();
            }

            tick();
        }

        /// <summary>
        /// A warning that must reach the user even while the command stops (Ctrl+C): PowerShell
        /// refuses Write* calls then, so it goes to the host directly.
        /// </summary>
        private protected void WriteWarningWhileStopping(string text)
        {
            try
            {
                WriteWarning(text);
                return;
            }
            catch (PipelineStoppedException)
            {
            }
            catch (InvalidOperationException)
            {
            }

            try
            {
                Host?.UI?.WriteWarningLine(text);
            }
            catch (Exception ex) when (ex is PipelineStoppedException || ex is InvalidOperationException || ex is NotImplementedException)
            {
                // A host without a UI: nowhere to say it.
            }
        }

        /// <summary>-WhatIf given, or $WhatIfPreference set by the caller.</summary>
        private protected bool IsWhatIf()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var given)) return LanguagePrimitives.IsTrue(given);
            return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        }

        private static bool IsConnectionFailure(Exception ex) => StoreErrors.IsConnectionFailure(ex);

        private protected void ThrowParameterError(string errorId, string message, object? target)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));
        }

        /// <summary>The failures of the store and of the connection that scripts should see as ErrorRecords.</summary>
        private protected static bool IsStoreFailure(Exception ex) => StoreErrors.IsStoreFailure(ex);

        /// <summary>
        /// The ErrorRecord of a store failure: the one classification of <see cref="StoreErrors"/>
        /// gives the id (the same for every cmdlet and the viewer), the category by its kind, and
        /// the message; the target is what the failure is about.
        /// </summary>
        private protected static ErrorRecord ToErrorRecord(Exception ex, object? target)
        {
            var error = StoreErrors.Classify(ex, target is string text ? text : null);
            return new ErrorRecord(error, error.ErrorId, ToCategory(error.Kind), target);
        }

        /// <summary>
        /// Where the store reports a partition it cannot read. The store calls it on its own
        /// threads; the errors wait here until <see cref="WritePartitionErrors"/> writes them from
        /// the pipeline thread.
        /// </summary>
        private protected Action<PartitionError> PartitionErrors => _partitionErrors.Enqueue;

        /// <summary>Writes the partition errors reported so far, each a non-terminating error; the command goes on.</summary>
        private protected void WritePartitionErrors()
        {
            while (_partitionErrors.TryDequeue(out var failure))
            {
                WriteError(new ErrorRecord(failure.Error, failure.ErrorId, ToCategory(failure.Error.Kind), failure.Target));
            }
        }

        private static ErrorCategory ToCategory(MonarchErrorKind kind) => kind switch
        {
            MonarchErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
            MonarchErrorKind.ConnectionError => ErrorCategory.ConnectionError,
            MonarchErrorKind.InvalidData => ErrorCategory.InvalidData,
            MonarchErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
            MonarchErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
            _ => ErrorCategory.NotSpecified,
        };
    }
}
