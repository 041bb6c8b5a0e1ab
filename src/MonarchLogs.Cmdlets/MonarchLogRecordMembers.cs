using System;
using System.Management.Automation;
using MonarchLogs.Core;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// The code behind the members that MonarchLogs.Types.ps1xml adds to
    /// <see cref="MonarchLogRecord"/>. PowerShell reads a type's ETS members before its .NET
    /// properties of the same name, and lists them first, so Id is here too only to keep it the
    /// first column of Export-Csv and Format-List.
    /// </summary>
    public static class MonarchLogRecordMembers
    {
        /// <summary>
        /// The PowerShell type name of a <see cref="Timestamp"/> value; the types file gives it a
        /// ToString that writes ISO 8601 UTC.
        /// </summary>
        public const string UtcTimestampTypeName = "MonarchLogs.UtcTimestamp";

        public static string? Id(PSObject instance) => Record(instance).Id;

        /// <summary>
        /// The typed level (a <see cref="MonarchLogLevel"/>), for Where-Object Level -eq Error and
        /// -ge Warning, and Sort-Object Level. Declared as <see cref="Enum"/>: PowerShell reads this
        /// signature when it loads the types file, before the module has made MonarchLogs.Core
        /// loadable (Loading/ModuleAssemblyHandler.cs); comparisons and sorting see the value's own type.
        /// </summary>
        public static Enum Level(PSObject instance) => Record(instance).Entry.Level;

        /// <summary>
        /// The event time as a DateTime that compares, sorts and formats like any other, but
        /// whose ToString() (what Export-Csv and ConvertTo-Csv write) is ISO 8601 UTC with a Z.
        /// </summary>
        public static PSObject Timestamp(PSObject instance)
        {
            var timestamp = new PSObject(Record(instance).Timestamp);
            timestamp.TypeNames.Insert(0, UtcTimestampTypeName);
            return timestamp;
        }

        private static MonarchLogRecord Record(PSObject instance) => (MonarchLogRecord)instance.BaseObject;
    }
}
