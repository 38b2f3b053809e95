namespace OpenPipe.Gateway.Logs;

/// <summary>What an export wrote and left out.</summary>
public sealed class ExportCounts
{
    /// <summary>Lines written.</summary>
    public long Written { get; set; }

    /// <summary>Rows left out because the call failed.</summary>
    public long SkippedFailed { get; set; }

    /// <summary>Rows left out because the call has no response.</summary>
    public long SkippedNoResponse { get; set; }

    /// <summary>Rows left out because they hold no conversation the format can carry.</summary>
    public long SkippedUnusable { get; set; }

    /// <summary>Rows left out, for any reason.</summary>
    public long Skipped => SkippedFailed + SkippedNoResponse + SkippedUnusable;
}
