using System;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Reports the health of the store and its Valkey server in one object, with the warnings an
    /// operator should act on, for a monitoring script to check. Bounded work on any store size.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MonarchLogStoreStatus")]
    [OutputType(typeof(StoreStatus))]
    public sealed class GetMonarchLogStoreStatusCommand : MonarchCommandBase
    {
        /// <summary>The retention period the scheduled job keeps; older entries mean it is not running.</summary>
        [Parameter(Position = 0)]
        [ValidateRange(1, 36500)]
        public int RetentionDays { get; set; } = 30;

        protected override void ProcessRecord()
        {
            var store = OpenStore();
            // Each partition that cannot be read is a non-terminating error; the status covers the others.
            var status = Await(store.GetStatusAsync(TimeSpan.FromDays(RetentionDays), PartitionErrors, StopToken));
            WritePartitionErrors();
            WriteObject(status);
        }
    }
}
