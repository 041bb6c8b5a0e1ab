using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Imports one file (an archive or a JSON console log) into a store through the append path,
    /// a batch at a time, so memory stays flat whatever the file's size. Entries the store already
    /// holds are skipped (<see cref="ImportDuplicates"/>). The blocks go into the streams at their
    /// entries' event time where the stream allows it (<see cref="AppendBatch.AtEventTime"/>), so a
    /// query of a time range reads the imported blocks of that range only. When a check of the
    /// file's compressed data is given, nothing is written until it passes: a damaged file imports nothing.
    /// </summary>
    internal sealed class LogImporter
    {
        /// <summary>A line longer than this is reported and skipped.</summary>
        public const int MaxLineBytes = 64 << 20;

        /// <summary>The error of a file whose compressed data is damaged: none of it is imported.</summary>
        public const string DamagedFile = ArchiveFormat.DamagedFileErrorId;

        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly Func<CancellationToken, Task> _ensureFormat;
        private readonly ImportDefaults _defaults;
        private readonly int _batchSize;
        private readonly VersionedAppender _appender;
        private readonly ImportDuplicates _duplicates;
        private Task<string?>? _damage;
        private long _displaced;
        private (AppendBatch Batch, Task<AppendResult> Result)? _inFlight;
        private MonarchLogsException? _registryFailure;

        // The partitions stored into whose registry entry a batch could not write, until a later batch of the same partition does.
        private readonly HashSet<string> _unregistered = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>An importer into <paramref name="format"/>'s store; <paramref name="ensureFormat"/> checks, before each batch, that the store is still of a version it writes.</summary>
        public LogImporter(IConnectionMultiplexer connection, StorageFormat format, Func<CancellationToken, Task> ensureFormat, ImportDefaults defaults, int batchSize)
        {
            _connection = connection;
            _format = format;
            _ensureFormat = ensureFormat;
            _defaults = defaults;
            _batchSize = batchSize;
            // An entry keeps the host it came with, or none: it is not this machine's entry.
            _appender = new VersionedAppender(connection, format, host: string.Empty);
            _duplicates = new ImportDuplicates(format, _appender.BlockWriterId);
        }

        /// <summary>
        /// Imports <paramref name="stream"/>. <paramref name="damage"/>, when given, checks the file's
        /// compressed data (null: undamaged; else what is wrong) while the import reads it: the first
        /// write waits for it, and a damaged file ends the import with <see cref="DamagedFile"/> before
        /// anything is written.
        /// </summary>
        public async Task<ImportResult> ImportAsync(Stream stream, string source, ImportProgress progress, Action<ImportProblem>? problem, Task<string?>? damage, CancellationToken cancellationToken)
        {
            _damage = damage;
            // The file is read (and decompressed) ahead on a thread of its own while lines are parsed.
            using var ahead = new BackgroundReadStream(stream);
            var reader = new LineReader(ahead, MaxLineBytes);
            var lines = new ImportLineParser(reader, _defaults, MaxLineBytes);
            var batch = new List<ParsedLine>(_batchSize);
            ArchiveHeader? header = null;
            var sawContent = false;
            DateTime? from = null, to = null;
            try
            {
                while (lines.TryNext(out var line))
                {
                    if (line.ReadFailure is { } readFailure)
                    {
                        // A damaged file (a corrupt gzip block, a read error): what came before it is imported, then the failure is told.
                        if (batch.Count > 0) await ImportBatchAsync(batch, progress, cancellationToken).ConfigureAwait(false);
                        await CompleteAppendAsync(progress).ConfigureAwait(false);
                        await PassDamageCheckAsync(cancellationToken).ConfigureAwait(false);
                        ExceptionDispatchInfo.Capture(readFailure).Throw();
                    }

                    if ((line.LineNumber & 0xFF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        progress.SetBytesRead(line.BytesRead);
                    }

                    var (kind, lineHeader, why) = (line.Kind, line.Header, line.Why);
                    switch (kind)
                    {
                        case ImportLineKind.Blank:
                            continue;
                        case ImportLineKind.Header when !sawContent:
                            header = lineHeader;
                            sawContent = true;
                            continue;
                        case ImportLineKind.Header:
                            kind = ImportLineKind.Invalid;
                            why = "an archive header can only be the first line";
                            break;
                    }

                    sawContent = true;
                    progress.AddRead(1);
                    if (kind == ImportLineKind.Invalid)
                    {
                        progress.AddFailed(1);
                        var target = source + ":" + line.LineNumber.ToString(CultureInfo.InvariantCulture);
                        problem?.Invoke(new ImportProblem(target, new MonarchLogsException("InvalidImportLine", MonarchErrorKind.InvalidData,
                            $"{target}: {why}; the line is not imported.")));
                        continue;
                    }

                    var time = line.Timestamp;
                    if (from is null || time < from) from = time;
                    if (to is null || time > to) to = time;
                    batch.Add(line);
                    if (batch.Count >= _batchSize)
                    {
                        await ImportBatchAsync(batch, progress, cancellationToken).ConfigureAwait(false);
                        batch.Clear();
                    }
                }

                if (batch.Count > 0) await ImportBatchAsync(batch, progress, cancellationToken).ConfigureAwait(false);
                await CompleteAppendAsync(progress).ConfigureAwait(false);
                await PassDamageCheckAsync(cancellationToken).ConfigureAwait(false);
                progress.SetBytesRead(reader.BytesRead);
            }
            catch (Exception ex) when (_damage is not null && !(ex is OperationCanceledException) && !(ex is MonarchLogsException { ErrorId: DamagedFile }))
            {
                // What ended the import may stem from damaged data (a header read from it): the damage is what the caller hears of.
                await PassDamageCheckAsync(cancellationToken).ConfigureAwait(false);
                throw;
            }
            finally
            {
                // A stop or a failure leaves no append unobserved: what it stored is counted.
                if (_inFlight is { } pending)
                {
                    try
                    {
                        await CompleteAppendAsync(progress).ConfigureAwait(false);
                    }
                    catch (Exception) when (pending.Result.Status != TaskStatus.RanToCompletion)
                    {
                        // The failure that ended the import, or one of the same cause, is what the caller hears of.
                    }
                }

                // Whatever ended the import, each partition the store refused is reported once, with its count.
                foreach (var state in _duplicates.Partitions)
                {
                    if (state.Failure is not { } failure) continue;
                    problem?.Invoke(new ImportProblem(state.Partition.ToString(), new MonarchLogsException(failure.ErrorId, failure.Kind,
                        $"{state.FailedEntries} entries of {source} for {state.Partition} were not imported: {failure.Message}", failure, failure.IsTransient)));
                }

                // Stored but not listed: no query finds a partition new to the store until it is registered.
                if (_registryFailure is { } registry && _unregistered.Count > 0)
                {
                    problem?.Invoke(new ImportProblem(_format.PartitionsKey.ToString(), new MonarchLogsException(registry.ErrorId, registry.Kind,
                        $"The entries of {source} were imported, but the partition registry {_format.PartitionsKey} could not be updated, so queries do not list a partition new to the store until a write registers it: {registry.Message}", registry, registry.IsTransient)));
                }

                _duplicates.Dispose();
            }

            return new ImportResult
            {
                Read = progress.Read,
                Imported = progress.Imported,
                Skipped = progress.Skipped,
                Failed = progress.Failed,
                Displaced = _displaced,
                From = from,
                To = to,
                Header = header,
            };
        }

        private async Task ImportBatchAsync(List<ParsedLine> batch, ImportProgress progress, CancellationToken cancellationToken)
        {
            await _ensureFormat(cancellationToken).ConfigureAwait(false);
            var fresh = await _duplicates.NewEntriesAsync(_connection.GetDatabase(), batch, progress, cancellationToken).ConfigureAwait(false);
            if (fresh.Count == 0) return;

            // One append stays in flight while the next batch is read and checked; the next one
            // starts only when it is answered, so at most two batches are held.
            // The blocks are made while the append before is in flight.
            var appendBatch = ImportBlocks.Make(fresh, _format, _appender.BlockWriter);
            await CompleteAppendAsync(progress).ConfigureAwait(false);
            await PassDamageCheckAsync(cancellationToken).ConfigureAwait(false);
            _inFlight = (appendBatch, _appender.AppendAsync(appendBatch, cancellationToken));
        }

        /// <summary>Waits for the check of the file's compressed data (once); a damaged file ends the import.</summary>
        private async Task PassDamageCheckAsync(CancellationToken cancellationToken)
        {
            if (_damage is not { } check) return;
            var damage = await check.WithCancellation(cancellationToken).ConfigureAwait(false);
            if (damage is null)
            {
                _damage = null;
                return;
            }

            throw new MonarchLogsException(DamagedFile, MonarchErrorKind.InvalidData, damage);
        }

        /// <summary>Waits for the append in flight, if any, and counts what it stored and what the store refused.</summary>
        private async Task CompleteAppendAsync(ImportProgress progress)
        {
            if (_inFlight is not { } inFlight) return;
            _inFlight = null;
            var appendBatch = inFlight.Batch;
            var result = await inFlight.Result.ConfigureAwait(false);
            progress.AddImported(result.Stored);
            _displaced += appendBatch.Late;
            // A batch whose registry write went through has listed every partition it stored into.
            foreach (var block in appendBatch.Blocks!)
            {
                if (!appendBatch.IsStored(block.Indexes[0])) continue;
                if (result.RegistryFailure is null) _unregistered.Remove(block.Partition.StreamKey);
                else _unregistered.Add(block.Partition.StreamKey);
            }

            _registryFailure = result.RegistryFailure ?? _registryFailure;
            foreach (var failure in result.Failures)
            {
                var state = _duplicates.StateOf(failure.Partition);
                var notStored = 0;
                foreach (var block in appendBatch.Blocks!)
                {
                    if (block.Partition.StreamKey != failure.Partition.StreamKey) continue;
                    foreach (var index in block.Indexes) notStored += appendBatch.IsStored(index) ? 0 : 1;
                }

                state.Failure ??= failure.Error;
                state.FailedEntries += notStored;
                progress.AddFailed(notStored);
            }
        }

        /// <summary>A refusal of a command on one partition's key (WRONGTYPE, NOPERM); anything else ends the import.</summary>
        internal static bool IsPartitionFailure(Exception ex)
        {
            if (ex is AggregateException { InnerExceptions.Count: 1 } aggregate) ex = aggregate.InnerExceptions[0];
            if (ex is not RedisServerException) return false;
            var error = StoreErrors.Classify(ex);
            return !error.IsTransient && error.ErrorId != StoreErrors.AuthenticationFailed && error.ErrorId != StoreErrors.UnsupportedFormat;
        }
    }
}
