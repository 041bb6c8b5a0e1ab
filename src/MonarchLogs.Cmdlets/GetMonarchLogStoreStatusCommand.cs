using System;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Reports the health of the store and its Valkey server in one object, with the warnings an
    /// operator should act on, for a monitoring script to check. Bounded work on any store size.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MonarchLogStoreStatus")]
    [OutputType(typeof(StoreStatus), typeof(bool))]
    public sealed class GetMonarchLogStoreStatusCommand : MonarchCommandBase
    {
        /// <summary>The retention period the scheduled job keeps; older entries mean it is not running.</summary>
        [Parameter(Position = 0)]
        [ValidateRange(1, 36500)]
        public int RetentionDays { get; set; } = 30;

        /// <summary>Levels that keep a retention period of their own, in days: @{ Trace = 3; Debug = 3 }.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public System.Collections.Hashtable LevelRetentionDays { get; set; } = null!;

        /// <summary>Writes only whether the store is healthy (true or false), for a monitoring script's if.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            var levelRetention = ParseLevelRetention();
            var store = OpenStore();
            // Each partition that cannot be read is a non-terminating error; the status covers the others.
            var status = Await(store.GetStatusAsync(TimeSpan.FromDays(RetentionDays), levelRetention, PartitionErrors, StopToken));
            WritePartitionErrors();
            // Each warning also as a PowerShell warning: it shows in a console and a scheduled job's log, and -WarningAction decides.
            foreach (var warning in status.Warnings) WriteWarning(Display.TerminalText.Escape(warning));
            WriteObject(Quiet ? status.Healthy : status);
        }

        private System.Collections.Generic.Dictionary<MonarchLogLevel, TimeSpan>? ParseLevelRetention()
        {
            if (LevelRetentionDays is null) return null;
            var periods = new System.Collections.Generic.Dictionary<MonarchLogLevel, TimeSpan>();
            foreach (System.Collections.DictionaryEntry pair in LevelRetentionDays)
            {
                var name = Convert.ToString(pair.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                var value = pair.Value is PSObject wrapped ? wrapped.BaseObject : pair.Value;
                if (!LogLevels.TryParse(name, out var level))
                {
                    ThrowParameterError("InvalidLevel", $"-LevelRetentionDays names '{DisplayText.Quote(name)}', which is not a log level. Use one of: {string.Join(", ", LogLevels.AcceptedNames)}.", LevelRetentionDays);
                }

                if (!(value is int or long or short or byte) || Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) is < 1 or > 36500)
                {
                    ThrowParameterError("InvalidRetentionDays", $"-LevelRetentionDays gives {level} '{DisplayText.Quote(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture))}'; give a whole number of days from 1 to 36500.", LevelRetentionDays);
                }

                periods[level] = TimeSpan.FromDays(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
            }

            return periods;
        }
    }
}
